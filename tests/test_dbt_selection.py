"""Issue 16, item 7: a dbt build runs only the nodes whose inputs changed since the last
successful build (pipelines/dbt_selection.py), on a small hand-made manifest:

    source a ─ stg_a ─┐
                      ├─ mart ─ dated_mart (calls a macro that calls run_date())
    source b ─ stg_b ─┘
    tests: not_null on stg_a, stg_b and mart; a relationship stg_a → stg_b

The e2e proof that the marts of an incremental build equal a full rebuild is
tests/test_sample_district.py::test_incremental_dbt_build_equals_a_full_rebuild.
Checked by breaking the code once: with `_downstream` not following children (only the
seeds), four of these tests failed, `test_a_changed_source_rebuilds_what_reads_it` first.
"""

from __future__ import annotations

import pytest

from pipelines.dbt_selection import (
    BuildPlan,
    BuildState,
    exclusion_args,
    plan_build,
    project_fingerprint,
    unchanged_models,
    unchanged_tests,
    warned_after,
)

P = "proj"


def _model(name: str, parents: list[str], macros: list[str] | None = None) -> dict:
    return {
        "resource_type": "model",
        "name": name,
        "schema": "marts",
        "alias": name,
        "checksum": {"checksum": f"sum-{name}"},
        "config": {"materialized": "table"},
        "depends_on": {"nodes": parents, "macros": macros or []},
    }


def _test(name: str, parents: list[str]) -> dict:
    return {
        "resource_type": "test",
        "name": name,
        "schema": "marts",
        "checksum": {"checksum": ""},
        "config": {"severity": "ERROR"},
        "test_metadata": {"kwargs": {"column_name": "x"}},
        "depends_on": {"nodes": parents, "macros": []},
    }


def manifest() -> dict:
    src_a, src_b = f"source.{P}.landing.a", f"source.{P}.landing.b"
    m = {
        f"model.{P}.stg_a": _model("stg_a", [src_a]),
        f"model.{P}.stg_b": _model("stg_b", [src_b]),
        f"model.{P}.mart": _model("mart", [f"model.{P}.stg_a", f"model.{P}.stg_b"]),
        f"model.{P}.dated_mart": _model(
            "dated_mart", [f"model.{P}.mart"], macros=[f"macro.{P}.deadline"]
        ),
        f"test.{P}.not_null_stg_a_x": _test("not_null_stg_a_x", [f"model.{P}.stg_a"]),
        f"test.{P}.not_null_stg_b_x": _test("not_null_stg_b_x", [f"model.{P}.stg_b"]),
        f"test.{P}.not_null_mart_x": _test("not_null_mart_x", [f"model.{P}.mart"]),
        f"test.{P}.relationships_stg_a_x": _test(
            "relationships_stg_a_x", [f"model.{P}.stg_a", f"model.{P}.stg_b"]
        ),
        f"unit_test.{P}.not_built": {"resource_type": "unit_test", "name": "u", "depends_on": {}},
    }
    return {
        "metadata": {"project_name": P, "dbt_version": "1.11.0"},
        "nodes": m,
        "sources": {
            src_a: {"schema": "landing", "identifier": "a"},
            src_b: {"schema": "landing", "identifier": "b"},
        },
        "macros": {
            f"macro.{P}.run_date": {"package_name": P, "macro_sql": "today", "depends_on": {}},
            f"macro.{P}.deadline": {
                "package_name": P,
                "macro_sql": "{{ run_date() }} - 7",
                "depends_on": {"macros": [f"macro.{P}.run_date"]},
            },
            "macro.dbt.other": {"package_name": "dbt", "macro_sql": "x", "depends_on": {}},
        },
    }


def state(m: dict, day: str = "2025-06-01", a: str = "a1", b: str = "b1") -> BuildState:
    return BuildState(
        project_fingerprint(m),
        day,
        {f"source.{P}.landing.a": a, f"source.{P}.landing.b": b},
    )


def names(m: dict, plan: BuildPlan) -> set[str]:
    return {m["nodes"][u]["name"] for u in plan.nodes}


ALL = {
    "stg_a", "stg_b", "mart", "dated_mart",
    "not_null_stg_a_x", "not_null_stg_b_x", "not_null_mart_x", "relationships_stg_a_x",
}  # fmt: skip


def test_first_build_runs_everything_but_unit_tests() -> None:
    m = manifest()
    plan = plan_build(m, None, state(m))
    assert plan.full and names(m, plan) == ALL


def test_nothing_changed_runs_nothing() -> None:
    m = manifest()
    plan = plan_build(m, state(m), state(m))
    assert not plan.full and plan.nodes == frozenset()


def test_a_changed_source_rebuilds_what_reads_it() -> None:
    m = manifest()
    plan = plan_build(m, state(m), state(m, a="a2"))
    assert not plan.full
    # stg_b and its own test are untouched; the relationship test reads stg_a, so it runs
    assert names(m, plan) == ALL - {"stg_b", "not_null_stg_b_x"}
    assert plan.reason == "1 nguồn đổi"


def test_a_new_run_date_rebuilds_the_models_calling_it_through_a_macro() -> None:
    m = manifest()
    plan = plan_build(m, state(m), state(m, day="2025-06-02"))
    assert names(m, plan) == {"dated_mart"}
    assert "2025-06-01 → 2025-06-02" in plan.reason


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m["nodes"][f"model.{P}.mart"]["checksum"].update(checksum="edited"),
        lambda m: m["macros"][f"macro.{P}.run_date"].update(macro_sql="yesterday"),
        lambda m: m["nodes"][f"test.{P}.not_null_mart_x"]["config"].update(severity="WARN"),
        lambda m: m["sources"][f"source.{P}.landing.b"].update(identifier="b_v2"),
    ],
    ids=["model code", "macro text", "test severity", "source table"],
)
def test_a_changed_project_rebuilds_everything(change) -> None:
    m = manifest()
    before = state(m)
    change(m)
    plan = plan_build(m, before, state(m))
    assert plan.full and names(m, plan) == ALL
    assert plan.reason == "dự án dbt đã thay đổi từ lần dựng trước"


def test_parse_timestamps_and_other_packages_are_not_the_project() -> None:
    m = manifest()
    before = project_fingerprint(m)
    m["nodes"][f"model.{P}.mart"]["created_at"] = 1234.5
    m["metadata"]["generated_at"] = "later"
    m["macros"]["macro.dbt.other"]["macro_sql"] = "y"
    assert project_fingerprint(m) == before


def test_a_missing_model_table_rebuilds_everything() -> None:
    m = manifest()
    plan = plan_build(m, state(m), state(m), missing_relations=[f"model.{P}.mart"])
    assert plan.full and "thiếu bảng của 1 mô hình" in plan.reason


def test_every_model_reading_changed_data_is_a_full_plan() -> None:
    m = manifest()
    plan = plan_build(m, state(m), state(m, a="a2", b="b2"))
    assert plan.full and names(m, plan) == ALL


def test_dbt_arguments_exclude_exactly_the_nodes_not_planned() -> None:
    m = manifest()
    plan = plan_build(m, state(m), state(m, a="a2"))
    assert exclusion_args(m, plan) == [
        "--indirect-selection", "empty", "--exclude", "not_null_stg_b_x stg_b",
    ]  # fmt: skip
    assert exclusion_args(m, BuildPlan(frozenset(m["nodes"]), True, "")) == [
        "--indirect-selection", "empty",
    ]  # fmt: skip


def test_unchanged_models_come_after_what_they_read() -> None:
    m = manifest()
    plan = plan_build(m, state(m), state(m, day="2025-06-02"))
    order = [m["nodes"][u]["name"] for u in unchanged_models(m, plan)]
    assert sorted(order) == ["mart", "stg_a", "stg_b"]
    assert order.index("mart") > max(order.index("stg_a"), order.index("stg_b"))
    assert [m["nodes"][u]["name"] for u in unchanged_tests(m, plan)] == [
        "not_null_mart_x", "not_null_stg_a_x", "not_null_stg_b_x", "relationships_stg_a_x",
    ]  # fmt: skip


def test_a_failed_warning_test_stays_failed_until_it_runs_again() -> None:
    m = manifest()
    mart_test, stg_b_test = f"test.{P}.not_null_mart_x", f"test.{P}.not_null_stg_b_x"
    previous = BuildState("p", "d", {}, frozenset({mart_test, stg_b_test}))
    plan = plan_build(m, state(m), state(m, a="a2"))  # runs the mart's test, not stg_b's
    assert warned_after(previous, plan, set()) == {stg_b_test}
    assert warned_after(previous, plan, {mart_test}) == {mart_test, stg_b_test}
    assert BuildState.from_json(previous.to_json()) == previous


def test_fingerprints_follow_content_not_the_load_numbers_of_rejudged_files() -> None:
    """A rejected file judged again writes its audit row anew under a new load number and
    time: same fingerprint. A new landing load, or an audit row that says something else,
    changes it."""
    import duckdb

    from pipelines.dbt_state import source_fingerprints

    con = duckdb.connect()
    con.execute("create schema landing; create schema audit")
    con.execute("create table landing.a (x int, _load_seq bigint)")
    con.execute("create table audit.files (source_file varchar, status varchar, "
                "load_seq bigint, loaded_at timestamp)")  # fmt: skip
    con.execute("insert into landing.a values (1, 1)")
    con.execute("insert into audit.files values ('f.xlsx', 'rejected', 1, now())")
    m = {
        "sources": {
            "source.p.landing.a": {"schema": "landing", "identifier": "a"},
            "source.p.audit.files": {"schema": "audit", "identifier": "files"},
            "source.p.landing.gone": {"schema": "landing", "identifier": "gone"},
        }
    }
    before = source_fingerprints(con, m)
    assert before["source.p.landing.gone"] == "missing"
    con.execute("delete from audit.files; insert into audit.files values "
                "('f.xlsx', 'rejected', 2, now() + interval 1 minute)")  # fmt: skip
    assert source_fingerprints(con, m) == before
    con.execute("update audit.files set status = 'accepted'")
    after = source_fingerprints(con, m)
    assert after["source.p.audit.files"] != before["source.p.audit.files"]
    con.execute("insert into landing.a values (1, 2)")
    assert source_fingerprints(con, m)["source.p.landing.a"] != after["source.p.landing.a"]
