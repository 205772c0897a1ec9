"""The asset graph documents the warehouse: layers as groups, descriptions, checks."""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines.definitions import defs as load_defs

defs = load_defs()  # what Dagster builds when it loads the code location


def test_groups_by_layer_and_every_asset_described() -> None:
    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    groups = {graph.get(k).group_name for k in keys}
    assert groups == {"reference", "landing", "staging", "intermediate", "marts", "publish"}
    undocumented = [k.to_user_string() for k in keys if not graph.get(k).description]
    assert undocumented == []
    for mart in (
        "dim_school",
        "cds_indicator_scores",
        "cds_maturity_school",
        "cds_maturity_district",
        "data_quality_issues",
    ):
        assert dg.AssetKey(["marts", mart]) in keys


def test_gx_and_dbt_checks_are_attached() -> None:
    checks = {k.name for k in defs.resolve_asset_graph().asset_check_keys}
    assert {"gx_landing_schools", "gx_landing_cds_assessment"} <= checks
    assert any(name.startswith("unique_combination") for name in checks)
    assert len(checks) > 50


def test_landing_feeds_staging() -> None:
    graph = defs.resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["staging", "stg_landing__cds_assessment"])).parent_keys
    assert dg.AssetKey(["landing", "cds_assessment"]) in parents


def test_dagster_yaml_gives_one_writer(tmp_path, monkeypatch) -> None:
    from dagster import DagsterInstance

    from pipelines.settings import PROJECT_ROOT

    monkeypatch.setenv("CDS_DAGSTER_STORAGE", str(tmp_path))
    instance = DagsterInstance.from_config(str(PROJECT_ROOT))
    try:
        config = instance.get_concurrency_config()
        assert config.run_queue_config.max_concurrent_runs == 1
        assert config.pool_config.default_pool_limit == 1
    finally:
        instance.dispose()


@pytest.mark.e2e  # the whole job, in process (shared with tests/test_vietnamese_ui.py)
def test_publish_shows_follow_up_and_bands_as_metadata(emis_job_run: dict) -> None:
    """The UI's view of a run: the published asset carries the follow-up list and the bands."""
    result = emis_job_run["result"]
    assert result.success
    (event,) = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["publish", "analytics_db"])
    ]
    metadata = event.materialization.metadata
    assert metadata["số việc cần đôn đốc"].value > 0
    assert "Chưa nộp" in metadata["danh sách việc cần đôn đốc"].value  # the exports were not sent
    assert "| năm_học |" in metadata["mức đầy đủ dữ liệu theo kỳ"].value
