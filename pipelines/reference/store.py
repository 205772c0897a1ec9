"""Write validated reference data to the `reference` schema, replacing what was there."""

from __future__ import annotations

import duckdb
import polars as pl
import pyarrow as pa

from pipelines.reference.cds_index import CdsIndex


def replace_table(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table | pl.DataFrame) -> int:
    data = table.to_arrow() if isinstance(table, pl.DataFrame) else table
    con.execute("create schema if not exists reference")
    con.register("__ref", data)
    try:
        con.execute(f"create or replace table reference.{name} as select * from __ref")
    finally:
        con.unregister("__ref")
    return data.num_rows


def store_index(con: duckdb.DuckDBPyConnection, index: CdsIndex) -> dict[str, int]:
    con.execute("begin transaction")
    try:
        counts = {name: replace_table(con, name, t) for name, t in index.to_arrow_tables().items()}
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts
