"""Great Expectations suites as blocking Dagster asset checks on the landing tables.

A failed `error` expectation fails the check with ERROR severity, which stops the assets
downstream (dbt) in the same run; `warning` expectations fail with WARN and block nothing.
Failing values and spreadsheet rows are in the check's metadata.
"""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.assets.constants import DUCKDB_POOL
from pipelines.assets.metadata import markdown_table
from pipelines.validation.gx_suites import SuiteOutcome, run_suite, suite_path


def _result(outcome: SuiteOutcome) -> dg.AssetCheckResult:
    failures = pl.DataFrame(
        [
            {
                "kỳ vọng": f.expectation,
                "cột": f.column,
                "mức": f.severity,
                "mô tả": f.description_vi,
                "số dòng sai": f.unexpected_count,
                "ví dụ": ", ".join(str(v) for v in f.examples[:5]),
                "dòng trong tệp": ", ".join(str(r) for r in f.rows[:10]),
            }
            for f in outcome.failures
        ],
        schema={
            "kỳ vọng": pl.String,
            "cột": pl.String,
            "mức": pl.String,
            "mô tả": pl.String,
            "số dòng sai": pl.Int64,
            "ví dụ": pl.String,
            "dòng trong tệp": pl.String,
        },
    )
    return dg.AssetCheckResult(
        passed=outcome.success,
        severity=(
            dg.AssetCheckSeverity.WARN
            if outcome.severity == "warning"
            else dg.AssetCheckSeverity.ERROR
        ),
        metadata={
            "suite": dg.MetadataValue.path(str(suite_path(outcome.suite))),
            "rows_validated": outcome.element_count,
            "expectations": outcome.evaluated,
            "failed_expectations": len(outcome.failures),
            "failures": markdown_table(failures),
        },
    )


@dg.asset_check(
    asset=dg.AssetKey(["landing", "schools"]),
    name="gx_landing_schools",
    blocking=True,
    pool=DUCKDB_POOL,
    description="Great Expectations suite expectations/landing_schools.json on landing.schools.",
)
def gx_landing_schools(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        df = con.sql("select * from landing.schools").df()
    return _result(run_suite("landing_schools", df))


@dg.asset_check(
    asset=dg.AssetKey(["landing", "cds_assessment"]),
    name="gx_landing_cds_assessment",
    blocking=True,
    pool=DUCKDB_POOL,
    description=(
        "Great Expectations suite expectations/landing_cds_assessment.json on "
        "landing.cds_assessment; known school and indicator codes come from the registry and "
        "the loaded index."
    ),
)
def gx_landing_cds_assessment(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        df = con.sql("select * from landing.cds_assessment").df()
        schools = [
            r[0] for r in con.execute("select distinct school_code from landing.schools").fetchall()
        ]
        codes = [
            r[0]
            for r in con.execute(
                "select indicator_code from reference.cds_index_indicators"
            ).fetchall()
        ]
    return _result(
        run_suite("landing_cds_assessment", df, {"school_codes": schools, "indicator_codes": codes})
    )


GX_CHECKS = [gx_landing_schools, gx_landing_cds_assessment]
