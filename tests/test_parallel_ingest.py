"""Files judged in worker processes land exactly as when judged one by one (issue 9), and
they really are judged in worker processes (issue 21, item 10).

Which process judged each file is recorded by a test-only wrapper around
`parallel._judge`: the pool pickles the function by name, so the spawned workers run the
wrapper too, and each call appends its file to `<pid>.txt` in a folder named by an
environment variable the workers inherit. No product code is changed.

How this was checked (issue 21): in a copy of the checkout, `_evaluate` in
pipelines/ingest/parallel.py was made to judge every file in the calling process
(`workers = 1` after its first line). `test_worker_processes_give_the_same_landing_and_audit`
still passed (same results, as before this test existed), and
`test_files_are_judged_in_two_worker_processes` failed: every file had been judged by the
test's own PID. Restored; the break was never committed.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import parallel
from pipelines.ingest.runner import (
    current_registry,
    ingest_source,
    list_source_files,
    load_ingest_context,
)
from pipelines.ingest.sources import SOURCES
from pipelines.settings import Settings
from tests.builders import PROJECT_ROOT

LOADED_AT = datetime(2026, 1, 1)
PID_DIR = "CDS_TEST_JUDGED_BY_DIR"
_original_judge = parallel._judge


def _recording_judge(item):
    """`parallel._judge`, and the PID of the process that ran it (module level, so that
    the pool pickles it by name and the spawned workers import it)."""
    _path, rel, _sha = item
    folder = Path(os.environ[PID_DIR])
    with (folder / f"{os.getpid()}.txt").open("a", encoding="utf-8") as f:
        f.write(rel + "\n")
    return _original_judge(item)


def _ingest(workers: int) -> duckdb.DuckDBPyConnection:
    settings = Settings(raw_dir=PROJECT_ROOT / "raw", warehouse_dir=Path("."), reference_dir=None)
    con = duckdb.connect()
    for name in ("schools", "students"):
        source = SOURCES[name]
        ctx = load_ingest_context(
            settings, registry=current_registry(con), personal=source.personal
        )
        ingest_source(con, source, settings.raw_dir, ctx, LOADED_AT, workers=workers)
    return con


def _judged_by(folder: Path) -> dict[int, list[str]]:
    return {
        int(f.stem): f.read_text(encoding="utf-8").split() for f in sorted(folder.glob("*.txt"))
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The sample's registry and students ingested one by one, then with two workers; each
    time, which process judged which file."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDS_PSEUDONYM_KEY", "parallel-test-secret")
        mp.setattr(parallel, "MIN_FILES_PER_WORKER", 1)
        mp.setattr(parallel, "_judge", _recording_judge)  # raises if the name is gone
        out: dict = {}
        for label, workers in (("serial", 1), ("parallel", 2)):
            folder = tmp_path_factory.mktemp(f"judged_{label}")
            mp.setenv(PID_DIR, str(folder))
            out[label] = _ingest(workers)
            out[f"{label}_pids"] = _judged_by(folder)
        return out


def test_worker_processes_give_the_same_landing_and_audit(runs: dict) -> None:
    serial, parallel_ = runs["serial"], runs["parallel"]
    for sql in (
        "select * exclude (_loaded_at) from landing.students order by _load_seq, _row",
        "select * exclude (loaded_at) from audit.ingest_files order by load_seq",
        "select * exclude (loaded_at) from audit.ingest_issues order by all",
        "select * exclude (loaded_at) from audit.quarantined_rows order by all",
    ):
        expected = serial.execute(sql).fetchall()
        assert expected and parallel_.execute(sql).fetchall() == expected, sql


def test_files_are_judged_in_two_worker_processes(runs: dict) -> None:
    """With two workers, every file of the sample's students is judged once, outside this
    process, by two distinct processes; one by one, every file is judged here."""
    students = {
        p.relative_to(PROJECT_ROOT / "raw").as_posix()
        for p in list_source_files(PROJECT_ROOT / "raw", "students")
    }
    assert len(students) > 100

    serial = runs["serial_pids"]
    assert set(serial) == {os.getpid()}  # the wrapper records calls in this process too
    assert students <= set(serial[os.getpid()])

    by_pid = runs["parallel_pids"]
    judged = [rel for files in by_pid.values() for rel in files]
    students_judged = [rel for rel in judged if rel.startswith("students/")]
    assert sorted(students_judged) == sorted(students)  # each file once, none lost
    workers = {pid for pid, files in by_pid.items() if any(f in students for f in files)}
    assert os.getpid() not in workers
    assert len(workers) == 2, {pid: len(files) for pid, files in by_pid.items()}
