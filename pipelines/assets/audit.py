"""The ingest log: what ingestion decided about every file and row, reconciled."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.assets.constants import DUCKDB_POOL, OWNER
from pipelines.assets.metadata import markdown_table
from pipelines.ingest.landing import ensure_schemas
from pipelines.ingest.sources import SOURCES

_DESCRIPTION = (
    "audit.ingest_files (every file seen: accepted, rejected, duplicate, with row counts) and "
    "audit.ingest_issues (every rejection, quarantined row and warning, with file, sheet, row "
    "and column) written by the landing assets; checked here so that for every file rows "
    "read = rows accepted + rows quarantined."
)


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
def ingest_log(duckdb: DuckDBResource):
    with duckdb.get_connection() as con:
        ensure_schemas(con)
        by_source = con.sql(
            "select source as nguồn, status as kết_quả, count(*) as số_tệp, "
            "sum(rows_read) as dòng_đọc, sum(rows_accepted) as dòng_nhận, "
            "sum(rows_quarantined) as dòng_cách_ly from audit.ingest_files group by all order by all"
        ).pl()
        by_rule = con.sql(
            "select source as nguồn, rule_id as quy_tắc, severity as mức, count(*) as số_lỗi "
            "from audit.ingest_issues group by all order by số_lỗi desc"
        ).pl()
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
        metadata={"files_by_outcome": markdown_table(by_source), "unreconciled_files": unbalanced},
    )
    yield dg.MaterializeResult(
        asset_key=["audit", "ingest_issues"], metadata={"issues_by_rule": markdown_table(by_rule)}
    )
