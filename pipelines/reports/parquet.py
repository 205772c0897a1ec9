"""Parquet copies of every published table, partitioned by school year (Hive layout:
`<table>/school_year=2024-2025/data_0.parquet`), for tools other than DuckDB."""

from __future__ import annotations

import uuid
from pathlib import Path

import duckdb

from pipelines.publish import PUBLISHED_SCHEMA, mart_tables
from pipelines.reports.folder import swap_in


def export_parquet(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """Write every mart beside `folder`, then swap the new folder in."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.tmp")
    tmp.mkdir()
    counts: dict[str, int] = {}
    for table in mart_tables(con):
        columns = {r[0] for r in con.execute(f"describe {PUBLISHED_SCHEMA}.{table}").fetchall()}
        source = f"(select * from {PUBLISHED_SCHEMA}.{table})"
        if "school_year" in columns:
            con.execute(
                f"copy {source} to '{tmp / table}' (format parquet, partition_by (school_year))"
            )
        else:
            con.execute(f"copy {source} to '{tmp / (table + '.parquet')}' (format parquet)")
        counts[table] = con.execute(f"select count(*) from {PUBLISHED_SCHEMA}.{table}").fetchone()[
            0
        ]
    swap_in(tmp, folder)
    return counts
