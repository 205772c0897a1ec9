"""Issue 16.7: a model's row-level rules are one dbt test (`row_rules`,
dbt_project/macros/row_rules.sql) instead of one per rule, with the meaning of the tests it
replaced: dbt's accepted_values and the project's former not_null_columns, value_between
and expression_is_true. The macro is rendered with Jinja as dbt would and run on DuckDB.

Checked once more broadly when the 218 rules were merged: on a copy of a generated
district's warehouse with a null, a 'zzz', a -5 and a 100000000 written into four rows of
every table, the old tests and the new ones found the same failing rows (or, for
accepted_values, the same failing values) for every rule, 193 of them failing."""

from __future__ import annotations

import duckdb
import jinja2
import pytest

from pipelines.settings import DBT_PROJECT_DIR


def _row_rules_sql(**rules) -> str:
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    macros = env.from_string((DBT_PROJECT_DIR / "macros" / "row_rules.sql").read_text("utf-8"))
    return str(macros.module.row_rules_sql("facts", **rules))


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "create table facts as select * from (values "
        "(1, 'dau_nam', 50, 'it''s', 3, 5), "  # breaks nothing
        "(2, null, null, null, 4, 5), "  # blanks: only not_null sees them
        "(3, 'giua_nam', 101, 'x', null, 5), "  # outside the list and the range; null in expr
        "(4, 'cuoi_nam', -1, 'x', 9, 5)"  # below the range; expression false
        ") as t(id, period, pct, note, versions_used, versions)"
    )
    return con


def _broken(con, **rules) -> dict[int, list[str]]:
    sql = _row_rules_sql(**rules)
    return dict(con.execute(f"select id, broken_rules from ({sql}) order by id").fetchall())


def test_each_kind_of_rule_keeps_the_meaning_of_the_test_it_replaces(con) -> None:
    assert _broken(con, not_null=["period", "pct"]) == {2: ["trống: period", "trống: pct"]}
    # a blank is not checked against the list or the range (dbt's accepted_values; value_between)
    assert _broken(con, accepted_values={"period": ["dau_nam", "cuoi_nam"]}) == {
        3: ["ngoài danh sách: period"]
    }
    assert _broken(con, between={"pct": [0, 100]}) == {
        3: ["ngoài khoảng 0…100: pct"],
        4: ["ngoài khoảng 0…100: pct"],
    }
    # an expression fails when false or unknown, as expression_is_true did
    assert _broken(con, expressions=["versions_used <= versions"]) == {
        3: ["sai điều kiện: versions_used <= versions"],
        4: ["sai điều kiện: versions_used <= versions"],
    }


def test_a_row_lists_every_rule_it_breaks_and_quotes_survive(con) -> None:
    broken = _broken(
        con,
        not_null=["period"],
        accepted_values={"note": ["it's", "x"]},
        between={"pct": [0, 100]},
        expressions=["coalesce(note, '') <> 'x' or versions_used < versions"],
    )
    assert broken == {
        2: ["trống: period"],
        3: [
            "ngoài khoảng 0…100: pct",
            "sai điều kiện: coalesce(note, '') <> 'x' or versions_used < versions",
        ],
        4: [
            "ngoài khoảng 0…100: pct",
            "sai điều kiện: coalesce(note, '') <> 'x' or versions_used < versions",
        ],
    }


def test_a_failed_check_names_each_broken_rule_and_its_rows(con) -> None:
    """The failed check's description (the line `cds run` prints) names every rule broken
    with its rows, most first: a rule broken by a few rows is not hidden behind another."""
    import dagster as dg

    from pipelines.assets.dbt import _with_examples, broken_rule_counts

    sql = _row_rules_sql(not_null=["period"], between={"pct": [0, 100]})
    assert broken_rule_counts(con, sql) == [("ngoài khoảng 0…100: pct", 2), ("trống: period", 1)]
    assert broken_rule_counts(con, "select 1 as id") == []  # another test's rows
    failed = dg.AssetCheckResult(
        passed=False,
        asset_key=dg.AssetKey(["marts", "facts"]),
        check_name="row_rules_facts",
        metadata={"unique_id": "test.x.row_rules_facts", "dagster_dbt/failed_row_count": 3},
    )
    described = _with_examples(failed, {"test.x.row_rules_facts": sql}, con)
    assert described.description.startswith(
        "dbt test row_rules_facts trên marts/facts: 3 dòng sai — "
        "ngoài khoảng 0…100: pct: 2 dòng; trống: period: 1 dòng"
    )


def test_a_column_named_like_a_keyword_is_quoted() -> None:
    con = duckdb.connect()
    con.execute('create table facts as select * from (values (1, null), (2, 3)) as t(id, "order")')
    sql = _row_rules_sql(not_null=["order"], between={"order": [0, 2]})
    rows = con.execute(f"select id, broken_rules from ({sql}) order by id").fetchall()
    assert rows == [(1, ["trống: order"]), (2, ["ngoài khoảng 0…2: order"])]
