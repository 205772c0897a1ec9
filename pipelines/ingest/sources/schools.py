"""`raw/schools/`: the school registry (contract §2.1)."""

from __future__ import annotations

import polars as pl

from pipelines.ingest.rules import RowRule, apply_row_rules, duplicated_after_first
from pipelines.ingest.sources.base import SCHOOL_CODE_RE, IngestContext, Shaped, Source
from pipelines.ingest.text import fold_expr, nfc_expr
from pipelines.ingest.workbook import ColumnSpec, TableRead, TableSpec

SPEC = TableSpec(
    columns=(
        ColumnSpec("school_code", ("Mã trường", "MA_TRUONG"), required=True),
        ColumnSpec("school_name", ("Tên trường", "TEN_TRUONG"), required=True),
        ColumnSpec("level", ("Cấp học", "CAP_HOC"), required=True),
        ColumnSpec("ownership", ("Loại hình", "LOAI_HINH")),
        ColumnSpec("commune_code", ("Mã xã", "MA_XA")),
        ColumnSpec("commune_name", ("Xã/Phường/Thị trấn", "TEN_XA")),
        ColumnSpec("district_code", ("Mã huyện", "MA_HUYEN"), required=True),
        ColumnSpec("district_name", ("Quận/Huyện", "TEN_HUYEN")),
        ColumnSpec("province_code", ("Mã tỉnh", "MA_TINH"), required=True),
        ColumnSpec("status", ("Trạng thái", "TRANG_THAI")),
    )
)
LABELS = {c.key: c.headers[0] for c in SPEC.columns}

LANDING_SCHEMA: dict[str, pl.DataType] = {
    "school_code": pl.String,
    "school_name": pl.String,
    "level": pl.String,
    "ownership": pl.String,
    "commune_code": pl.String,
    "commune_name": pl.String,
    "district_code": pl.String,
    "district_name": pl.String,
    "province_code": pl.String,
    "status": pl.String,
    "is_active": pl.Boolean,
}


def shape(read: TableRead, ctx: IngestContext) -> Shaped:
    cols = [c.key for c in SPEC.columns]
    df = read.data.with_columns(
        *[pl.lit(None, pl.String).alias(k) for k in read.missing_columns],
    ).with_columns(*[nfc_expr(k) for k in cols])
    df = df.with_columns(
        pl.col("school_code").str.to_uppercase(),
        ctx.codes.map_expr("school_level", fold_expr("level")).alias("level_code"),
        ctx.codes.map_expr("ownership", fold_expr("ownership")).alias("ownership_code"),
        ctx.codes.map_expr("school_status", fold_expr("status")).alias("status_code"),
    )
    code_pattern = SCHOOL_CODE_RE.pattern
    rules = [
        RowRule(
            "required_missing", "school_code", pl.col("school_code").is_null(), "Thiếu mã trường"
        ),
        RowRule(
            "invalid_school_code",
            "school_code",
            pl.col("school_code").is_not_null() & ~pl.col("school_code").str.contains(code_pattern),
            "Mã trường phải gồm 6–12 chữ số hoặc chữ in hoa",
        ),
        RowRule(
            "duplicate_school_code",
            "school_code",
            duplicated_after_first("school_code"),
            "Mã trường bị trùng trong danh mục (dòng sau bị loại)",
        ),
        RowRule(
            "required_missing", "school_name", pl.col("school_name").is_null(), "Thiếu tên trường"
        ),
        RowRule(
            "invalid_level",
            "level",
            pl.col("level_code").is_null(),
            "Cấp học trống hoặc không hợp lệ (MN, TH, THCS, TH&THCS, THPT)",
        ),
        RowRule(
            "required_missing", "district_code", pl.col("district_code").is_null(), "Thiếu mã huyện"
        ),
        RowRule(
            "required_missing", "province_code", pl.col("province_code").is_null(), "Thiếu mã tỉnh"
        ),
        RowRule(
            "invalid_ownership",
            "ownership",
            pl.col("ownership").is_not_null() & pl.col("ownership_code").is_null(),
            "Loại hình không hợp lệ (Công lập, Tư thục, Dân lập); để trống",
            severity="warning",
        ),
        RowRule(
            "invalid_status",
            "status",
            pl.col("status").is_not_null() & pl.col("status_code").is_null(),
            "Trạng thái không hợp lệ; coi như trường đang hoạt động",
            severity="warning",
        ),
    ]
    outcome = apply_row_rules(df, rules, LABELS)
    accepted = outcome.accepted.select(
        "_row",
        "school_code",
        "school_name",
        pl.col("level_code").alias("level"),
        pl.col("ownership_code").alias("ownership"),
        "commune_code",
        "commune_name",
        "district_code",
        "district_name",
        "province_code",
        pl.col("status_code").fill_null("active").alias("status"),
        (pl.col("status_code").fill_null("active") == "active").alias("is_active"),
    )
    return Shaped(
        meta={"school_code": None, "school_year": None, "period": None, "submitted_on": None},
        accepted=accepted,
        quarantined=outcome.quarantined,
        issues=outcome.issues,
    )


SCHOOLS = Source(
    name="schools",
    title_vi="Danh mục trường",
    spec=SPEC,
    shape=shape,
    landing_schema=LANDING_SCHEMA,
)
