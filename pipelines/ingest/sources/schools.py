"""`raw/schools/`: the school registry (contract §2.1).

A registry is dated: `Ngày hiệu lực` in its header block, else the date it was exported
(`Ngày xuất dữ liệu`, `Ngày báo cáo`). Every landed row carries that date and which label
gave it; the dbt models decide from it, never from the load order, which registry is
current and which one is in force for each school year."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.ingest.rules import ISSUE_SCHEMA, RowRule, apply_row_rules, duplicated_after_first
from pipelines.ingest.sources.base import (
    IngestContext,
    Shaped,
    Source,
    file_issue,
    school_code_rules,
)
from pipelines.ingest.text import fold_expr, nfc_expr, parse_date_expr
from pipelines.ingest.workbook import ColumnSpec, HeaderField, TableRead, TableSpec

# Header-block dates of a registry, strongest first: the date it takes effect, then the
# date the list was exported (a registry exported on a day describes the schools of that day).
HF_EFFECTIVE_DATE = HeaderField("effective_on", ("Ngày hiệu lực", "Hiệu lực từ ngày"))
HF_REGISTRY_EXPORT_DATE = HeaderField("exported_on", ("Ngày xuất dữ liệu",))
HF_REGISTRY_REPORT_DATE = HeaderField("reported_on", ("Ngày báo cáo",))
DATE_FIELDS = (HF_EFFECTIVE_DATE, HF_REGISTRY_EXPORT_DATE, HF_REGISTRY_REPORT_DATE)

SPEC = TableSpec(
    columns=(
        ColumnSpec("school_code", ("Mã trường", "MA_TRUONG"), required=True),
        ColumnSpec("school_name", ("Tên trường", "TEN_TRUONG"), required=True),
        ColumnSpec("level", ("Cấp học", "CAP_HOC"), required=True),
        ColumnSpec("ownership", ("Loại hình", "LOAI_HINH")),
        ColumnSpec("commune_code", ("Mã xã", "MA_XA")),
        ColumnSpec("commune_name", ("Xã/Phường/Thị trấn", "TEN_XA")),
        # optional: district offices were abolished on 1/7/2025, and registries made since
        # then name the commune and the province only (contract §2.1)
        ColumnSpec("district_code", ("Mã huyện", "MA_HUYEN")),
        ColumnSpec("district_name", ("Quận/Huyện", "TEN_HUYEN")),
        ColumnSpec("province_code", ("Mã tỉnh", "MA_TINH"), required=True),
        ColumnSpec("province_name", ("Tỉnh/Thành phố", "TEN_TINH")),
        ColumnSpec("status", ("Trạng thái", "TRANG_THAI")),
    ),
    header_fields=DATE_FIELDS,
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
    "province_name": pl.String,
    "status": pl.String,
    "is_active": pl.Boolean,
    "effective_on": pl.Date,  # the registry's date (same on every row of a file); null: none
    "effective_basis": pl.String,  # the header label that gave it, e.g. `Ngày hiệu lực`
}


def _parse_date(text: str | None, today: date) -> date | None:
    if not text:
        return None
    return pl.DataFrame({"d": [text]}).select(parse_date_expr("d", today)).item()


def effective_date(
    header: dict[str, str | None], today: date
) -> tuple[date | None, str | None, pl.DataFrame]:
    """The registry's effective date and the label it came from, with a warning for every
    date that could not be read and for a registry without any date (contract §2.1: it
    counts as effective from the start)."""
    warnings = []
    for hf in DATE_FIELDS:
        text = header.get(hf.key)
        if not text:
            continue
        parsed = _parse_date(text, today)
        if parsed is not None:
            return parsed, hf.labels[0], pl.concat(warnings) if warnings else _no_issues()
        warnings.append(
            file_issue(
                hf.labels[0],
                "registry_invalid_date",
                "warning",
                f"'{hf.labels[0]}' của danh mục trường không đọc được (cần dd/mm/yyyy): "
                "bỏ qua ngày này",
                text,
            )
        )
    warnings.append(
        file_issue(
            "Ngày hiệu lực",
            "registry_undated",
            "warning",
            "Danh mục trường không ghi 'Ngày hiệu lực' (hay 'Ngày xuất dữ liệu'): coi như có "
            "hiệu lực từ đầu, trước mọi danh mục có ngày; ghi 'Ngày hiệu lực: dd/mm/yyyy' ở "
            "phần đầu tệp để danh mục được dùng đúng năm học",
        )
    )
    return None, None, pl.concat(warnings)


def _no_issues() -> pl.DataFrame:
    return pl.DataFrame(schema=ISSUE_SCHEMA)


RULES = [
    *school_code_rules(),
    RowRule(
        "duplicate_school_code",
        "school_code",
        duplicated_after_first("school_code"),
        "Mã trường bị trùng trong danh mục (dòng sau bị loại)",
    ),
    RowRule("required_missing", "school_name", pl.col("school_name").is_null(), "Thiếu tên trường"),
    RowRule(
        "invalid_level",
        "level",
        pl.col("level_code").is_null(),
        "Cấp học trống hoặc không hợp lệ (MN, TH, THCS, TH&THCS, THPT)",
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


def typed_rows(read: TableRead, ctx: IngestContext) -> pl.DataFrame:
    """The sheet's rows, cleaned, their labels mapped to codes."""
    cols = [c.key for c in SPEC.columns]
    df = read.data.with_columns(
        *[pl.lit(None, pl.String).alias(k) for k in read.missing_columns],
    ).with_columns(*[nfc_expr(k) for k in cols])
    return df.with_columns(
        pl.col("school_code").str.to_uppercase(),
        ctx.codes.map_expr("school_level", fold_expr("level")).alias("level_code"),
        ctx.codes.map_expr("ownership", fold_expr("ownership")).alias("ownership_code"),
        ctx.codes.map_expr("school_status", fold_expr("status")).alias("status_code"),
    )


def shape(read: TableRead, ctx: IngestContext) -> Shaped:
    effective_on, effective_basis, date_issues = effective_date(read.header, ctx.today)
    outcome = apply_row_rules(typed_rows(read, ctx), RULES, LABELS)
    accepted = outcome.accepted.select(
        "_row",
        "_sheet",
        "school_code",
        "school_name",
        pl.col("level_code").alias("level"),
        pl.col("ownership_code").alias("ownership"),
        "commune_code",
        "commune_name",
        "district_code",
        "district_name",
        "province_code",
        "province_name",
        pl.col("status_code").fill_null("active").alias("status"),
        (pl.col("status_code").fill_null("active") == "active").alias("is_active"),
        pl.lit(effective_on, pl.Date).alias("effective_on"),
        pl.lit(effective_basis, pl.String).alias("effective_basis"),
    )
    return Shaped(
        meta={"school_code": None, "school_year": None, "period": None, "submitted_on": None},
        accepted=accepted,
        quarantined=outcome.quarantined,
        issues=pl.concat([date_issues, outcome.issues]),
    )


SCHOOLS = Source(
    name="schools",
    title_vi="Danh mục trường",
    spec=SPEC,
    shape=shape,
    landing_schema=LANDING_SCHEMA,
    upstream=("reference/code_lists",),
    description_vi=(
        "Danh mục trường từ raw/schools/: mỗi trường một dòng cho mỗi tệp danh mục, đúng kiểu dữ "
        "liệu, kèm nguồn gốc (_source_file, _file_sha256, _sheet, _row, _loaded_at). Dòng sai bị "
        "cách ly kèm lý do; tệp không đọc được bị từ chối cả tệp."
    ),
    checks_vi=(
        "danh mục trường có ít nhất một trường; mã trường, tên trường, mã tỉnh không trống "
        "(mã huyện không bắt buộc); mã trường đúng dạng và không trùng trong một tệp; cấp học, loại hình, trạng thái "
        "thuộc danh mục"
    ),
)
