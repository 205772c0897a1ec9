"""Maintenance of the warehouse on DuckLake (`cds lake-maintain`, issue 17 item 5).

Every run adds snapshots and Parquet files to the lake; small inserts are kept inline in
the catalog. Left alone the data folder fills with small files, the catalog with
snapshots, and nothing is ever deleted (DuckLake keeps old data for time travel). This
runs DuckLake's own maintenance functions, in the order its `CHECKPOINT` uses
(DuckDB 1.5.5, ducklake extension d8a1881e; the signatures were read from
`duckdb_functions()`):

1. `ducklake_flush_inlined_data`: rows kept inline in the catalog written out to Parquet;
2. `ducklake_expire_snapshots(older_than => …)`: snapshots older than the retention are
   forgotten (the latest snapshot is always kept), so time travel reaches back that far;
3. `ducklake_merge_adjacent_files`: the small files of each table merged into larger ones
   (the snapshots kept still see exactly what they saw);
4. `ducklake_rewrite_data_files`: files with most of their rows deleted rewritten;
5. `ducklake_cleanup_old_files(older_than => …)`: files no snapshot refers to any more,
   scheduled for deletion before the retention, deleted from the data folder;
6. `ducklake_delete_orphaned_files(older_than => …)`: files in the data folder the catalog
   does not know (a writer killed before its commit), older than the retention, deleted.

Files merged or expired by this run are only scheduled: with a retention of N days they are
deleted by the first maintenance N days later, so a reader still scanning them is never
cut short. `--keep-days 0` deletes them at once (no reader may be attached).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipelines.lake import ALIAS

if TYPE_CHECKING:
    import duckdb

DEFAULT_KEEP_DAYS = 7


@dataclass(frozen=True)
class LakeState:
    snapshots: int
    data_files: int  # the data files the latest snapshot reads
    bytes: int  # their size


@dataclass(frozen=True)
class MaintenanceReport:
    before: LakeState
    after: LakeState
    rows_flushed: int
    snapshots_expired: int
    files_merged: int  # files read by merge and rewrite
    files_written: int  # files they wrote
    files_deleted: int  # old files deleted from the data folder
    orphans_deleted: int


def lake_state(con: duckdb.DuckDBPyConnection, alias: str = ALIAS) -> LakeState:
    meta = f"__ducklake_metadata_{alias}"
    snapshots = con.execute(f"select count(*) from ducklake_snapshots('{alias}')").fetchone()
    files = con.execute(
        f"select count(*), coalesce(sum(file_size_bytes), 0) from {meta}.ducklake_data_file "
        "where end_snapshot is null"
    ).fetchone()
    return LakeState(snapshots=int(snapshots[0]), data_files=int(files[0]), bytes=int(files[1]))


def maintain(
    con: duckdb.DuckDBPyConnection,
    keep_days: float = DEFAULT_KEEP_DAYS,
    log: Callable[[str], None] = lambda _: None,
    alias: str = ALIAS,
) -> MaintenanceReport:
    """Run the six steps on the lake attached to `con` as `alias`; the caller holds the
    warehouse's writer lock (no run writes meanwhile)."""
    if keep_days < 0:
        raise ValueError("keep_days < 0")
    before = lake_state(con, alias)
    seconds = int(keep_days * 86400)
    older = f"older_than => now() - to_seconds({seconds})"

    def call(sql: str) -> list[tuple]:
        return con.execute(f"call {sql}").fetchall()

    flushed = sum(r[2] for r in call(f"ducklake_flush_inlined_data('{alias}')"))
    log(f"Đã ghi {flushed} dòng lưu tạm trong danh mục ra tệp Parquet.")
    expired = len(call(f"ducklake_expire_snapshots('{alias}', {older})"))
    log(f"Đã bỏ {expired} ảnh chụp (snapshot) cũ hơn {keep_days:g} ngày.")
    merged = call(f"ducklake_merge_adjacent_files('{alias}')")
    rewritten = call(f"ducklake_rewrite_data_files('{alias}')")
    read = sum(r[2] for r in merged + rewritten)
    written = sum(r[3] for r in merged + rewritten)
    log(f"Đã gộp {read} tệp nhỏ thành {written} tệp.")
    deleted = len(call(f"ducklake_cleanup_old_files('{alias}', {older})"))
    orphans = len(call(f"ducklake_delete_orphaned_files('{alias}', {older})"))
    log(f"Đã xóa {deleted} tệp cũ và {orphans} tệp mồ côi khỏi thư mục dữ liệu.")
    return MaintenanceReport(
        before=before,
        after=lake_state(con, alias),
        rows_flushed=flushed,
        snapshots_expired=expired,
        files_merged=read,
        files_written=written,
        files_deleted=deleted,
        orphans_deleted=orphans,
    )
