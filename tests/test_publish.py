"""analytics.duckdb is replaced atomically: open readers keep their view, new ones see the new."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from pipelines.publish import publish_analytics
from pipelines.reference.labels import load_labels
from pipelines.settings import SHIPPED_REFERENCE

LABELS = load_labels(SHIPPED_REFERENCE / "labels_vi.csv")


def _warehouse(path: Path, n: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts")
    con.execute("create schema if not exists landing")
    con.execute("create or replace table landing.secret as select 'Nguyễn Văn A' as full_name")
    con.execute(f"create or replace table marts.t as select range as v from range({n})")
    return con


def test_publish_copies_marts_only(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "warehouse.duckdb", 3)
    counts = publish_analytics(con, tmp_path / "analytics.duckdb", LABELS)
    con.close()
    assert counts == {"t": 3}
    pub = duckdb.connect(str(tmp_path / "analytics.duckdb"), read_only=True)
    objects = set(
        pub.execute(
            "select table_schema, table_name, table_type from information_schema.tables"
        ).fetchall()
    )
    # the marts only: never landing's personal data, nothing beside them
    assert objects == {("marts", "t", "BASE TABLE")}
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob("*.wal"))


READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("select count(*) from marts.t").fetchone()[0], flush=True)
sys.stdin.readline()  # hold the file open until told to look again
print(con.execute("select count(*) from marts.t").fetchone()[0], flush=True)
"""


def _count_in_new_process(target: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-c", READER, str(target)],
        input="\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return int(out.stdout.split()[0])


def test_reader_keeps_old_view_while_new_version_is_published(tmp_path: Path) -> None:
    """An analyst's process holds analytics.duckdb open while the pipeline publishes."""
    target = tmp_path / "analytics.duckdb"
    con = _warehouse(tmp_path / "warehouse.duckdb", 3)
    publish_analytics(con, target, LABELS)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None and reader.stdin is not None
    assert reader.stdout.readline().strip() == "3"
    con.execute("create or replace table marts.t as select range as v from range(5)")
    publish_analytics(con, target, LABELS)  # succeeds although a reader holds the file open
    con.close()
    reader.stdin.write("\n")
    reader.stdin.flush()
    assert reader.stdout.readline().strip() == "3"  # its consistent old view
    assert reader.wait(timeout=30) == 0
    assert _count_in_new_process(target) == 5  # a new connection sees the new version
