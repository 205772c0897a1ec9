"""The dbt project as Dagster assets, grouped by layer (staging, intermediate, marts).

dbt tests become asset checks; unit tests are run by the test suite, not on every run.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines.assets.constants import DUCKDB_POOL, OWNER
from pipelines.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def ensure_manifest() -> None:
    """Parse the project when the manifest is missing or older than any dbt source file."""
    manifest = dbt_project.manifest_path
    sources = [
        p
        for pattern in ("models/**/*", "macros/**/*", "tests/**/*", "dbt_project.yml")
        for p in DBT_PROJECT_DIR.glob(pattern)
        if p.is_file()
    ]
    newest = max((p.stat().st_mtime for p in sources), default=0)
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        dbt_project.preparer.prepare(dbt_project)


class LayeredTranslator(DagsterDbtTranslator):
    """Models keyed and grouped by their folder: `marts/cds_maturity_school`."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "model":
            return dg.AssetKey([dbt_resource_props["fqn"][1], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "model":
            return dbt_resource_props["fqn"][1]
        return super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return [OWNER]


def build_dbt_assets() -> dg.AssetsDefinition:
    ensure_manifest()

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=LayeredTranslator(),
        pool=DUCKDB_POOL,
    )
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        yield from dbt.cli(
            ["build", "--exclude-resource-type", "unit_test"], context=context
        ).stream()

    return dbt_models
