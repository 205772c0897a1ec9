"""The warehouse side of incremental dbt builds: fingerprints of the source tables, the
models' relations, and the state of the last successful build, kept in `audit.dbt_builds`
(one row per build of the whole project; the newest successful one is the state).

A landing table is only ever appended to by loads, or loses a load's rows: never updated in
place. So its fingerprint is its columns, its row count and a sum of hashes of its load
numbers, cheap at any size. An audit table is hashed row by row without its load number and
time: every run judges the rejected files again and writes their rows anew under new
numbers, and a fingerprint that counted those would rebuild most models at every run. A
table without either (the reference tables, a few hundred rows) is hashed row by row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import duckdb

from pipelines.dbt_selection import BuildPlan, BuildState, buildable_nodes, source_tables

STATE_TABLE = "audit.dbt_builds"
# A landing table's load number: its rows are only ever appended, or lose a whole load.
LANDING_LOAD_COLUMN = "_load_seq"
# An audit row's load number and time: a rejected file is judged again at every run and its
# rows written again under new ones, with the same content (its school, rule, message).
VOLATILE_COLUMNS = ("load_seq", "loaded_at")

_STATE_DDL = f"""
create schema if not exists audit;
create table if not exists {STATE_TABLE} (
    built_at timestamp,
    run_id varchar,
    full_build boolean,
    nodes_built integer,
    nodes_total integer,
    reason varchar,
    state varchar
)
"""


def _columns(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[tuple[str, str]]]:
    rows = con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() order by table_schema, table_name, "
        "ordinal_position"
    ).fetchall()
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, dtype in rows:
        out.setdefault((schema, table), []).append((column, dtype))
    return out


def _relations(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database()"
    ).fetchall()
    return {(schema, table) for schema, table in rows}


def source_fingerprints(
    con: duckdb.DuckDBPyConnection, manifest: Mapping[str, Any]
) -> dict[str, str]:
    """Each dbt source (unique id) → a fingerprint that changes whenever its rows do."""
    columns = _columns(con)
    out = {}
    for uid, (schema, table) in sorted(source_tables(manifest).items()):
        cols = columns.get((schema, table))
        if cols is None:
            out[uid] = "missing"
            continue
        names = [name for name, _ in cols]
        volatile = [c for c in VOLATILE_COLUMNS if c in names]
        if LANDING_LOAD_COLUMN in names:  # append-only: the load numbers tell the rows
            rows = f'(select "{LANDING_LOAD_COLUMN}" from "{schema}"."{table}")'
        elif volatile:  # the same outcome judged again is the same content
            rows = f'(select * exclude ({", ".join(volatile)}) from "{schema}"."{table}")'
        else:
            rows = f'"{schema}"."{table}"'
        count, total = con.execute(
            f"select count(*), coalesce(sum(hash(t)), 0) from {rows} as t"
        ).fetchone()
        out[uid] = f"{json.dumps(cols)}|{count}|{total}"
    return out


def missing_relations(con: duckdb.DuckDBPyConnection, manifest: Mapping[str, Any]) -> list[str]:
    """Models (unique ids) whose table or view is not in the warehouse."""
    present = _relations(con)
    return sorted(
        uid
        for uid, node in buildable_nodes(manifest).items()
        if node["resource_type"] == "model"
        and node.get("config", {}).get("materialized") != "ephemeral"
        and (node["schema"], node.get("alias") or node["name"]) not in present
    )


def last_state(con: duckdb.DuckDBPyConnection) -> BuildState | None:
    """The state of the newest successful build of the whole project; None before any."""
    if ("audit", "dbt_builds") not in _relations(con):
        return None
    row = con.execute(f"select state from {STATE_TABLE} order by built_at desc limit 1").fetchone()
    return BuildState.from_json(row[0]) if row else None


def record_build(
    con: duckdb.DuckDBPyConnection,
    state: BuildState,
    plan: BuildPlan,
    total: int,
    run_id: str,
) -> None:
    con.execute(_STATE_DDL)
    con.execute(
        f"insert into {STATE_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
        [
            datetime.now(UTC).replace(tzinfo=None),
            run_id,
            plan.full,
            len(plan.nodes),
            total,
            plan.reason,
            state.to_json(),
        ],
    )
