"""The one `Definitions` of the warehouse.

`defs` reads its paths from the environment (CDS_RAW_DIR, CDS_WAREHOUSE_DIR,
CDS_REFERENCE_DIR); `cds run` builds the same definitions from its options.
"""

from __future__ import annotations

import os

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from pipelines.assets.audit import ingest_log
from pipelines.assets.dbt import build_dbt_assets, dbt_project
from pipelines.assets.landing import LANDING_ASSETS
from pipelines.assets.publish import analytics_db
from pipelines.assets.reference import REFERENCE_ASSETS
from pipelines.checks.gx_checks import GX_CHECKS
from pipelines.settings import Settings

FULL_PIPELINE = "full_pipeline"


def build_definitions(settings: Settings) -> dg.Definitions:
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    # dbt (a subprocess) finds the warehouse through the environment, like profiles.yml says.
    os.environ.update(settings.to_env())
    from pipelines.resources import CdsPaths

    full_pipeline = dg.define_asset_job(
        FULL_PIPELINE,
        selection=dg.AssetSelection.all(),
        description="Ingest, validate, transform and publish everything in raw/.",
    )
    return dg.Definitions(
        assets=[
            *REFERENCE_ASSETS,
            *LANDING_ASSETS,
            ingest_log,
            build_dbt_assets(),
            analytics_db,
        ],
        asset_checks=GX_CHECKS,
        jobs=[full_pipeline],
        resources={
            "paths": CdsPaths.from_settings(settings),
            "duckdb": DuckDBResource(database=str(settings.warehouse_db)),
            "dbt": DbtCliResource(project_dir=dbt_project),
        },
        executor=dg.in_process_executor,
    )


defs = build_definitions(Settings.from_env())
