"""Great Expectations suites as blocking Dagster asset checks on the landing tables.

A failed `error` expectation fails the check with ERROR severity, which stops the assets
downstream (dbt) in the same run; `warning` expectations fail with WARN and block nothing.
Failing values and spreadsheet rows are in the check's metadata.
"""

from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.assets.constants import DUCKDB_POOL
from pipelines.assets.metadata import markdown_table
from pipelines.checks.run_problems import SEVERITY_VI
from pipelines.ingest.sources import SOURCES
from pipelines.resources import CdsPaths, GxValidator
from pipelines.validation.gx_suites import (
    SuiteOutcome,
    ensure_offline_docs,
    suite_path,
)
from pipelines.validation.incremental import validate_table


def _result(outcome: SuiteOutcome, data_docs: Path, rows_new: int) -> dg.AssetCheckResult:
    failures = pl.DataFrame(
        [
            {
                "kỳ vọng": f.expectation,
                "cột": f.column,
                "mức": SEVERITY_VI.get(f.severity, f.severity),
                "mô tả": f.description_vi,
                "số dòng sai": f.unexpected_count,
                "ví dụ": ", ".join(str(v) for v in f.examples[:5]),
                "tệp và dòng": "; ".join(f.places[:5]) or ", ".join(str(r) for r in f.rows[:10]),
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
            "tệp và dòng": pl.String,
        },
    )
    return dg.AssetCheckResult(
        passed=outcome.success,
        description=failure_message(outcome) if not outcome.success else None,
        severity=(
            dg.AssetCheckSeverity.WARN
            if outcome.severity == "warning"
            else dg.AssetCheckSeverity.ERROR
        ),
        metadata={
            "bộ quy tắc": dg.MetadataValue.path(str(suite_path(outcome.suite))),
            "số dòng đã kiểm tra": outcome.element_count,
            "số dòng kiểm tra lần này": rows_new,
            "số quy tắc": outcome.evaluated,
            "số quy tắc không đạt": len(outcome.failures),
            "các quy tắc không đạt": markdown_table(failures),
            "trang kết quả (Data Docs)": dg.MetadataValue.path(str(data_docs)),
        },
    )


def failure_message(outcome: SuiteOutcome) -> str:
    """What failed, in words a data officer acts on: the rule, the column, where."""
    parts = []
    for f in outcome.failures[:3]:
        where = f"; vd {'; '.join(f.places[:3])}" if f.places else ""
        count = f"{f.unexpected_count} dòng" if f.unexpected_count is not None else "bảng"
        column = f"cột {f.column}" if f.column else "cả bảng"
        parts.append(
            f"[{SEVERITY_VI.get(f.severity, f.severity)}] {f.description_vi} "
            f"(quy tắc {f.expectation}, {column}): {count}{where}"
        )
    more = f" … và {len(outcome.failures) - 3} quy tắc khác" if len(outcome.failures) > 3 else ""
    return f"Bộ quy tắc {outcome.suite} không đạt: " + " | ".join(parts) + more


def _known(con, sql: str) -> list[str]:
    """Known values from the warehouse; none when the table is not loaded (yet)."""
    import duckdb as _duckdb

    try:
        return [r[0] for r in con.execute(sql).fetchall()]
    except _duckdb.CatalogException:
        return []


def _parameters(con, source: str) -> dict:
    """Run-time values the suites compare with: registry, code lists, declared columns."""
    from pipelines.ingest.landing import LINEAGE_SCHEMA

    return {
        "school_codes": _known(con, "select distinct school_code from landing.schools"),
        "indicator_codes": _known(con, "select indicator_code from reference.cds_index_indicators"),
        "emis_codes": _known(con, "select code from reference.emis_indicators"),
        "landing_columns": [*SOURCES[source].landing_schema, *LINEAGE_SCHEMA],
    }


def gx_check(source: str, blurb: str) -> dg.AssetChecksDefinition:
    """A blocking asset check running expectations/landing_<source>.json on landing.<source>;
    `blurb` says in Vietnamese what the suite checks."""

    @dg.asset_check(
        asset=dg.AssetKey(["landing", source]),
        name=f"gx_landing_{source}",
        blocking=True,
        pool=DUCKDB_POOL,
        description=(
            f"Kiểm tra bảng landing.{source} bằng Great Expectations (bộ quy tắc "
            f"expectations/landing_{source}.json): {blurb}. Quy tắc mức «lỗi» không đạt thì "
            "dừng các bước phía sau; mức «cảnh báo» chỉ báo vàng. Trang kết quả: "
            "warehouse/docs/gx/index.html."
        ),
    )
    def _check(
        context: dg.AssetCheckExecutionContext,
        duckdb: DuckDBResource,
        paths: CdsPaths,
        gx: GxValidator,
    ) -> dg.AssetCheckResult:
        docs = paths.settings.warehouse_dir / "docs" / "gx"
        suite = f"landing_{source}"
        with duckdb.get_connection() as con:
            parameters = _parameters(con, source)
            validated = validate_table(
                con,
                f"landing.{source}",
                suite,
                parameters,
                lambda df: gx.run_suite(suite, df, parameters, docs_dir=docs),
            )
        outcome = validated.outcome
        ensure_offline_docs(docs)
        result = _result(outcome, docs / "index.html", validated.rows_new)
        if not outcome.success:
            log = context.log.warning if outcome.severity == "warning" else context.log.error
            log(result.description)
        return result

    return _check


# one blocking check per declared source, running expectations/landing_<source>.json
GX_CHECKS = [gx_check(source.name, source.checks_vi) for source in SOURCES.values()]
