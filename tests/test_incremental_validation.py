"""Landing tables are validated load by load: a run validates only what is new, in chunks,
and the merged outcome equals validating the whole table (issue 9)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pipelines.validation.gx_suites import Failure, SuiteOutcome, run_suite
from pipelines.validation.incremental import chunk_ranges, validate_table


def test_chunk_ranges_bound_rows_and_keep_loads_whole() -> None:
    counts = [(1, 400), (2, 400), (3, 400), (7, 2_000), (8, 10)]
    assert chunk_ranges(counts, 1_000) == [(1, 2), (3, 3), (7, 7), (8, 8)]
    assert chunk_ranges(counts, 10_000) == [(1, 8)]
    assert chunk_ranges([], 10) == []


def _landing(con: duckdb.DuckDBPyConnection, loads: dict[int, list[str | None]]) -> None:
    con.execute("create schema if not exists landing")
    con.execute(
        "create table if not exists landing.t "
        "(_load_seq bigint, _row bigint, _source_file varchar, code varchar)"
    )
    for seq, codes in loads.items():
        for i, code in enumerate(codes, start=2):
            con.execute("insert into landing.t values (?, ?, ?, ?)", [seq, i, f"f{seq}.xlsx", code])


def _counting_suite(calls: list[int]):
    def run(df: pd.DataFrame) -> SuiteOutcome:
        calls.append(len(df))
        nulls = df[df["code"].isna()]
        failures = (
            [
                Failure(
                    "expect_column_values_to_not_be_null",
                    "code",
                    "error",
                    "Thiếu mã",
                    len(nulls),
                    [None],
                    [int(r) for r in nulls["_row"]],
                    [
                        f"{f} dòng {r}"
                        for f, r in zip(nulls["_source_file"], nulls["_row"], strict=True)
                    ],
                )
            ]
            if len(nulls)
            else []
        )
        return SuiteOutcome("t", len(df), 1, failures)

    return run


def test_only_new_loads_are_validated_and_merged_outcome_matches_whole_table() -> None:
    con = duckdb.connect()
    _landing(con, {1: ["A", None, "B"], 2: ["C"] * 5})
    calls: list[int] = []
    first = validate_table(con, "landing.t", "t", {"p": 1}, _counting_suite(calls), chunk_rows=4)
    assert calls == [3, 5]  # two chunks, loads kept whole
    assert first.rows_new == 8 and first.chunks == 2

    again = validate_table(con, "landing.t", "t", {"p": 1}, _counting_suite(calls))
    assert calls == [3, 5] and again.rows_new == 0  # nothing new: GX is not even called
    assert again.outcome.failures[0].places == ["f1.xlsx dòng 3"]

    _landing(con, {3: [None, "D"]})
    third = validate_table(con, "landing.t", "t", {"p": 1}, _counting_suite(calls))
    assert calls[-1] == 2 and third.rows_new == 2
    [failure] = third.outcome.failures
    assert failure.unexpected_count == 2
    assert failure.places == ["f1.xlsx dòng 3", "f3.xlsx dòng 2"]
    assert third.outcome.element_count == 10

    whole: list[int] = []
    changed = validate_table(con, "landing.t", "t", {"p": 2}, _counting_suite(whole))
    assert whole == [10]  # new parameters: everything again
    assert changed.outcome.failures[0].unexpected_count == 2


def test_deleted_rows_force_a_full_validation() -> None:
    con = duckdb.connect()
    _landing(con, {1: [None, "A"], 2: ["B"]})
    calls: list[int] = []
    validate_table(con, "landing.t", "t", {}, _counting_suite(calls))
    con.execute("delete from landing.t where _load_seq = 1")
    result = validate_table(con, "landing.t", "t", {}, _counting_suite(calls))
    assert calls[-1] == 1 and result.outcome.success


@pytest.mark.parametrize("chunk_rows", [1, 3, 1_000])
def test_real_suite_in_chunks_equals_one_pass(chunk_rows: int) -> None:
    """The real GX suite of the registry, run whole and in chunks, finds the same failures."""
    con = duckdb.connect()
    con.execute("create schema landing")
    con.execute(
        "create table landing.schools as select * from (values "
        "(1, 2, 'a.xlsx', '31305001'), (1, 3, 'a.xlsx', '31305001'), "
        "(2, 2, 'b.xlsx', 'XYZ'), (3, 2, 'c.xlsx', '31305002')) "
        "t(_load_seq, _row, _source_file, school_code)"
    )
    whole = run_suite("landing_schools", con.execute("select * from landing.schools").df(), {})
    parts = validate_table(
        con,
        "landing.schools",
        "landing_schools",
        {},
        lambda df: run_suite("landing_schools", df, {}),
        chunk_rows=chunk_rows,
    ).outcome

    def summary(o: SuiteOutcome) -> set:
        return {(f.expectation, f.column, f.unexpected_count) for f in o.failures}

    assert summary(parts) == summary(whole) and not whole.success
