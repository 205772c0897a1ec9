"""Issue 14, class 1: no file can stop a run. A file that kills the reader kills the run once;
the source's journal remembers it, and the next runs judge it alone in a child process with a
memory limit, where it is rejected as `file_crashed_reader` while the other files land. A
worker that dies takes only its file with it.

The crash is real: a `sitecustomize` switches the guard in front of calamine off in every
process of the test's runs (the children inherit it), so a cell at XFD1048576 reaches calamine,
which aborts asking for 512 GiB (no core file: RLIMIT_CORE is 0)."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import parallel
from pipelines.ingest.journal import FOLDER, Journal
from pipelines.ingest.runner import load_ingest_context
from pipelines.ingest.sources import SOURCES
from pipelines.settings import Settings
from tests.builders import PROJECT_ROOT, write_registry
from tests.corpus import MN, REGISTRY, TH, THCS, emis, far_cell

GOOD = ["emis_report/a_dau_nam.xlsx", "emis_report/c_cuoi_nam.xlsx"]
BOMB = "emis_report/b_o_xa.xlsx"  # judged between the two good ones

INGEST = """
import sys
from datetime import datetime
from pathlib import Path
import duckdb
from pipelines.ingest.runner import current_registry, ingest_source, load_ingest_context
from pipelines.ingest.sources import SOURCES
from pipelines.settings import Settings
raw, warehouse = Path(sys.argv[1]), Path(sys.argv[2])
warehouse.mkdir(exist_ok=True)
settings = Settings(raw_dir=raw, warehouse_dir=warehouse, reference_dir=None)
con = duckdb.connect(str(warehouse / "warehouse.duckdb"))
for name in ("schools", "emis_report"):
    source = SOURCES[name]
    ctx = load_ingest_context(settings, registry=current_registry(con), personal=False)
    ingest_source(con, source, raw, ctx, datetime(2026, 1, 1), workers=1)
"""


@pytest.fixture()
def no_guard(tmp_path: Path) -> dict[str, str]:
    """The environment of a process (and its children) whose guard is off."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import pipelines.ingest.file_guard as guard\n"
        "guard.check_xlsx = lambda path: {}  # test only: far cells reach calamine\n"
    )
    path = os.pathsep.join(p for p in (str(hook), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path}


def _raw(root: Path) -> Path:
    raw = root / "raw"
    write_registry(raw, REGISTRY)
    emis(raw / GOOD[0], school=TH)
    far_cell(1048575, 16383)(raw / BOMB)
    emis(raw / GOOD[1], school=THCS, period="Cuối năm", day="27/05/2025")
    return raw


def _no_core() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
        timeout=600, preexec_fn=_no_core,
    )  # fmt: skip


def _files(db: Path) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select source_file, status, reject_rule, reject_message_vi from audit.ingest_files "
            "where source = 'emis_report' order by load_seq"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}  # the latest outcome of each file


def test_a_file_that_kills_the_reader_is_rejected_by_the_next_runs(
    tmp_path: Path, no_guard: dict[str, str]
) -> None:
    raw, warehouse = _raw(tmp_path), tmp_path / "warehouse"
    journal = warehouse / FOLDER / "emis_report.jsonl"

    first = _run(["-c", INGEST, str(raw), str(warehouse)], no_guard)
    assert first.returncode == -signal.SIGABRT, first.stderr[-2000:]
    assert "memory allocation" in first.stderr  # calamine, asking for the whole sheet
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [(op, rel) for op, _, rel, _ in lines] == [
        ("begin", GOOD[0]), ("end", GOOD[0]), ("begin", BOMB)
    ]  # fmt: skip

    for run in ("second", "third"):  # the file stays isolated while it is there
        again = _run(["-c", INGEST, str(raw), str(warehouse)], no_guard)
        assert again.returncode == 0, f"{run}: {again.stderr[-3000:]}"
        files = _files(warehouse / "warehouse.duckdb")
        status, rule, message = files[BOMB]
        assert (status, rule) == ("rejected", "file_crashed_reader")
        assert "bị dừng đột ngột ở lần chạy trước" in message
        assert "SIGABRT" in message and "kiểm tra lại tệp" in message
        assert [files[g][0] for g in GOOD] == ["accepted", "accepted"]
        assert [op for op, *_ in map(json.loads, journal.read_text().splitlines())] == ["begin"]

    # once the file is replaced by a good one, the journal forgets it
    emis(raw / BOMB, school=MN)
    last = _run(["-c", INGEST, str(raw), str(warehouse)], no_guard)
    assert last.returncode == 0, last.stderr[-3000:]
    assert _files(warehouse / "warehouse.duckdb")[BOMB][:2] == ("accepted", None)
    assert not journal.exists()


def test_a_worker_that_dies_takes_only_its_file(
    tmp_path: Path, no_guard: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With worker processes, the run goes on: the files that were in flight are judged
    again alone, and only the one that kills its child is rejected, in this very run."""
    raw = _raw(tmp_path)
    monkeypatch.setenv("PYTHONPATH", no_guard["PYTHONPATH"])  # the spawned children's
    monkeypatch.setattr(parallel, "MIN_FILES_PER_WORKER", 1)
    source = SOURCES["emis_report"]
    ctx = load_ingest_context(Settings(raw, tmp_path, None), registry=None, personal=False)
    items = [(raw / rel, rel, f"{k:064d}") for k, rel in enumerate(sorted([*GOOD, BOMB]))]
    journal = Journal(tmp_path / FOLDER / "emis_report.jsonl")
    old = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, old[1]))  # inherited by the workers
    try:
        out = list(parallel.evaluate_in_order(items, source, ctx, 2, journal))
    finally:
        resource.setrlimit(resource.RLIMIT_CORE, old)
    by_file = {item[1]: result for item, result in out}
    assert [item[1] for item, _ in out] == sorted([*GOOD, BOMB])  # in the listing's order
    crashed = by_file[BOMB]
    assert (crashed.status, crashed.reject_rule) == ("rejected", "file_crashed_reader")
    assert "Tệp làm tiến trình đọc bị dừng đột ngột" in crashed.reject_message_vi
    assert all(not isinstance(by_file[g], Exception) for g in GOOD)
    # its entry stays open: the next run judges it alone from the start
    assert journal.path.exists()
    assert Journal(journal.path).open(items) == {items[1][2]}


def test_the_journal_lives_next_to_the_warehouse(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        journal = Journal.for_connection(con, "students")
    assert journal is not None
    assert journal.path == tmp_path.resolve() / FOLDER / "students.jsonl"
    with duckdb.connect() as con:
        assert Journal.for_connection(con, "students") is None  # nowhere to keep it


def test_a_line_cut_by_the_crash_and_copies_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / FOLDER / "x.jsonl"
    path.parent.mkdir()
    when = datetime(2026, 1, 1).isoformat()
    path.write_text(
        json.dumps(["begin", "a" * 64, "x/1.xlsx", when]) + "\n"
        + json.dumps(["begin", "b" * 64, "x/2.xlsx", when]) + "\n"
        + json.dumps(["end", "b" * 64, "x/2.xlsx", when]) + "\n"
        + '["begin", "c'  # cut short by the crash
    )  # fmt: skip
    items = [(tmp_path / "copy.xlsx", "x/copy.xlsx", "a" * 64), (tmp_path / "2", "x/2", "b" * 64)]
    journal = Journal(path)
    assert journal.open(items) == {"a" * 64}  # by content, whatever its name now
    assert journal.suspects["a" * 64] == ("x/1.xlsx", when)
    journal.begin(items[1])
    journal.end(items[1])
    journal.close()
    assert Journal(path).open(items) == {"a" * 64}  # never ended: still a suspect


@pytest.mark.e2e
def test_cds_run_dies_once_then_rejects_the_file_and_lands_the_rest(
    tmp_path: Path, no_guard: dict[str, str]
) -> None:
    """The same through `cds run`: the journal sits next to the warehouse it writes to."""
    raw, warehouse = _raw(tmp_path), tmp_path / "warehouse"
    run = ["-m", "pipelines.cli", "run", "--raw", str(raw), "--warehouse", str(warehouse)]
    first = _run(run, no_guard)
    assert first.returncode == -signal.SIGABRT, first.stderr[-2000:]
    assert (warehouse / FOLDER / "emis_report.jsonl").exists()

    second = _run(run, no_guard)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "file_crashed_reader" in second.stdout + second.stderr  # the run's log says so
    files = _files(warehouse / "warehouse.duckdb")
    assert files[BOMB][:2] == ("rejected", "file_crashed_reader")
    assert [files[g][0] for g in GOOD] == ["accepted", "accepted"]
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        landed = con.execute("select distinct _source_file from landing.emis_report").fetchall()
    assert sorted(r[0] for r in landed) == GOOD
