"""Validate a landing table part by part: only loads not yet validated, in chunks.

Landing tables are append-only, so a table's validation is the union of its loads'
validations. The last outcome is kept in `audit.validations` with the load it reaches;
a run validates the loads after it (a few thousand rows when one school resubmits) and
merges. A change of the suite's parameters (registry, code lists) or of the rows already
covered validates everything again. Chunks of at most CHUNK_ROWS rows bound the memory
GX's pandas data source needs at national scale.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import pandas as pd

from pipelines.validation.gx_suites import (
    SuiteOutcome,
    merge_outcomes,
    outcome_from_json,
    outcome_to_json,
)

CHUNK_ROWS = 500_000  # a pandas frame of this many landing rows takes about 1 GB

VALIDATIONS_DDL = """
create schema if not exists audit;
create table if not exists audit.validations (
    suite varchar not null,
    through_load_seq bigint not null,
    rows_through bigint not null,
    parameters_sha256 varchar not null,
    outcome json not null,
    validated_at timestamp not null
)
"""


@dataclass(frozen=True)
class Validated:
    outcome: SuiteOutcome
    rows_new: int  # rows validated in this run
    chunks: int


def chunk_ranges(counts: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    """(first, last) load_seq ranges over `counts` [(load_seq, rows)], sorted by load_seq,
    each holding at most `limit` rows unless one load alone is larger."""
    ranges: list[tuple[int, int]] = []
    first = last = None
    rows = 0
    for seq, n in counts:
        if first is not None and rows + n > limit:
            ranges.append((first, last))  # type: ignore[arg-type]
            first, rows = None, 0
        if first is None:
            first = seq
        last, rows = seq, rows + n
    if first is not None:
        ranges.append((first, last))  # type: ignore[arg-type]
    return ranges


# Bumped when a stored outcome's shape changes: older outcomes are validated again whole
# (2: `mostly` tallies, so that thresholds are judged on the whole table).
OUTCOME_VERSION = 2


def parameters_sha256(parameters: dict) -> str:
    keyed = {"__outcome_version": OUTCOME_VERSION, **parameters}
    return hashlib.sha256(json.dumps(keyed, sort_keys=True, default=str).encode()).hexdigest()


def validate_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    suite: str,
    parameters: dict,
    run: Callable[[pd.DataFrame], SuiteOutcome],
    chunk_rows: int = CHUNK_ROWS,
) -> Validated:
    """Validate the loads of `table` not covered by the last stored outcome, merge, store."""
    con.execute(VALIDATIONS_DDL)
    params = parameters_sha256(parameters)
    previous = con.execute(
        "select through_load_seq, rows_through, outcome from audit.validations "
        "where suite = ? and parameters_sha256 = ? order by validated_at desc limit 1",
        [suite, params],
    ).fetchall()
    through, outcomes = -1, []
    if previous:
        seq, rows_through, stored = previous[0]
        still = con.execute(f"select count(*) from {table} where _load_seq <= ?", [seq]).fetchall()[
            0
        ][0]
        if still == rows_through:  # the rows it covered are all still there
            through, outcomes = seq, [outcome_from_json(stored)]
    counts = con.execute(
        f"select _load_seq, count(*) from {table} where _load_seq > ? group by 1 order by 1",
        [through],
    ).fetchall()
    ranges = chunk_ranges(counts, chunk_rows)
    for lo, hi in ranges:
        df = con.execute(
            f"select * from {table} where _load_seq between ? and ? order by _load_seq, _row",
            [lo, hi],
        ).df()
        outcomes.append(run(df))
    if not outcomes:  # an empty table is validated as such (row-count rules)
        outcomes.append(run(con.execute(f"select * from {table} limit 0").df()))
    merged = merge_outcomes(outcomes)
    last = counts[-1][0] if counts else through
    covered = con.execute(f"select count(*) from {table} where _load_seq <= ?", [last]).fetchall()[
        0
    ][0]
    con.execute("delete from audit.validations where suite = ?", [suite])
    con.execute(
        "insert into audit.validations values (?, ?, ?, ?, ?, ?)",
        [suite, last, covered, params, outcome_to_json(merged), datetime.now()],
    )
    return Validated(merged, sum(n for _, n in counts), len(ranges))
