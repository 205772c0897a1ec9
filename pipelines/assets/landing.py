"""One landing asset per raw source: new files read, judged and loaded into DuckDB."""

from datetime import datetime

import dagster as dg
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
from pipelines.partitions import PARTITIONED_SOURCES, parse_partition_key
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
        metadata=_metadata(summary, total, settings.raw_dir / source_name),
        check_results=[check],
    )


def _metadata(summary: IngestSummary, total_rows: int, folder) -> dict:
    return {
        "dagster/row_count": total_rows,
        "folder": dg.MetadataValue.path(str(folder)),
        "files_seen": summary.files_seen,
        "files_unchanged": summary.files_unchanged,
        "files_accepted": summary.count("accepted"),
        "files_rejected": summary.count("rejected"),
        "files_duplicate": summary.count("duplicate"),
        "files_other_period": summary.files_other_period,
        "rows_read": summary.rows_read,
        "rows_accepted": summary.rows_accepted,
        "rows_quarantined": summary.rows_quarantined,
        "reconciles": summary.rows_read == summary.rows_accepted + summary.rows_quarantined,
        "files": markdown_table(summary.as_frame().sort("kết quả", "tệp")),
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


REGISTRY = ["landing", "schools"]
CODE_LISTS = ["reference", "code_lists"]

# source, upstream reference, description
LANDING_SOURCES: list[tuple[str, list[list[str]], str]] = [
    (
        "schools",
        [CODE_LISTS],
        "School registry (danh mục trường) from raw/schools/: one row per school per registry "
        "file, typed, with lineage (_source_file, _file_sha256, _sheet, _row, _loaded_at). "
        "Bad rows are quarantined with their reason; unreadable files are rejected whole.",
    ),
    (
        "cds_assessment",
        [REGISTRY, ["reference", "cds_index"], CODE_LISTS],
        "CĐS self-assessments (phiếu tự đánh giá, QĐ 4725) from raw/cds_assessment/: one row "
        "per indicator per submitted file, every version kept. A file naming an unknown school, "
        "lacking Mã trường/Năm học or a required column, or of a level outside the index is "
        "rejected; rows with unknown codes or invalid scores are quarantined.",
    ),
    (
        "emis_report",
        [REGISTRY, ["reference", "emis_indicators"], CODE_LISTS],
        "Periodic statistical reports (báo cáo thống kê, đầu năm/cuối năm) from "
        "raw/emis_report/: one row per indicator code per submitted file, every version kept, "
        "blank kept apart from 0. Unknown codes and non-numeric or negative counts are "
        "quarantined.",
    ),
    (
        "students",
        [REGISTRY, CODE_LISTS],
        "Student exports of the sector database (CSDL ngành) from raw/students/, pseudonymised "
        "at the door: no name and no clear personal ID is stored, only person_key (HMAC of the "
        "ID with the deployment secret), the ID rule broken if any, and the record's attributes.",
    ),
    (
        "teachers",
        [REGISTRY, CODE_LISTS],
        "Staff exports of the sector database from raw/teachers/, pseudonymised like the "
        "student exports: positions, standards, digital signatures, training accounts, "
        "person_key.",
    ),
]


def landing_assets(periods: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """Every landing asset; the periodic sources partitioned by `periods`."""
    return [
        landing_asset(source, deps, text, periods if source in PARTITIONED_SOURCES else None)
        for source, deps, text in LANDING_SOURCES
    ]
