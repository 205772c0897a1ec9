"""publish/analytics_db waits for exactly the dbt models it publishes (issue 16: its
dependencies come from the dbt marts, not from a list kept by hand). They are read from the
dbt project's marts folder when the definitions load, since nothing may parse the project
then; this test holds them equal to what the manifest says, as dagster-dbt selects it: every
model of schema `marts`, keyed as the dbt assets key it.

Checked by breaking it once: with the deps' list less `follow_up_list`, the second
assertion failed; with a marts model configured into another schema (`{{
config(schema="intermediate") }}` in a copy's dim_school.sql), the folder and the manifest's
selection differed by that model, as the third assertion compares them."""

from __future__ import annotations

from dagster_dbt import build_dbt_asset_selection, get_asset_key_for_model

from pipelines.assets.dbt import build_dbt_assets
from pipelines.assets.publish import analytics_db, published_marts


def test_publish_depends_on_every_published_mart_and_nothing_else() -> None:
    dbt_models = build_dbt_assets()
    in_schema_marts = build_dbt_asset_selection(
        [dbt_models], dbt_select="config.schema:marts"
    ).resolve([dbt_models])
    assert len(in_schema_marts) >= 11  # the contract's published tables (interface §6)
    assert set(analytics_db.dependency_keys) == in_schema_marts
    assert {get_asset_key_for_model([dbt_models], m) for m in published_marts()} == in_schema_marts
