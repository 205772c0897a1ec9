"""What leaves the warehouse: analytics.duckdb for analysts."""

from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.assets.constants import DUCKDB_POOL, OWNER
from pipelines.assets.metadata import markdown_table
from pipelines.publish import publish_analytics
from pipelines.reference.labels import Labels, load_labels
from pipelines.resources import CdsPaths
from pipelines.settings import DBT_PROJECT_DIR


def published_marts(project_dir: Path = DBT_PROJECT_DIR) -> list[str]:
    """The dbt models publish copies, so the assets it waits for: the models of the dbt
    project's marts folder, built into the schema `marts` (dbt_project.yml) that
    `publish_analytics` copies whole. Read from the folder, not the manifest: the definitions
    are loaded before anything may parse the project (no work at import, issue 16);
    tests/test_publish_deps.py holds it equal to the manifest's models of schema `marts`, as
    dagster-dbt selects them (build_dbt_asset_selection, get_asset_key_for_model)."""
    return sorted(p.stem for p in (project_dir / "models" / "marts").glob("*.sql"))


MARTS = published_marts()


@dg.asset(
    key=["publish", "analytics_db"],
    group_name="publish",
    owners=[OWNER],
    pool=DUCKDB_POOL,
    kinds={"duckdb"},
    deps=[["marts", m] for m in MARTS],
    description=(
        "Cơ sở dữ liệu cho người phân tích, warehouse/analytics.duckdb: chỉ các bảng kết quả "
        "(schema `marts`, không có dòng nào về từng học sinh hay cán bộ), kèm tên tiếng Việt của "
        "bảng và cột. Tệp mới được dựng bên cạnh rồi thay tệp cũ, nên người phân tích vẫn mở "
        "được tệp trong lúc hệ thống chạy."
    ),
)
def analytics_db(
    context: dg.AssetExecutionContext, paths: CdsPaths, duckdb: DuckDBResource
) -> dg.MaterializeResult:
    target = paths.settings.analytics_db
    with duckdb.get_connection() as con:
        labels = load_labels(paths.settings.reference_file("labels_vi.csv"))
        counts = publish_analytics(con, target, labels)
        # every school of the warehouse (the nation's rows): a registry may name no district
        levels = con.sql(
            "select school_year as năm_học, level as cấp, n_schools as số_trường, "
            "n_assessed as đã_đánh_giá, n_level1 as mức_1, n_level2 as mức_2, n_level3 as mức_3, "
            "pct_level2_plus as tỉ_lệ_mức_2_trở_lên from marts.cds_maturity_area "
            "where area_level = 'nation' order by school_year, level"
        ).pl()
        bands = con.sql(
            "select school_year as năm_học, period as kỳ, n_schools_expected as số_trường, "
            "reporting_rate as tỉ_lệ_nộp, on_time_rate as tỉ_lệ_đúng_hạn, "
            "avg_completeness_score as điểm_đầy_đủ_tb, n_green as xanh, n_amber as vàng, "
            "n_red as đỏ from marts.data_completeness_area "
            "where area_level = 'nation' order by school_year, period"
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
        metadata=publish_metadata(target, counts, levels, bands, follow_up, n_follow_up, labels)
    )


def publish_metadata(
    target: Path,
    counts: dict[str, int],
    levels: pl.DataFrame,
    bands: pl.DataFrame,
    follow_up: pl.DataFrame,
    n_follow_up: int,
    labels: Labels,
) -> dict[str, Any]:
    """What the officer reads on publish/analytics_db, keys and codes in Vietnamese."""
    values = labels.values

    def words(df: pl.DataFrame, column: str, kind: str) -> pl.DataFrame:
        if column not in df.columns:
            return df
        return df.with_columns(pl.col(column).cast(pl.String).replace(values.get(kind, {})))

    tables = pl.DataFrame(
        {
            "bảng": list(counts),
            "tên": [labels.table(t) for t in counts],
            "số dòng": list(counts.values()),
        },
        schema={"bảng": pl.String, "tên": pl.String, "số dòng": pl.Int64},
    )
    follow_up = words(words(follow_up, "nguồn", "source"), "kỳ", "period")
    return {
        "tệp": dg.MetadataValue.path(str(target)),
        "các bảng": markdown_table(tables),
        "mức CĐS theo cấp học": markdown_table(words(levels, "cấp", "level")),
        "mức đầy đủ dữ liệu theo kỳ": markdown_table(words(bands, "kỳ", "period")),
        "số việc cần đôn đốc": n_follow_up,
        "danh sách việc cần đôn đốc": markdown_table(follow_up, limit=30),
    }
