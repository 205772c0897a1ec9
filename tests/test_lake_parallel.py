"""Provinces in parallel (issue 17, item 3): `cds run --lake … --parallel N`.

One generated input of 4 provinces (5 schools each, planted faults included) and three
runs on two throwaway PostgreSQL catalogs:

1. `--parallel 1` into lake A;
2. `--parallel 4` into lake B, one province's worker killed (SIGKILL) once the provinces
   have started appending: the run fails at that step only;
3. the same `--parallel 4` again into lake B: it completes.

An analyst's reader is attached to lake B through runs 2 and 3, reading in one snapshot
the files recorded and the rows landed, over and over. Lake B, built by concurrent
provinces, a killed worker and a repeated run, must publish the marts of lake A row by row;
the load numbers (`load_seq`) of the files the killed worker had not committed are the
only difference allowed (a repeated run gives them new numbers), so that column is left
out of the comparison.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import psutil
import pytest

from benchmarks.parallel import step_processes
from tests.builders import PROJECT_ROOT, SESSION_DATE
from tests.conftest import query
from tests.pg_server import throwaway_postgres

# three pipeline runs: over the suite's 900 s per test on 2 busy cores
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(3600)]

ENV = {"CDS_PSEUDONYM_KEY": "test-secret-for-provinces", "CDS_RUN_DATE": SESSION_DATE}
PROVINCE_STEP = "province_landing.ingest_province["

# In one snapshot (one transaction): per source, the rows the accepted files say they
# landed and the rows landed; load numbers used twice; files accepted twice.
READER = """
import json, sys, time, duckdb
from pipelines.lake import install_extensions
install_extensions()
con = duckdb.connect()
con.execute("load ducklake"); con.execute("load postgres_scanner")
catalog = sys.argv[1]
while True:
    try:
        con.execute(f"attach if not exists '{catalog}' as lake (read_only)")
        con.execute("begin transaction")
        said = dict(con.execute(
            "select source, sum(rows_accepted) from lake.audit.ingest_files "
            "where status = 'accepted' and source <> 'schools' group by 1").fetchall())
        landed = {s: con.execute(f"select count(*) from lake.landing.{s}").fetchone()[0]
                  for s in said}
        seq_twice = con.execute(
            "select count(*) - count(distinct load_seq) from lake.audit.ingest_files").fetchone()[0]
        accepted_twice = con.execute(
            "select count(*) - count(distinct (source, file_sha256)) from lake.audit.ingest_files "
            "where status = 'accepted'").fetchone()[0]
        con.execute("commit")
        print(json.dumps({"said": said, "landed": landed, "seq_twice": seq_twice,
                          "accepted_twice": accepted_twice}), flush=True)
    except duckdb.Error as exc:  # the lake not made yet, or its tables not yet created
        try:
            con.execute("rollback")
        except duckdb.Error:
            pass
        print(json.dumps({"error": str(exc)[:200]}), flush=True)
    time.sleep(0.5)
"""


def _cds(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *args]


def _run_args(raw: Path, warehouse: Path, dsn: str, data: Path, parallel: int) -> list[str]:
    return _cds("run", "--raw", str(raw), "--warehouse", str(warehouse), "--lake",
                f"ducklake:postgres:{dsn}", "--lake-data", str(data),
                "--parallel", str(parallel))  # fmt: skip


def _env() -> dict[str, str]:
    import os

    return {**os.environ, **ENV}


def _kill_a_province(run: subprocess.Popen, lines: Iterator[dict]) -> int:
    """Once the reader sees rows landed by a province, SIGKILL the youngest step process
    (a province's: the plan is done, the finish waits for all); returns how many step
    processes were alive then."""
    parent = psutil.Process(run.pid)
    for line in lines:
        if run.poll() is not None:
            raise AssertionError("the run ended before any province was killed")
        if sum(line.get("landed", {}).values()) > 0:
            steps = step_processes(parent)
            if steps:
                victim = max(steps, key=lambda p: p.create_time())
                victim.send_signal(signal.SIGKILL)
                return len(steps)
    raise AssertionError("the reader stopped")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("provinces")
    raw = root / "raw"
    subprocess.run(
        _cds("generate", "--scale", "national", "--provinces", "4", "--districts", "1",
             "--schools-per-level", "1", "--faults", "--out", str(raw)),
        check=True, cwd=PROJECT_ROOT, capture_output=True,
    )  # fmt: skip
    with ExitStack() as stack:
        dsn_a = stack.enter_context(throwaway_postgres())
        dsn_b = stack.enter_context(throwaway_postgres())
        started = time.monotonic()
        one = subprocess.run(
            _run_args(raw, root / "one", dsn_a, root / "lake_one", 1),
            capture_output=True, text=True, cwd=PROJECT_ROOT, env=_env(), timeout=1800,
        )  # fmt: skip
        assert one.returncode == 0, one.stdout[-3000:] + one.stderr[-3000:]
        seconds = {"parallel 1": time.monotonic() - started}
        reader_out = root / "reader.jsonl"
        reader = stack.enter_context(
            subprocess.Popen(
                [sys.executable, "-c", READER, f"ducklake:postgres:{dsn_b}"],
                stdout=reader_out.open("w"), cwd=PROJECT_ROOT, env=_env(),
            )
        )  # fmt: skip
        stack.callback(reader.kill)
        args = _run_args(raw, root / "four", dsn_b, root / "lake_four", 4)
        started = time.monotonic()
        killed = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=PROJECT_ROOT, env=_env(),
        )  # fmt: skip
        alive = _kill_a_province(killed, _follow(reader_out, killed))
        killed_out, killed_err = killed.communicate(timeout=1800)
        seconds["killed"] = time.monotonic() - started
        started = time.monotonic()
        again = subprocess.run(
            args, capture_output=True, text=True, cwd=PROJECT_ROOT, env=_env(), timeout=1800
        )
        seconds["repeated"] = time.monotonic() - started
        time.sleep(2)  # the reader reads the finished lake once more
        reader.kill()
        print(f"run times: {seconds}")
        yield {
            "one": root / "one",
            "four": root / "four",
            "killed": (killed.returncode, killed_out, killed_err, alive),
            "again": again,
            "reader": [json.loads(x) for x in reader_out.read_text().splitlines() if x],
        }


def _follow(path: Path, run: subprocess.Popen) -> Iterator[dict]:
    """The reader's lines as they come, while the run lasts."""
    with path.open() as f:
        while run.poll() is None:
            line = f.readline()
            if line.endswith("\n"):
                yield json.loads(line)
            else:
                time.sleep(0.2)


def _marts(analytics: Path) -> dict[str, list[tuple]]:
    """Each published mart's rows, sorted, without `load_seq`."""
    tables = [
        r[0]
        for r in query(
            analytics,
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1",
        )
    ]
    marts = {}
    for table in tables:
        columns = [
            r[0]
            for r in query(
                analytics,
                "select column_name from duckdb_columns() where schema_name = 'marts' "
                "and table_name = ? and column_name <> 'load_seq' order by column_index",
                [table],
            )
        ]
        select = ", ".join(f'"{c}"' for c in columns)
        marts[table] = sorted(query(analytics, f"select {select} from marts.{table}"), key=repr)
    return marts


def test_a_killed_province_fails_its_step_only(runs: dict) -> None:
    code, out, err, alive = runs["killed"]
    assert code == 1, out[-3000:] + err[-3000:]
    failed = [line for line in err.splitlines() if line.startswith("✗ Bước ")]
    assert failed, err[-3000:]
    assert all(line.startswith(f"✗ Bước {PROVINCE_STEP}") for line in failed), failed
    assert alive >= 2  # provinces were running side by side when one was killed


def test_parallel_4_after_a_kill_publishes_the_marts_of_parallel_1(runs: dict) -> None:
    again = runs["again"]
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    one = _marts(runs["one"] / "analytics.duckdb")
    four = _marts(runs["four"] / "analytics.duckdb")
    assert len(one) >= 11 and sum(map(len, one.values())) > 0
    assert four.keys() == one.keys()
    for table, rows in one.items():
        assert four[table] == rows, table


def test_nothing_is_counted_twice(runs: dict) -> None:
    last = runs["reader"][-1]
    assert last.get("seq_twice") == 0 and last.get("accepted_twice") == 0, last
    one = runs["one"] / "analytics.duckdb"
    four = runs["four"] / "analytics.duckdb"
    counts = "select count(*), sum(versions) from marts.reporting_status"
    assert query(four, counts) == query(one, counts)


def test_a_reader_during_the_runs_sees_consistent_snapshots(runs: dict) -> None:
    seen = [line for line in runs["reader"] if "said" in line]
    assert len(seen) >= 3
    for line in seen:
        assert line["said"] == line["landed"], line  # a batch lands with its files, or not
        assert line["seq_twice"] == 0 and line["accepted_twice"] == 0, line
    landed = [sum(line["landed"].values()) for line in seen]
    assert landed == sorted(landed) and len(set(landed)) >= 2  # it watched the lake grow
