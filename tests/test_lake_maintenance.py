"""`cds lake-maintain` (issue 17, item 5): DuckLake's own maintenance on the warehouse lake.

Fast, no PostgreSQL and no pipeline run: a catalog-file lake gets several small commits
to one table through `pipelines.lake.attach` (as the pipeline writes it), then the
command runs in process. With the default retention (7 days) it merges the small files
and keeps every snapshot and every old file (time travel still works); with
`--keep-days 0` (here through CDS_LAKE/CDS_LAKE_DATA) it expires the old snapshots and
deletes the files nobody refers to. The table reads the same, row for row, throughout.
It never runs beside a run: with the warehouse's writer lock held it exits 3.

How it was checked: with the `ducklake_merge_adjacent_files` call removed from
`pipelines/lake_maintenance.py`, `test_maintenance_merges_small_files_and_keeps_history`
failed (`assert 9 < 8`: the live data files grew by the flushed inline rows, none merged); with `older_than => now() - …` in
`ducklake_expire_snapshots` replaced by a fixed one-year retention,
`test_keep_days_0_expires_snapshots_and_deletes_old_files` failed (`assert 15 < 13`:
no snapshot expired).
Both restored; they pass as the code is.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from click.testing import CliRunner
from filelock import FileLock

from pipelines.cli import main
from pipelines.lake import Lake, attach
from pipelines.lake_maintenance import lake_state
from pipelines.warehouse_lock import LOCK_FILE

COMMITS = 8


def _lake(tmp_path: Path) -> Lake:
    return Lake.parse(str(tmp_path / "lake" / "catalog.ducklake"), None)


def _parquet_on_disk(lake: Lake) -> int:
    return sum(1 for _ in Path(lake.data_path).rglob("*.parquet"))


def _write_small_commits(lake: Lake, warehouse: Path) -> None:
    assert lake.catalog_file is not None
    lake.catalog_file.parent.mkdir(parents=True)
    con = duckdb.connect()
    try:
        attach(con, lake, warehouse)
        con.execute("create schema landing")
        con.execute("create table landing.file_outcomes (batch int, school_code varchar, n int)")
        for batch in range(COMMITS):  # one small Parquet file each
            con.execute(
                "insert into landing.file_outcomes select ?, printf('3100%04d', range), range "
                "from range(300)",
                [batch],
            )
        con.execute("insert into landing.file_outcomes values (99, '31009999', 1)")  # inlined
        con.execute("delete from landing.file_outcomes where batch = 0 and n < 150")
    finally:
        con.close()


def _read(lake: Lake, warehouse: Path, version: int | None = None):
    con = duckdb.connect()
    try:
        attach(con, lake, warehouse)
        at = f" at (version => {version})" if version is not None else ""
        rows = con.execute(f"select * from landing.file_outcomes{at} order by all").fetchall()
        return rows, lake_state(con)
    finally:
        con.close()


def _maintain(args: list[str], env: dict[str, str] | None = None):
    return CliRunner().invoke(main, ["lake-maintain", *args], env=env)


def test_maintenance_merges_small_files_and_keeps_history(tmp_path: Path) -> None:
    lake, warehouse = _lake(tmp_path), tmp_path / "warehouse"
    _write_small_commits(lake, warehouse)
    rows, before = _read(lake, warehouse)
    old_rows, _ = _read(lake, warehouse, version=4)  # two inserts in
    on_disk = _parquet_on_disk(lake)
    assert before.data_files >= COMMITS

    result = _maintain(["--warehouse", str(warehouse), "--lake", lake.catalog])
    assert result.exit_code == 0, result.output
    assert "✓ Xong" in result.output and "Đã gộp" in result.output

    after_rows, after = _read(lake, warehouse)
    assert after_rows == rows
    assert after.data_files < before.data_files
    assert after.snapshots >= before.snapshots  # 7 days kept: nothing expired yet
    assert _read(lake, warehouse, version=4)[0] == old_rows  # time travel still works
    assert _parquet_on_disk(lake) > on_disk  # merged files written, none deleted yet


def test_keep_days_0_expires_snapshots_and_deletes_old_files(tmp_path: Path) -> None:
    lake, warehouse = _lake(tmp_path), tmp_path / "warehouse"
    _write_small_commits(lake, warehouse)
    rows, before = _read(lake, warehouse)
    on_disk = _parquet_on_disk(lake)

    env = {"CDS_LAKE": lake.catalog, "CDS_LAKE_DATA": lake.data_path}
    result = _maintain(["--warehouse", str(warehouse), "--keep-days", "0"], env=env)
    assert result.exit_code == 0, result.output
    assert "tệp cũ" in result.output

    after_rows, after = _read(lake, warehouse)
    assert after_rows == rows
    assert after.snapshots < before.snapshots
    assert after.data_files < before.data_files
    assert _parquet_on_disk(lake) < on_disk


def test_maintenance_never_runs_beside_a_run(tmp_path: Path) -> None:
    lake, warehouse = _lake(tmp_path), tmp_path / "warehouse"
    _write_small_commits(lake, warehouse)
    _, before = _read(lake, warehouse)
    held = FileLock(str(warehouse / LOCK_FILE))  # as a running `cds run` holds it
    with held:
        result = _maintain(["--warehouse", str(warehouse), "--lake", lake.catalog])
    assert result.exit_code == 3
    assert "đang được một lần chạy khác sử dụng" in result.output
    assert _read(lake, warehouse)[1] == before  # untouched


def test_a_lake_is_required_and_never_created(tmp_path: Path) -> None:
    result = _maintain(["--warehouse", str(tmp_path / "w")], env={"CDS_LAKE": ""})
    assert result.exit_code == 2
    assert "--lake" in result.output
    missing = tmp_path / "none.ducklake"
    result = _maintain(["--warehouse", str(tmp_path / "w"), "--lake", str(missing)])
    assert result.exit_code == 1
    assert "Không có DuckLake" in result.output
    assert not missing.exists()
