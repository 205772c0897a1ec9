"""python -m benchmarks.drop_to_result: from a school's corrected file dropped into raw/ to the
corrected figure in analytics.duckdb, with the UI running as an office runs it (issue 15).

It copies the bundled sample to .bench/drop/, builds the warehouse once with `cds run`, then
starts `cds ui` (webserver and daemon, with the project's dagster.yaml) on a free port and
waits for the sensor's first run (the reference data is new to it) to end. Then, `--repeat`
times, it drops a corrected statistical report (one count raised, dated three days later)
and polls analytics.duckdb until the report's value is published. It prints, per drop, the
seconds from the drop to the run's creation (tick and settle), from creation to the run's
start (queue and launch), the run itself, and from the drop to the published figure.
Target: under 30 s for one corrected report.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import openpyxl

from benchmarks.resubmit import write_resubmission
from benchmarks.scales import BENCH_DIR
from pipelines.settings import PROJECT_ROOT

CDS = str(Path(sys.executable).parent / "cds")
TARGET_SECONDS = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _published(analytics: Path, sql: str, params: list) -> object:
    """The value in the published file, or None while it cannot be read (being swapped)."""
    try:
        with duckdb.connect(str(analytics), read_only=True) as con:
            rows = con.execute(sql, params).fetchall()
    except duckdb.Error:
        return None
    return rows[0][0] if rows else None


def _raise_last_count(path: Path, by: int) -> None:
    """Make the n-th correction differ from the others: a content the sensor has not seen."""
    wb = openpyxl.load_workbook(path)
    cells = [r[2] for r in wb.active.iter_rows() if len(r) > 2 and isinstance(r[2].value, int)]
    cells[-1].value += by
    wb.save(path)


def _runs(storage: Path):
    from dagster import DagsterInstance

    os.environ["CDS_DAGSTER_STORAGE"] = str(storage)
    os.environ["DAGSTER_HOME"] = str(PROJECT_ROOT)
    return DagsterInstance.get()


def _wait_idle(instance, since: float, timeout: float) -> None:
    """Until a run created after `since` has ended and none is queued or running."""
    from dagster import DagsterRunStatus, RunsFilter

    busy = [
        DagsterRunStatus.QUEUED,
        DagsterRunStatus.NOT_STARTED,
        DagsterRunStatus.STARTING,
        DagsterRunStatus.STARTED,
    ]
    deadline = time.time() + timeout
    while time.time() < deadline:
        records = instance.get_run_records(limit=5)
        done = [r for r in records if r.create_timestamp.timestamp() >= since]
        if done and not instance.get_runs(filters=RunsFilter(statuses=busy)):
            return
        time.sleep(1)
    raise SystemExit(f"no run ended within {timeout:.0f} s")


def measure(repeat: int, tick: str | None, settle: str | None) -> list[dict[str, float]]:
    base = BENCH_DIR / "drop"
    shutil.rmtree(base, ignore_errors=True)
    raw, warehouse, storage = base / "raw", base / "warehouse", base / "dagster"
    shutil.copytree(PROJECT_ROOT / "raw", raw)
    storage.mkdir(parents=True)
    subprocess.run(
        [CDS, "run", "--raw", str(raw), "--warehouse", str(warehouse)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    env = {**os.environ, "CDS_DAGSTER_STORAGE": str(storage)}
    if tick:
        env["CDS_SENSOR_SECONDS"] = tick
    if settle:
        env["CDS_SETTLE_SECONDS"] = settle
    # Dagster's run history is created here, before the UI starts: two processes creating
    # a fresh SQLite storage at once can stamp its schema twice ("alembic_version has more
    # than one head", Dagster issue 27390), which stopped this benchmark's UI once.
    instance = _runs(storage)
    port = _free_port()
    ui = subprocess.Popen(
        [CDS, "ui", "--port", str(port), "--raw", str(raw), "--warehouse", str(warehouse)],
        env=env,
        stdout=(base / "ui.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    results = []
    try:
        started = time.time()
        _wait_idle(instance, started - 60, timeout=600)  # the sensor's first, full run
        analytics = warehouse / "analytics.duckdb"
        for n in range(repeat):
            staged = write_resubmission(raw)  # beside raw/'s file: the sensor may see it
            _raise_last_count(staged, n)
            final = staged.with_name(f"{staged.stem}_{n}.xlsx")
            school = final.name[:8]
            # every new version of the school's report is counted in reporting_status
            sql = (
                "select sum(versions) from marts.reporting_status where school_code = ? "
                "and report = 'emis_report'"
            )
            before = _published(analytics, sql, [school])
            staged.rename(final)  # the drop: one rename, as a finished copy lands
            dropped = time.time()
            while time.time() - dropped < 300:
                now = _published(analytics, sql, [school])
                if now is not None and now != before:
                    break
                time.sleep(0.5)
            else:
                raise SystemExit(f"the correction {final.name} was not published in 300 s")
            published = time.time()
            _wait_idle(instance, dropped, timeout=300)
            # the run the drop caused: the first one created after it
            record = min(
                (r for r in instance.get_run_records(limit=10)
                 if r.create_timestamp.timestamp() >= dropped),
                key=lambda r: r.create_timestamp,
            )  # fmt: skip
            created = record.create_timestamp.timestamp()
            start = record.start_time or created
            results.append(
                {
                    "drop_to_run": created - dropped,
                    "queue": start - created,
                    "run_to_result": published - start,
                    "run_total": (record.end_time or published) - start,
                    "drop_to_result": published - dropped,
                }
            )
            r = results[-1]
            print(
                f"drop {n + 1}: {r['drop_to_result']:.1f} s to the published figure "
                f"(tick+settle {r['drop_to_run']:.1f} s, queue and launch {r['queue']:.1f} s, "
                f"run start to publication {r['run_to_result']:.1f} s; the whole run "
                f"{r['run_total']:.1f} s with reports and docs)",
                flush=True,
            )
    finally:
        os.killpg(ui.pid, signal.SIGTERM)
        try:
            ui.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(ui.pid, signal.SIGKILL)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.drop_to_result", description=__doc__
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tick", default=None, help="CDS_SENSOR_SECONDS for this measure")
    parser.add_argument("--settle", default=None, help="CDS_SETTLE_SECONDS for this measure")
    args = parser.parse_args(argv)
    results = measure(args.repeat, args.tick, args.settle)
    median = statistics.median(r["drop_to_result"] for r in results)
    verdict = "met" if median <= TARGET_SECONDS else "missed"
    print(
        f"drop to result, median of {len(results)}: {median:.1f} s "
        f"(target ≤ {TARGET_SECONDS:.0f} s: {verdict})"
    )


if __name__ == "__main__":
    main()
