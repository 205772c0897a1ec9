"""The one `Definitions` of the warehouse.

`defs` reads its paths from the environment (CDS_RAW_DIR, CDS_WAREHOUSE_DIR,
CDS_REFERENCE_DIR) when Dagster loads it, not when this module is imported: importing it
creates no folder, changes no environment variable and parses no dbt project. `cds run`
builds the same definitions from its options. The sensor and the schedule start running
with the UI unless CDS_AUTOMATION=off.
"""

from __future__ import annotations

import os

import dagster as dg

from pipelines.assets.audit import ingest_log
from pipelines.assets.dbt import build_dbt_assets, dbt_docs, dbt_project
from pipelines.assets.landing import landing_assets
from pipelines.assets.publish import analytics_db
from pipelines.assets.reference import REFERENCE_ASSETS
from pipelines.assets.reports import REPORT_ASSETS
from pipelines.checks.gx_checks import GX_CHECKS
from pipelines.checks.run_problems import new_rule_breaches
from pipelines.partitions import PARTITIONED_SOURCES, full_range_tags, period_partitions
from pipelines.schedules import deadline_schedule
from pipelines.sensors import raw_files_sensor
from pipelines.settings import Settings

FULL_PIPELINE = "full_pipeline"


def build_definitions(settings: Settings) -> dg.Definitions:
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    # dbt (a subprocess) finds the warehouse through the environment, like profiles.yml says.
    os.environ.update(settings.to_env())
    if settings.parallel is None:
        os.environ.pop("CDS_PARALLEL", None)
    if settings.lake is None:  # an embedded run after a lake run in the same process
        for name in ("CDS_LAKE", "CDS_LAKE_DATA"):
            os.environ.pop(name, None)
    else:  # dbt's attach finds the extensions in DuckDB's own folder
        from pipelines.lake import install_extensions

        install_extensions()
    # A partial run (one source, one backfill step) runs a dbt test only when every model it
    # reads is built or upstream: never a relationship test against a table not yet built.
    os.environ.setdefault("DBT_INDIRECT_SELECTION", "buildable")
    periods = period_partitions(settings.reference_file("reporting_calendar.csv"))

    full_pipeline = dg.define_asset_job(
        FULL_PIPELINE,
        selection=dg.AssetSelection.all(),
        description="Nạp, kiểm tra, biến đổi và xuất bản toàn bộ dữ liệu trong raw/.",
    )
    resources = _resources(settings)
    assets = [
        *REFERENCE_ASSETS,
        *landing_assets(periods),
        ingest_log,
        build_dbt_assets(),
        analytics_db,
        *REPORT_ASSETS,
        dbt_docs,
    ]
    checks = [*GX_CHECKS, new_rule_breaches]
    if settings.parallel:
        from pipelines.parallel_run import parallel_definitions

        return parallel_definitions(settings, assets, checks, resources, full_pipeline)
    running = os.environ.get("CDS_AUTOMATION", "on") != "off"
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[full_pipeline],
        sensors=[
            raw_files_sensor(
                periods,
                dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED,
            )
        ],
        schedules=[
            deadline_schedule(
                full_pipeline,
                periods,
                dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED,
            )
        ],
        resources=resources,
        executor=dg.in_process_executor,
    )


def _resources(settings: Settings) -> dict:
    from pipelines.resources import (
        CdsPaths,
        DbtResource,
        GxValidator,
        WarehouseDuckDB,
        dbt_executable,
    )

    return {
        "paths": CdsPaths.from_settings(settings),
        "duckdb": WarehouseDuckDB.from_settings(settings),
        # GX imported beside the ingest; not in --parallel's province steps, each a process
        # of its own whose tables are too large for the worker anyway
        "gx": GxValidator(warm_worker=settings.parallel is None),
        "dbt": DbtResource(
            project_dir=dbt_project,
            dbt_executable=dbt_executable(),
            target="lake" if settings.lake else None,
        ),
    }


def province_job() -> dg.JobDefinition:
    """`--parallel`'s province job, rebuilt from the environment in each step's process
    (Dagster's multiprocess executor reconstructs the job there)."""
    from pipelines.parallel_run import PROVINCE_JOB

    return build_definitions(Settings.from_env()).resolve_job_def(PROVINCE_JOB)


@dg.definitions
def defs() -> dg.Definitions:
    """The deployment's definitions, built when Dagster (or a test) asks for them."""
    return build_definitions(Settings.from_env())


def full_run_tags(defs: dg.Definitions) -> dict[str, str]:
    """Tags that make a run of `full_pipeline` cover every period partition."""
    graph = defs.resolve_asset_graph()
    partitions = graph.get(dg.AssetKey(["landing", PARTITIONED_SOURCES[0]])).partitions_def
    return full_range_tags(partitions)
