"""Publish the marts as `analytics.duckdb`, the analysts' read-only copy.

The new file is built beside the old one and renamed over it: a reader holding the old
file keeps a consistent view, new readers see the new one, and nobody ever sees half a file.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb

from pipelines.reference.labels import Labels

PUBLISHED_SCHEMA = "marts"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def describe(con: duckdb.DuckDBPyConnection, catalog: str, table: str, labels: Labels) -> None:
    """Vietnamese comments on a published table and its columns (`labels_vi.csv`); the file
    keeps the `marts` schema only, as the contract says."""
    columns = [
        r[0]
        for r in con.execute(
            "select column_name from duckdb_columns() where database_name = ? and schema_name = ? "
            "and table_name = ? order by column_index",
            [catalog, PUBLISHED_SCHEMA, table],
        ).fetchall()
    ]
    name = f"{catalog}.{PUBLISHED_SCHEMA}.{table}"
    con.execute(f"comment on table {name} is {_quote(labels.table(table))}")
    for c in columns:
        con.execute(f"comment on column {name}.{_ident(c)} is {_quote(labels.column(c))}")


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = ? and table_catalog = current_database() order by 1",
        [PUBLISHED_SCHEMA],
    ).fetchall()
    return [r[0] for r in rows]


# The published file is written in DuckDB 1.5's storage format, so analysts' tools that
# bundle an older DuckDB than the pipeline's can open it: the `duckdb` command line from
# PyPI (duckdb-cli, installed with the project), BI connectors, an analyst's own Python.
ANALYTICS_STORAGE_VERSION = "v1.5.0"


def publish_analytics(
    con: duckdb.DuckDBPyConnection, target: Path, labels: Labels
) -> dict[str, int]:
    """Copy every table of schema `marts` into a fresh database, with Vietnamese comments,
    and swap it in atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    counts: dict[str, int] = {}
    con.execute(f"attach '{tmp}' as pub (storage_version '{ANALYTICS_STORAGE_VERSION}')")
    try:
        con.execute(f"create schema pub.{PUBLISHED_SCHEMA}")
        for table in mart_tables(con):
            con.execute(
                f"create table pub.{PUBLISHED_SCHEMA}.{table} as "
                f"select * from {PUBLISHED_SCHEMA}.{table}"
            )
            counts[table] = con.execute(
                f"select count(*) from pub.{PUBLISHED_SCHEMA}.{table}"
            ).fetchone()[0]
            describe(con, "pub", table, labels)
        con.execute("checkpoint pub")
    except BaseException:
        con.execute("detach pub")
        tmp.unlink(missing_ok=True)
        raise
    con.execute("detach pub")
    os.replace(tmp, target)
    return counts
