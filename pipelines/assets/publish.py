"""What leaves the warehouse: analytics.duckdb for analysts."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.assets.constants import DUCKDB_POOL, OWNER
from pipelines.assets.metadata import markdown_table
from pipelines.publish import publish_analytics
from pipelines.reference.labels import load_labels
from pipelines.resources import CdsPaths

MARTS = [
    "dim_school",
    "cds_indicator_scores",
    "cds_maturity_school",
    "cds_maturity_district",
    "reporting_status",
    "data_completeness_school",
    "data_completeness_district",
    "infrastructure_school",
    "infrastructure_district",
    "data_quality_issues",
    "follow_up_list",
]


@dg.asset(
    key=["publish", "analytics_db"],
    group_name="publish",
    owners=[OWNER],
    pool=DUCKDB_POOL,
    kinds={"duckdb"},
    deps=[["marts", m] for m in MARTS],
    description=(
        "warehouse/analytics.duckdb: the `marts` schema only (no person-level rows), rebuilt "
        "beside the old file and renamed over it, so analysts can keep it open while the "
        "pipeline runs."
    ),
)
def analytics_db(
    context: dg.AssetExecutionContext, paths: CdsPaths, duckdb: DuckDBResource
) -> dg.MaterializeResult:
    target = paths.settings.analytics_db
    with duckdb.get_connection() as con:
        labels = load_labels(paths.settings.reference_file("labels_vi.csv"))
        counts = publish_analytics(con, target, labels)
        levels = con.sql(
            "select school_year as năm_học, level as cấp, n_schools as số_trường, "
            "n_assessed as đã_đánh_giá, n_level1 as mức_1, n_level2 as mức_2, n_level3 as mức_3, "
            "pct_level2_plus as tỉ_lệ_mức_2_trở_lên from marts.cds_maturity_district "
            "order by district_code, school_year, level"
        ).pl()
        bands = con.sql(
            "select school_year as năm_học, period as kỳ, n_schools_expected as số_trường, "
            "reporting_rate as tỉ_lệ_nộp, on_time_rate as tỉ_lệ_đúng_hạn, "
            "avg_completeness_score as điểm_đầy_đủ_tb, n_green as xanh, n_amber as vàng, "
            "n_red as đỏ from marts.data_completeness_district "
            "order by district_code, school_year, period"
        ).pl()
        follow_up = con.sql(
            "select priority as ưu_tiên, school_name as trường, source as nguồn, "
            "school_year as năm_học, period as kỳ, message_vi as việc_cần_làm, "
            'source_file as tệp, "row" as dòng from marts.follow_up_list '
            "order by priority limit 30"
        ).pl()
        n_follow_up = con.execute("select count(*) from marts.follow_up_list").fetchone()[0]
    context.log.info(f"Đã xuất bản {target}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "tables": markdown_table(
                pl.DataFrame({"bảng": list(counts), "số dòng": list(counts.values())})
            ),
            "cds_levels_by_district": markdown_table(levels),
            "completeness_bands": markdown_table(bands),
            "follow_up_items": n_follow_up,
            "follow_up_list": markdown_table(follow_up, limit=30),
        }
    )
