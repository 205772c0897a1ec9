"""Crash safety (README "Guarantees"; issues 8 and 21): `cds run` killed with SIGKILL (its
whole process group, dbt included) inside the landing write transaction, inside a dbt model
build and inside publish, then run again.

The three kills come one after the other on one warehouse (a copy of the shared sample
run, the previous published state, with a corrected statistical report added:
`write_resubmission`, a new version that changes the marts): the landing kill, then the
next `cds run` killed inside dbt, then the next killed inside publish, then a run that
completes. Each kill is placed by what the run itself shows, never by a sleep:

- the landing write: the run is started with `pipelines.ingest.landing._insert` wrapped (in
  the child only, see `PAUSE_IN_LANDING_WRITE`; the product code is unchanged): once the new
  file's rows are inserted into `landing.emis_report`, inside `write_outcomes`' transaction
  and before its commit, the wrapper writes a marker file and sleeps. The test kills the
  run when the marker appears. While it is paused there, a second `cds run` is refused
  (exit 3, with its message);
- the dbt build: dbt's own structured log (`dbt.log` of this run's invocation, JSON events)
  is followed until a `NodeStart` of a mart model; after the kill the log must hold a model
  started and never finished (`NodeFinished`), so the kill did land inside a model build;
- publish: the folder is watched until a file of the analytics database appears beside
  the published one, or the published one is rewritten (whichever way publish writes);
  after the kill the previous file must be whole, and the product's
  `.analytics.duckdb.<uuid>.tmp` must still be there, so the kill landed before the rename.

After each kill: every row count of `warehouse.duckdb` (landing and audit tables, by
source and status) and every published mart are compared with their exact values (never
`assert count`, which passes for 0): the previous published state is intact (and, after
the dbt and publish kills, the new files are committed), and the last run gives exactly the
counts and marts of the same run not interrupted (fixture `clean`: the shared run over the
sample and the resubmission, tests/conftest.py). Chained, each killed run is also the
re-run of the kill before it: three kills cost about one pipeline run and a half, where
three separate copies with a re-run each cost about five.

How each test was checked to fail when its guarantee breaks (product code broken once on
purpose in a copy of the project, never committed):
- the publish kill: `publish_analytics` writing straight into `analytics.duckdb` (unlinked
  first, no tmp file and no rename): the test failed, the killed run left an
  analytics.duckdb without the marts (CatalogException reading `marts.dim_school`);
- the landing kill: a commit inserted right after `write_outcomes` records the batch in
  audit.ingest_files (its rows still to come): the test failed, the killed run left the new
  file recorded as accepted (212 accepted emis_report files instead of 211) and the
  rejected files' issues gone. (A commit placed after the landing insert was not caught:
  the test pauses before that point; a break has to come before where the test stops.)
- the dbt kill: `cds run` doing nothing when every file of raw/ is already recorded in
  audit.ingest_files (a "nothing new" shortcut): the test failed, the re-run left the
  half-rebuilt marts (data_quality_issues 80 rows instead of 81, follow_up_list 124
  instead of 125). Chained, checked again the same way: the run after the dbt kill ended
  at once ("nothing new") and the test failed waiting for publish's new file.
- the second-run refusal and the waiting UI run: see that test's docstring.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy.exc

from pipelines.assets.publish import MARTS as PUBLISHED_MARTS
from tests.builders import PROJECT_ROOT, SESSION_DATE, cds_run
from tests.conftest import SAMPLE_ENV, copy_sample_run, query, write_resubmission

# one run over the sample, shared (tests/conftest.py: SAMPLE_RUN_MODULES)
pytestmark = pytest.mark.e2e

LANDING = ["schools", "cds_assessment", "emis_report", "students", "teachers"]
DBT_TARGET = PROJECT_ROOT / "dbt_project" / "target"

# `cds run` with the landing insert into one table paused inside its transaction (test only)
PAUSE_IN_LANDING_WRITE = """
import os, runpy, sys, time
from pathlib import Path
import pipelines.ingest.landing as landing

insert = landing._insert

def paused_insert(con, table, frame):
    insert(con, table, frame)
    if table == os.environ["CDS_TEST_PAUSE_TABLE"] and frame is not None and frame.height:
        # inside write_outcomes' transaction: these rows are inserted, not committed
        Path(os.environ["CDS_TEST_PAUSE_MARKER"]).write_text(str(frame.height))
        time.sleep(600)

landing._insert = paused_insert
sys.argv = ["cds", *sys.argv[1:]]
runpy.run_module("pipelines.cli", run_name="__main__")
"""


def _marts(warehouse: Path) -> dict[str, list]:
    db = warehouse / "analytics.duckdb"
    return {t: sorted(query(db, f"select * from marts.{t}"), key=repr) for t in PUBLISHED_MARTS}


def _counts(warehouse: Path) -> dict[str, int]:
    """Every row count of the pipeline's own database that ingestion and dbt write."""
    db = warehouse / "warehouse.duckdb"
    counts = {f"landing.{s}": query(db, f"select count(*) from landing.{s}")[0][0] for s in LANDING}
    for source, status, n in query(
        db, "select source, status, count(*) from audit.ingest_files group by all"
    ):
        counts[f"ingest_files.{source}.{status}"] = n
    for source, kind, n in query(
        db, "select source, kind, count(*) from audit.ingest_issues group by all"
    ):
        counts[f"ingest_issues.{source}.{kind}"] = n
    for source, n in query(db, "select source, count(*) from audit.quarantined_rows group by 1"):
        counts[f"quarantined_rows.{source}"] = n
    for table in PUBLISHED_MARTS:
        counts[f"marts.{table}"] = query(db, f"select count(*) from marts.{table}")[0][0]
    return counts


class Run:
    """`cds run` in its own process group, its output read as it comes (or it blocks on a
    full pipe)."""

    def __init__(self, raw: Path, warehouse: Path, code: str | None = None, env=None) -> None:
        args = ["run", "--raw", str(raw), "--warehouse", str(warehouse)]
        cmd = [sys.executable, "-m", "pipelines.cli", *args]
        if code is not None:  # the same command, started through a test wrapper
            cmd = [sys.executable, "-c", code, *args]
        self.proc = subprocess.Popen(
            cmd,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={
                **os.environ,
                "CDS_RUN_DATE": SESSION_DATE,
                "PYTHONUNBUFFERED": "1",
                **SAMPLE_ENV,
                **(env or {}),
            },
            start_new_session=True,  # its own process group: dbt dies with it
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.lines.append(line)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def wait_for(self, found, what: str, timeout: float = 600):
        """Poll `found()` until it returns something; fail if the run ends first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (hit := found()) is not None:
                return hit
            if self.proc.poll() is not None and (hit := found()) is None:
                raise AssertionError(f"the run ended before {what}:\n{self.log[-3000:]}")
            time.sleep(0.01)
        raise AssertionError(f"no {what} after {timeout} s:\n{self.log[-3000:]}")

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)
        self._reader.join(timeout=60)
        assert self.proc.returncode == -signal.SIGKILL, self.log[-3000:]


@pytest.fixture(scope="module")
def previous(sample_run: dict) -> dict:
    """The published state every kill starts from: the shared sample run."""
    return {"marts": _marts(sample_run["warehouse"]), "counts": _counts(sample_run["warehouse"])}


@pytest.fixture(scope="module")
def clean(resubmitted_run: dict, previous: dict) -> dict:
    """The same run not interrupted: the shared sample run, then `cds run` over the sample
    and the resubmission (tests/conftest.py `resubmitted_run`). That an incremental run
    publishes the marts of a run from an empty warehouse is tests/test_version_order.py's."""
    warehouse = resubmitted_run["warehouse"]
    state = {"marts": _marts(warehouse), "counts": _counts(warehouse)}
    # the resubmission is visible: a state left as it was is told from the new one
    assert state["counts"]["ingest_files.emis_report.accepted"] == (
        previous["counts"]["ingest_files.emis_report.accepted"] + 1
    )
    assert state["marts"]["reporting_status"] != previous["marts"]["reporting_status"]
    return state


def _kill_inside_the_landing_write(raw: Path, warehouse: Path, root: Path, previous: dict) -> None:
    """Paused inside the landing write's transaction, a second `cds run` is refused; killed
    there, nothing of the open batch is left."""
    marker = root / "inside_landing_write"
    run = Run(
        raw,
        warehouse,
        code=PAUSE_IN_LANDING_WRITE,
        env={"CDS_TEST_PAUSE_TABLE": "landing.emis_report", "CDS_TEST_PAUSE_MARKER": str(marker)},
    )
    inserted = run.wait_for(
        lambda: int(marker.read_text()) if marker.exists() and marker.read_text() else None,
        "the landing write of emis_report",
    )
    assert inserted > 0  # the new version's rows were in the open transaction

    # while it writes, a second cds run on the same warehouse is refused at once
    second = cds_run(raw, warehouse, extra_env=SAMPLE_ENV)
    assert second.returncode == 3, second.stdout[-2000:] + second.stderr[-2000:]
    assert "đang được một lần chạy khác sử dụng" in second.stderr

    run.kill()
    # nothing of the open batch is left: every count is the previous one, exactly
    assert _counts(warehouse) == previous["counts"]
    assert _marts(warehouse) == previous["marts"]


def _dbt_events(log: Path) -> list[dict]:
    events = []
    if log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:  # the line being written
                continue
    return events


def _model_nodes(events: list[dict], name: str) -> dict[str, dict]:
    """unique_id → node_info of the model events called `name` (NodeStart, NodeFinished)."""
    return {
        e["data"]["node_info"]["unique_id"]: e["data"]["node_info"]
        for e in events
        if e["info"]["name"] == name and e["data"]["node_info"].get("resource_type") == "model"
    }


def _kill_inside_a_dbt_model_build(raw: Path, warehouse: Path, previous: dict, clean: dict) -> None:
    """Killed while dbt builds a mart: ingestion has committed, the published file is the
    previous one, publish never began. The kill is sent when dbt's log shows a mart started
    and not finished; on busy cores the model can still finish before the kill lands, and
    then the run is started and killed again (a killed build leaves the same state), up to
    three times."""
    for _attempt in range(3):
        run = Run(raw, warehouse, env={"DBT_LOG_LEVEL_FILE": "debug"})  # NodeStart: debug

        def dbt_log(run: Run = run) -> Path | None:  # this run's build: dbt_models-<id>-<uuid>
            for line in run.lines:
                if " - dbt_models - Running dbt command: `" in line and " build " in line:
                    run_id = line.split(" - ")[4]
                    logs = list(DBT_TARGET.glob(f"dbt_models-{run_id[:7]}-*/dbt.log"))
                    return logs[0] if logs else None
            return None

        log = run.wait_for(dbt_log, "dbt's log")

        def mart_building(log: Path = log) -> str | None:
            events = _dbt_events(log)
            started = _model_nodes(events, "NodeStart")
            finished = _model_nodes(events, "NodeFinished")
            marts = [
                u for u, n in started.items()
                if n["node_path"].startswith("marts/") and u not in finished
            ]  # fmt: skip
            return marts[0] if marts else None

        run.wait_for(mart_building, "a mart model being built, in dbt's log")
        run.kill()
        events = _dbt_events(log)
        in_flight = set(_model_nodes(events, "NodeStart")) - set(
            _model_nodes(events, "NodeFinished")
        )
        if in_flight:
            break
    assert in_flight, "three kills landed between model builds, none inside one"

    # ingestion had committed the new version; the published file is the previous one
    assert (
        _counts(warehouse)["ingest_files.emis_report.accepted"]
        == (clean["counts"]["ingest_files.emis_report.accepted"])
    )
    assert _marts(warehouse) == previous["marts"]
    assert not list(warehouse.glob(".analytics.duckdb.*.tmp"))  # publish never began


def _kill_inside_publish(raw: Path, warehouse: Path, previous: dict, clean: dict) -> None:
    """Killed while publish writes the analytics file: the previous file is whole, the
    half-built one is beside it, dbt's own marts are the new ones."""
    published = (warehouse / "analytics.duckdb").stat()

    def publishing() -> Path | None:
        """A file of the analytics database other than the published one appears, or the
        published one is rewritten: publish has begun (whatever way it writes)."""
        for path in warehouse.glob("*analytics.duckdb*"):
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            if path.name != "analytics.duckdb" or (st.st_ino, st.st_mtime_ns) != (
                published.st_ino,
                published.st_mtime_ns,
            ):
                return path
        return None

    run = Run(raw, warehouse)
    run.wait_for(publishing, "publish's new analytics file")
    run.kill()
    assert _marts(warehouse) == previous["marts"]  # the previous file, whole and readable
    # the kill landed before the rename: the half-built file is still beside the old one
    assert list(warehouse.glob(".analytics.duckdb.*.tmp"))
    # dbt had finished: the warehouse's own marts are the new ones already
    assert _counts(warehouse) == clean["counts"]


def test_killed_in_landing_then_in_dbt_then_in_publish_then_rerun_equals_clean(
    sample_run: dict, previous: dict, clean: dict, tmp_path: Path
) -> None:
    """Three kills in a row on one warehouse, each by the next run of the same command, then
    one run that completes: each kill leaves the state its stage promises, and each run
    takes up what the killed one left (the run after the dbt kill rebuilds the marts though
    every file is recorded; the one after the publish kill publishes again)."""
    raw, warehouse = copy_sample_run(sample_run, tmp_path)
    write_resubmission(raw)
    _kill_inside_the_landing_write(raw, warehouse, tmp_path, previous)
    _kill_inside_a_dbt_model_build(raw, warehouse, previous, clean)
    _kill_inside_publish(raw, warehouse, previous, clean)
    again = cds_run(raw, warehouse, extra_env=SAMPLE_ENV)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert _counts(warehouse) == clean["counts"]
    assert _marts(warehouse) == clean["marts"]


SMALL_DISTRICT = [
    "schools/danh_muc_truong.xlsx",
    "emis_report/2024-2025/dau_nam/31305/31305001_emis_report.xlsx",
]


def test_second_cds_run_is_refused_and_a_ui_step_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrency (issue 21, item 7): a run launched by the `raw_files` sensor, the way the
    UI's daemon launches it (the sensor evaluated with Dagster's `build_sensor_context`, its
    run request executed on a Dagster instance), waits while `cds run` holds the warehouse
    (its writer lock and its DuckDB connection, paused inside its landing write), says so in
    its step's log, and writes only once that run is gone; a second `cds run` is refused.

    Checked by breaking the code once: with `WarehouseDuckDB.get_connection` not taking the
    writer lock, the sensor's run did not wait (its first writing step failed on DuckDB's
    own lock: no "chờ đến lượt" line), and this test failed."""
    import dagster as dg

    from pipelines.definitions import build_definitions
    from pipelines.resources import CdsPaths
    from pipelines.settings import Settings

    for key in ("CDS_RAW_DIR", "CDS_WAREHOUSE_DIR", "CDS_REFERENCE_DIR"):
        monkeypatch.setenv(key, os.environ.get(key, ""))  # build_definitions sets them
    monkeypatch.setenv("CDS_RUN_DATE", SESSION_DATE)
    for key, value in SAMPLE_ENV.items():
        monkeypatch.setenv(key, value)
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    settled = time.time() - 3600  # dropped an hour ago: the sensor does not wait for it
    for rel in SMALL_DISTRICT:
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / "raw" / rel, raw / rel)
        os.utime(raw / rel, (settled, settled))

    marker = tmp_path / "inside_landing_write"
    holder = Run(
        raw,
        warehouse,
        code=PAUSE_IN_LANDING_WRITE,
        env={"CDS_TEST_PAUSE_TABLE": "landing.schools", "CDS_TEST_PAUSE_MARKER": str(marker)},
    )
    try:
        holder.wait_for(lambda: marker.exists() or None, "the holder's landing write")
        second = cds_run(raw, warehouse, extra_env=SAMPLE_ENV)
        assert second.returncode == 3, second.stdout[-2000:] + second.stderr[-2000:]
        assert "đang được một lần chạy khác sử dụng" in second.stderr

        settings = Settings(raw_dir=raw, warehouse_dir=warehouse)
        defs = build_definitions(settings)
        tick = defs.resolve_sensor_def("raw_files")(
            dg.build_sensor_context(
                repository_def=defs.get_repository_def(),
                resources={"paths": CdsPaths.from_settings(settings)},
            )
        )
        [request] = tick.run_requests  # the first tick: everything
        job = defs.resolve_job_def("full_pipeline")
        with dg.DagsterInstance.ephemeral() as instance:
            launched: dict = {}

            def launch() -> None:
                launched["result"] = job.execute_in_process(
                    instance=instance,
                    asset_selection=request.asset_selection,
                    tags=request.tags,
                    raise_on_error=False,
                )

            thread = threading.Thread(target=launch, daemon=True)
            thread.start()

            def log_lines(text: str) -> list:
                """The run's log lines with `text`, read again while the run's thread holds
                the in-memory instance's tables (SQLite: "database table is locked")."""
                for _ in range(100):
                    try:
                        return [
                            e
                            for r in instance.get_runs()
                            for e in instance.all_logs(r.run_id)
                            if text in (e.user_message or "")
                        ]
                    except sqlalchemy.exc.OperationalError:
                        time.sleep(0.1)
                raise TimeoutError("the run's instance stayed locked for 10 s")

            waited = holder.wait_for(  # [] once the run ended without waiting
                lambda: log_lines("chờ đến lượt") or (None if thread.is_alive() else []),
                "the sensor run's step waiting",
            )
            assert waited, "the sensor's run ended without waiting for the warehouse"
            waiting = waited[0]
            time.sleep(1)  # it keeps waiting: nothing of its own is written meanwhile
            assert thread.is_alive()
            assert not log_lines("Đã đến lượt ghi")
            released = time.time()
            holder.kill()  # the OS releases the lock and the DuckDB file
            thread.join(timeout=600)
            assert not thread.is_alive()
            result = launched["result"]
            assert result.success, [e.message for e in result.all_events if e.is_failure]
            [went_on] = [e for e in log_lines("Đã đến lượt ghi") if e.step_key == waiting.step_key]
            assert went_on.timestamp >= released
            written = [
                e
                for e in instance.all_logs(result.run_id)
                if e.step_key == waiting.step_key
                and e.dagster_event is not None
                and e.dagster_event.is_step_materialization
            ]
            assert written and all(e.timestamp >= released for e in written)
    finally:
        if holder.proc.poll() is None:
            holder.kill()
    # the killed holder's open batch left nothing: the registry is there once, from the
    # sensor's run
    assert query(warehouse / "warehouse.duckdb", "select count(*) from landing.schools") == [(54,)]
    assert query(warehouse / "analytics.duckdb", "select count(*) from marts.dim_school") == [(54,)]
