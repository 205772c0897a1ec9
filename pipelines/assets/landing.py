"""One landing asset per raw source: new files read, judged and loaded into DuckDB."""

from datetime import datetime

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.assets.constants import DUCKDB_POOL, OWNER
from pipelines.assets.metadata import markdown_table
from pipelines.checks.run_problems import (
    FILES_CHECK,
    files_check_spec,
    landing_problems,
    problems_result,
)
from pipelines.ingest.runner import (
    FileIngestError,
    IngestSummary,
    current_registry,
    ingest_source,
    load_ingest_context,
)
from pipelines.ingest.sources import SOURCES
from pipelines.partitions import parse_partition_key
from pipelines.reference.labels import status_words
from pipelines.resources import CdsPaths


def run_ingest(
    context: dg.AssetExecutionContext,
    source_name: str,
    paths: CdsPaths,
    duckdb: DuckDBResource,
    periods: set[tuple[str, str]] | None = None,
) -> dg.MaterializeResult:
    settings = paths.settings
    source = SOURCES[source_name]
    loaded_at = datetime.now()
    with duckdb.get_connection() as con:
        ctx = load_ingest_context(
            settings, registry=current_registry(con), personal=source.personal
        )
        try:
            summary = ingest_source(
                con, source, settings.raw_dir, ctx, loaded_at=loaded_at, periods=periods
            )
        except FileIngestError as exc:
            context.log.error(str(exc))
            raise dg.Failure(
                description=str(exc),
                metadata={"file": exc.source_file, "rule": "unexpected_error", "error": exc.error},
            ) from exc
        total = con.execute(f"select count(*) from landing.{source_name}").fetchall()[0][0]
        problems = landing_problems(con, source_name, loaded_at)
    for o in summary.outcomes:
        if o.status == "rejected":
            context.log.warning(f"{o.reject_message_vi} [quy tắc {o.reject_rule}]")
        elif o.rows_quarantined:
            context.log.warning(
                f"Tệp '{o.source_file}': {o.rows_quarantined} dòng bị cách ly (xem data_quality_issues)"
            )
    check = problems_result(
        problems, FILES_CHECK, dg.AssetKey(["landing", source_name]), "nạp lần này có vấn đề"
    )
    return dg.MaterializeResult(
        metadata=_metadata(
            summary, total, settings.raw_dir / source_name, _status_labels(settings)
        ),
        check_results=[check],
    )


def _status_labels(settings) -> dict[str, str]:
    """Words for the files' outcomes (labels_vi.csv, `status.accepted` …)."""
    return status_words(settings.reference_file("labels_vi.csv"))


def _metadata(
    summary: IngestSummary, total_rows: int, folder, status_labels: dict[str, str] | None = None
) -> dict:
    reconciles = summary.rows_read == summary.rows_accepted + summary.rows_quarantined
    files = summary.as_frame().sort("kết quả", "tệp")
    files = files.with_columns(pl.col("kết quả").replace(status_labels or {}))
    return {
        "dagster/row_count": total_rows,
        "thư mục": dg.MetadataValue.path(str(folder)),
        "số tệp đã xem": summary.files_seen,
        "số tệp đã nạp trước đây": summary.files_unchanged,
        "số tệp nhận": summary.count("accepted"),
        "số tệp bị từ chối": summary.count("rejected"),
        "số tệp trùng": summary.count("duplicate"),
        "số tệp để lần chạy của kỳ khác": summary.files_other_period,
        "số dòng đọc": summary.rows_read,
        "số dòng nhận": summary.rows_accepted,
        "số dòng cách ly": summary.rows_quarantined,
        "khớp số dòng (đọc = nhận + cách ly)": "có" if reconciles else "KHÔNG",
        "các tệp": markdown_table(files),
    }


def _run_periods(context: dg.AssetExecutionContext) -> set[tuple[str, str]] | None:
    """The (school year, period) pairs of a partitioned run; None when it covers them all."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return None  # a run without partitions (a test's materialize): everything
    keys = context.partition_keys
    if set(keys) == set(context.assets_def.partitions_def.get_partition_keys()):
        return None  # a full run also loads periods the calendar does not (yet) know
    return {parse_partition_key(k) for k in keys}


def landing_asset(
    source: str,
    deps: list[list[str]],
    description: str,
    partitions: dg.PartitionsDefinition | None = None,
) -> dg.AssetsDefinition:
    """The landing asset of one raw source: new files read, judged and loaded.

    With `partitions`, one run covers a range of periods (single-run backfills)."""

    @dg.asset(
        key=["landing", source],
        group_name="landing",
        owners=[OWNER],
        pool=DUCKDB_POOL,
        kinds={"python", "duckdb"},
        deps=deps,
        description=description,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions else None,
        check_specs=[files_check_spec(dg.AssetKey(["landing", source]))],
    )
    def _landing(
        context: dg.AssetExecutionContext, paths: CdsPaths, duckdb: DuckDBResource
    ) -> dg.MaterializeResult:
        periods = _run_periods(context) if partitions else None
        return run_ingest(context, source, paths, duckdb, periods)

    return _landing


def landing_assets(periods: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """Every declared source's landing asset (`SOURCES`); the periodic ones partitioned by
    `periods`."""
    return [
        landing_asset(
            source.name,
            [key.split("/") for key in source.upstream],
            source.description_vi,
            periods if source.partitioned else None,
        )
        for source in SOURCES.values()
    ]
