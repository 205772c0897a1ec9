"""Issue 8: `cds run` killed with SIGKILL mid-ingest and mid-dbt, then run again, ends with
the marts of an uninterrupted run; analytics.duckdb is never half-written; a second writer
is refused (cds run) or waits (a run launched from the UI)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipelines.assets.publish import MARTS as PUBLISHED_MARTS
from tests.builders import PROJECT_ROOT, cds_run
from tests.conftest import SAMPLE_ENV, copy_sample_run, query

# one run over the sample, shared (tests/conftest.py: SAMPLE_RUN_MODULES)
pytestmark = pytest.mark.e2e

RESUBMITTED = "emis_report/2024-2025/cuoi_nam/31305/31305005_emis_report.csv"


def _marts(warehouse: Path) -> dict[str, list]:
    db = warehouse / "analytics.duckdb"
    return {t: sorted(query(db, f"select * from marts.{t}"), key=repr) for t in PUBLISHED_MARTS}


def _resubmit(raw: Path) -> None:
    original = raw / RESUBMITTED
    (original.parent / "31305005_emis_report_nop_lai.csv").write_bytes(
        original.read_bytes() + b"\n"
    )


def _start(
    raw: Path, warehouse: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "pipelines.cli", "run", "--raw", str(raw),
           "--warehouse", str(warehouse)]  # fmt: skip
    return subprocess.Popen(
        cmd,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(extra_env or {})},
        start_new_session=True,  # its own process group: dbt dies with it
    )


def _kill_after(proc: subprocess.Popen[str], marker: str, delay: float) -> str:
    """SIGKILL the run and its children `delay` seconds after a log line holds `marker`."""
    seen = []
    for line in proc.stdout:  # type: ignore[union-attr]
        seen.append(line)
        if marker in line:
            time.sleep(delay)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
            return "".join(seen)
    raise AssertionError(f"run ended before '{marker}':\n{''.join(seen)[-3000:]}")


@pytest.fixture(scope="module")
def raw_and_reference(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("crash")
    raw = root / "raw"
    shutil.copytree(PROJECT_ROOT / "raw", raw)
    final_raw = root / "final_raw"
    shutil.copytree(raw, final_raw)
    _resubmit(final_raw)
    reference = root / "reference"
    result = cds_run(final_raw, reference)
    assert result.returncode == 0, result.stderr[-3000:]
    return {"root": root, "raw": raw, "final_raw": final_raw, "reference": _marts(reference)}


def test_killed_mid_ingest_then_rerun_equals_uninterrupted(raw_and_reference: dict) -> None:
    warehouse = raw_and_reference["root"] / "killed_ingest"
    raw = raw_and_reference["final_raw"]
    proc = _start(raw, warehouse)
    # teachers are ingested right after students; their batch is mid-way 0.5 s later
    _kill_after(proc, " - landing__students - ", 0.5)
    assert proc.returncode == -signal.SIGKILL
    loaded = dict(query(warehouse / "warehouse.duckdb",
                        "select source, count(*) from audit.ingest_files group by 1"))  # fmt: skip
    assert loaded.get("students") and not loaded.get("teachers")  # killed inside ingestion
    assert not (warehouse / "analytics.duckdb").exists()

    again = cds_run(raw, warehouse)
    assert again.returncode == 0, again.stderr[-3000:]
    assert _marts(warehouse) == raw_and_reference["reference"]


def test_killed_mid_dbt_keeps_analytics_whole_then_rerun_equals_uninterrupted(
    raw_and_reference: dict, sample_run: dict
) -> None:
    # the first, complete run over the sample is the shared one (tests/conftest.py), copied:
    # its runs use its pseudonymisation key
    raw, warehouse = copy_sample_run(sample_run, raw_and_reference["root"] / "killed_dbt")
    published = _marts(warehouse)

    _resubmit(raw)
    proc = _start(raw, warehouse, extra_env=SAMPLE_ENV)
    log = _kill_after(proc, "Running dbt command: `", 2.0)
    assert "dbt_models" in log and "Đã xuất bản" not in log
    assert _marts(warehouse) == published  # the old analytics.duckdb, whole and readable
    assert query(warehouse / "warehouse.duckdb", "select count(*) from audit.ingest_files")

    again = cds_run(raw, warehouse, extra_env=SAMPLE_ENV)
    assert again.returncode == 0, again.stderr[-3000:]
    assert _marts(warehouse) == raw_and_reference["reference"]


def test_second_cds_run_is_refused_and_a_ui_step_waits(raw_and_reference: dict) -> None:
    root = raw_and_reference["root"]
    warehouse = root / "concurrent"
    proc = _start(raw_and_reference["raw"], warehouse)
    for line in proc.stdout:  # type: ignore[union-attr]
        if " - landing__" in line:  # the first run is writing
            break
    rest: list[str] = []  # keep reading its log, or it blocks on a full pipe
    drain = threading.Thread(target=lambda: rest.extend(proc.stdout), daemon=True)  # type: ignore[arg-type]
    drain.start()
    second = cds_run(raw_and_reference["raw"], warehouse)
    assert second.returncode == 3
    assert "đang được một lần chạy khác sử dụng" in second.stderr

    waiter = subprocess.run(
        [
            sys.executable,
            "-c",
            "import logging, time; from pipelines.resources import WarehouseDuckDB\n"
            "logging.basicConfig(level=logging.INFO)  # a run's step log, outside a run\n"
            f"r = WarehouseDuckDB(database={str(warehouse / 'warehouse.duckdb')!r})\n"
            "with r.get_connection() as con:\n"
            "    n = con.execute('select count(*) from audit.ingest_files').fetchall()[0][0]\n"
            "print(time.time(), n)",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.wait(timeout=600) == 0, "".join(rest)[-3000:]
    assert waiter.returncode == 0, waiter.stderr[-3000:]
    assert "chờ đến lượt" in waiter.stderr  # it said it was waiting, then went on
    # it ran once the first run had finished: it saw all of its work, not a half of it
    total = query(warehouse / "warehouse.duckdb", "select count(*) from audit.ingest_files")
    assert int(waiter.stdout.split()[1]) == total[0][0] > 0
