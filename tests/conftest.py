from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.builders import PROJECT_ROOT, cds_run

# Modules of other owners that start the whole pipeline and carry no `pytestmark` of their own:
# marked e2e here (tests/test_markers.py checks that every such test is marked).
E2E_MODULES = {"test_bad_input_corpus.py"}

# Modules that share the session fixture `sample_run` (one pipeline run over the sample):
# `--dist loadfile` sends them to one worker as one unit, so the run is made once.
SAMPLE_RUN_MODULES = {
    "test_crash_and_concurrency.py",
    "test_guarantee_failing_dbt_test_blocks_publish.py",
    "test_personal_data.py",
    "test_review_loop.py",
    "test_sample_district.py",
}

# Rough wall time of each unit of work, module fixtures included, as (its e2e tests, the
# others), in seconds from `make test` and `make test-fast` with `--durations` on 2 cores
# shared with other runs. `--dist loadfile` hands the heaviest unit of the selected tests
# out first, so the two workers end together; a module not listed keeps xdist's order (most
# tests first) after these. Add a module here when it runs the pipeline or takes long.
UNIT_SECONDS = {
    # measured in `make test` on 2026-12-03 (junit and --durations, 2 busy workers)
    # SAMPLE_RUN_MODULES: the sample's run and its resubmission, the crash tests (three kills
    # chained, then a re-run, 73 s; the waiting UI run, 45 s), the review loop, the blocked
    # publish, the sample's own tests
    "sample_run": (450, 0),
    # 3 runs of 4 generated provinces (5 schools each) on PostgreSQL, --parallel 1 and 4,
    # one killed by the test
    "test_lake_parallel.py": (250, 0),
    # 4 runs of a 7-school district: embedded, twice on a catalog file, on PostgreSQL
    "test_lake.py": (215, 0),
    "test_ui_browser.py": (145, 0),
    # two runs: a hand-built province and a generated 24-school province without districts
    "test_areas.py": (105, 0),
    "test_version_order.py": (90, 0),
    "test_registry_over_time.py": (62, 0),
    "test_run_problems.py": (53, 0),
    "test_bad_input_corpus.py": (52, 0),
    # three schools a level of a generated district
    "test_clean_district.py": (40, 0),
    "test_reader_crash.py": (60, 7),
    # EMIS_JOB_RUN_MODULES: one in-process run of the job
    "emis_job_run": (55, 2),
    "test_consistency_rules.py": (51, 0),
    "test_coverage_hand_count.py": (51, 0),
    # one run of a hand-built province of 10 schools
    "test_statistical_forms.py": (45, 5),
    # one run of a two-school district, and `cds check`
    "test_layouts_end_to_end.py": (49, 0),
    "test_scoring_end_to_end.py": (49, 0),
    "test_generator.py": (0, 71),
    "test_dbt_manifest.py": (0, 51),
    "test_parallel_ingest.py": (0, 40),
    "test_mostly_validation.py": (0, 27),
    "test_properties.py": (0, 25),
    "test_automation.py": (0, 13),
    "test_cli_check.py": (0, 7),
    "test_no_work_at_import.py": (0, 5),
}


# Modules that share the session fixture `emis_job_run` (the full job in process over the
# sample's registry and statistical reports), sent to one worker as one unit the same way.
EMIS_JOB_RUN_MODULES = {"test_definitions.py", "test_vietnamese_ui.py"}


def _unit(module: str) -> str:
    if module in SAMPLE_RUN_MODULES:
        return "sample_run"
    return "emis_job_run" if module in EMIS_JOB_RUN_MODULES else module


def _unit_seconds(config: pytest.Config, unit: str) -> int:
    e2e, others = UNIT_SECONDS.get(unit, (0, 0))
    selected = (config.getoption("markexpr") or "").replace(" ", "")
    if selected == "note2e":
        return others
    if selected == "e2e":
        return e2e
    return e2e + others


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in E2E_MODULES:
            item.add_marker(pytest.mark.e2e)


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadfile`, with SAMPLE_RUN_MODULES as one unit and the heaviest units first."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SampleRunFirst(LoadFileScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            unit = _unit(Path(scope).name)
            return scope if unit == Path(scope).name else unit

        def _assign_work_unit(self, node) -> None:
            if not self.ordered:  # the queue is complete by the first assignment
                units = sorted(
                    self.workqueue.items(),
                    key=lambda unit: -_unit_seconds(config, _unit(Path(unit[0]).name)),
                )
                self.workqueue.clear()
                self.workqueue.update(units)
                self.ordered = True
            super()._assign_work_unit(node)

    return SampleRunFirst(config, log)


_DESELECTED = pytest.StashKey[list[pytest.Item]]()


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        items[0].config.stash.setdefault(_DESELECTED, []).extend(items)


@pytest.fixture(scope="session")
def collected_items(request: pytest.FixtureRequest) -> list[pytest.Item]:
    """Every test this session collected, the ones `-m`/`-k` deselected included."""
    return [*request.session.items, *request.config.stash.get(_DESELECTED, [])]


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def query_dicts(db: Path, sql: str, params: list | None = None) -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="session")
def project_root() -> Path:
    return Path(__file__).resolve().parents[1]


# The pseudonymisation secret of every run over the shared sample run's warehouse: one
# warehouse, one key (tests/test_personal_data.py looks for it in what the run wrote).
SAMPLE_SECRET = "test-secret-for-personal-data"
SAMPLE_ENV = {"CDS_PSEUDONYM_KEY": SAMPLE_SECRET}


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`cds run` over a copy of the bundled sample (raw/) into an empty warehouse, once per
    worker (the modules that use it are SAMPLE_RUN_MODULES: one worker). Read it, never
    write to it: a test that runs the pipeline again works on `copy_sample_run`."""
    root = tmp_path_factory.mktemp("sample_run")
    raw = root / "raw"
    shutil.copytree(PROJECT_ROOT / "raw", raw)
    result = cds_run(raw, root / "warehouse", extra_env=SAMPLE_ENV)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {
        "root": root,
        "raw": raw,
        "warehouse": root / "warehouse",
        "stdout": result.stdout,
        "stderr": result.stderr,
    }


def copy_sample_run(run: dict, root: Path) -> tuple[Path, Path]:
    """The sample run's raw/ and warehouse, copied under `root`: (raw, warehouse)."""
    raw, warehouse = root / "raw", root / "warehouse"
    shutil.copytree(run["raw"], raw)
    shutil.copytree(run["warehouse"], warehouse)
    return raw, warehouse


# A corrected statistical report of school 31305005 (end of year): sent on 16/06/2025 after
# the first version of 04/06/2025 (on time, due 10/06), with 14 of 14 classrooms on the
# Internet instead of 10 and 3 smart classrooms instead of 2.
RESUBMITTED = "emis_report/2024-2025/cuoi_nam/31305/31305005_emis_report.csv"
RESUBMISSION = "emis_report/2024-2025/cuoi_nam/31305/31305005_emis_report_bo_sung.csv"
RESUBMISSION_CHANGES = {
    "Ngày báo cáo:,04/06/2025": "Ngày báo cáo:,16/06/2025",
    "402,Phòng học có kết nối Internet,10,,": "402,Phòng học có kết nối Internet,14,,",
    "404,Phòng học thông minh,2,,": "404,Phòng học thông minh,3,,",
}


def write_resubmission(raw: Path) -> None:
    """Drop the corrected report beside the first version (a new file: a new load, a new
    version that changes the marts)."""
    text = (raw / RESUBMITTED).read_text(encoding="utf-8-sig")
    for old, new in RESUBMISSION_CHANGES.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (raw / RESUBMISSION).write_text(text, encoding="utf-8-sig")


# An analyst's session: reads, waits for a line on stdin, reads again on the same connection.
READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("select sum(versions) from marts.reporting_status").fetchone()[0], flush=True)
sys.stdin.readline()
print(con.execute("select sum(versions) from marts.reporting_status").fetchone()[0], flush=True)
"""


@pytest.fixture(scope="session")
def resubmitted_run(sample_run: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The shared sample run, copied, then `cds run` again after the resubmission, while an
    analyst holds `analytics.duckdb` open: one run that tests/test_sample_district.py reads
    for versions and readers, and tests/test_crash_and_concurrency.py takes as the state a
    killed and re-run `cds run` must reach."""
    raw, warehouse = copy_sample_run(sample_run, tmp_path_factory.mktemp("resubmitted"))
    write_resubmission(raw)
    analytics = warehouse / "analytics.duckdb"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(analytics)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        seen_before = int(reader.stdout.readline())
        result = cds_run(raw, warehouse, extra_env=SAMPLE_ENV)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        reader.stdin.write("\n")
        reader.stdin.flush()
        seen_during = int(reader.stdout.readline())
    finally:
        reader.kill()
    return {
        "raw": raw,
        "warehouse": warehouse,
        "stdout": result.stdout,
        "reader_saw": (seen_before, seen_during),
    }


@pytest.fixture(scope="session")
def emis_job_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The full job, in process (as the UI runs it), over the sample's registry and
    statistical reports only: the exports were not sent, so the follow-up list has work.
    Shared by EMIS_JOB_RUN_MODULES (one worker, one run): the definitions, the settings and
    the run's result, to read its events and what it wrote."""
    from dagster import DagsterInstance

    from pipelines.definitions import FULL_PIPELINE, build_definitions
    from pipelines.settings import Settings

    tmp = tmp_path_factory.mktemp("emis_job_run")
    raw = tmp / "raw"
    for source in ("schools", "emis_report"):
        shutil.copytree(PROJECT_ROOT / "raw" / source, raw / source)
    settings = Settings(raw_dir=raw, warehouse_dir=tmp / "wh")
    with pytest.MonkeyPatch.context() as mp, DagsterInstance.ephemeral() as instance:
        for key in ("CDS_RAW_DIR", "CDS_WAREHOUSE_DIR", "CDS_REFERENCE_DIR"):
            mp.setenv(key, "")  # build_definitions exports its paths: restored after
        defs = build_definitions(settings)
        result = defs.resolve_job_def(FULL_PIPELINE).execute_in_process(instance=instance)
        yield {"defs": defs, "settings": settings, "result": result}
