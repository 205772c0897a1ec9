"""The ingest log: what ingestion decided about every file and row, reconciled."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.assets.constants import DUCKDB_POOL, OWNER
from pipelines.assets.metadata import markdown_table
from pipelines.ingest.landing import ensure_schemas
from pipelines.ingest.sources import SOURCES
from pipelines.reference.labels import load_labels_or_none
from pipelines.resources import CdsPaths

_DESCRIPTION = (
    "Nhật ký nạp tệp: audit.ingest_files (mọi tệp đã xem: nhận, bị từ chối, trùng, kèm số "
    "dòng) và audit.ingest_issues (mọi tệp bị từ chối, dòng bị cách ly và cảnh báo, kèm tệp, "
    "trang tính, dòng, cột), do các bước nạp ghi; bước này kiểm tra với mọi tệp: số dòng đọc "
    "= số dòng nhận + số dòng cách ly."
)


def _value_labels(paths: CdsPaths) -> dict[str, dict[str, str]]:
    """Words for codes (labels_vi.csv `value` rows)."""
    return load_labels_or_none(paths.settings.reference_file("labels_vi.csv")).values


@dg.multi_asset(
    name="ingest_log",
    group_name="landing",
    pool=DUCKDB_POOL,
    specs=[
        dg.AssetSpec(
            ["audit", table],
            description=_DESCRIPTION,
            owners=[OWNER],
            kinds={"duckdb"},
            deps=[["landing", s] for s in SOURCES],
        )
        for table in ("ingest_files", "ingest_issues")
    ],
)
def ingest_log(paths: CdsPaths, duckdb: DuckDBResource):
    values = _value_labels(paths)
    with duckdb.get_connection() as con:
        ensure_schemas(con)
        by_source = con.sql(
            "select source as nguồn, status as kết_quả, count(*) as số_tệp, "
            "sum(rows_read) as dòng_đọc, sum(rows_accepted) as dòng_nhận, "
            "sum(rows_quarantined) as dòng_cách_ly from audit.ingest_files group by all order by all"
        ).pl()
        by_source = by_source.with_columns(
            pl.col("nguồn").replace(values.get("source", {})),
            pl.col("kết_quả").replace(values.get("status", {})),
        )
        by_rule = con.sql(
            "select source as nguồn, rule_id as quy_tắc, severity as mức, count(*) as số_lỗi "
            "from audit.ingest_issues group by all order by số_lỗi desc"
        ).pl()
        by_rule = by_rule.with_columns(
            pl.col("nguồn").replace(values.get("source", {})),
            pl.col("mức").replace(values.get("severity", {})),
        )
        unbalanced = con.execute(
            "select count(*) from audit.ingest_files "
            "where rows_read <> rows_accepted + rows_quarantined"
        ).fetchone()[0]
    if unbalanced:
        raise dg.Failure(
            description=f"{unbalanced} tệp không khớp số dòng: đọc ≠ nhận + cách ly",
        )
    yield dg.MaterializeResult(
        asset_key=["audit", "ingest_files"],
        metadata={
            "số tệp theo nguồn và kết quả": markdown_table(by_source),
            "số tệp không khớp số dòng": unbalanced,
        },
    )
    yield dg.MaterializeResult(
        asset_key=["audit", "ingest_issues"],
        metadata={"số lỗi theo quy tắc": markdown_table(by_rule)},
    )
