"""`raw/emis_report/`: the periodic statistical report (contract §2.3)."""

from __future__ import annotations

import polars as pl

from pipelines.ingest.rules import ISSUE_SCHEMA, RowRule, apply_row_rules, duplicated_after_first
from pipelines.ingest.sources.base import IngestContext, Shaped, Source, report_header
from pipelines.ingest.sources.specs import EMIS_REPORT_SPEC as SPEC
from pipelines.ingest.text import nfc_expr, parse_count_expr
from pipelines.ingest.workbook import TableRead

LABELS = {c.key: c.headers[0] for c in SPEC.columns}
COUNTS = ("total", "female", "ethnic")

LANDING_SCHEMA: dict[str, pl.DataType] = {
    "school_code": pl.String,
    "school_year": pl.String,
    "period": pl.String,
    "submitted_on": pl.Date,
    "indicator_code": pl.String,
    "total": pl.Int64,
    "female": pl.Int64,
    "ethnic": pl.Int64,
}


RULES = [
    RowRule(
        "required_missing",
        "indicator_code",
        pl.col("indicator_code").is_null(),
        "Thiếu mã số chỉ tiêu",
    ),
    RowRule(
        "unknown_emis_code",
        "indicator_code",
        pl.col("indicator_code").is_not_null() & ~pl.col("code_known"),
        "Mã số chỉ tiêu không có trong danh mục chỉ tiêu thống kê",
    ),
    RowRule(
        "duplicate_emis_code",
        "indicator_code",
        duplicated_after_first("indicator_code"),
        "Mã số chỉ tiêu khai báo nhiều lần (dòng sau bị loại)",
    ),
    RowRule(
        "invalid_count",
        "total",
        pl.col("total").is_not_null() & pl.col("total_n").is_null(),
        f"'{LABELS['total']}' phải là số nguyên không âm (để trống nếu chưa có số liệu)",
    ),
    # The breakdowns are optional: a note or a stray word there loses that cell only,
    # never the row's total.
    *[
        RowRule(
            "invalid_optional_count",
            c,
            pl.col(c).is_not_null() & pl.col(f"{c}_n").is_null(),
            f"'{LABELS[c]}' không phải số nguyên không âm: ô này bị bỏ qua (để trống), "
            f"'{LABELS['total']}' của dòng vẫn được nhận",
            severity="warning",
        )
        for c in COUNTS[1:]
    ],
]


def typed_rows(read: TableRead, ctx: IngestContext) -> pl.DataFrame:
    """The sheet's rows, cleaned, counts parsed, and whether each code is a known one."""
    known = [] if ctx.emis_codes is None else ctx.emis_codes["code"].to_list()
    return (
        read.data.with_columns(*[pl.lit(None, pl.String).alias(k) for k in read.missing_columns])
        .with_columns(*[nfc_expr(c.key) for c in SPEC.columns])
        .with_columns(pl.col("indicator_code").str.replace(r"\.0$", ""))
        .with_columns(*[parse_count_expr(c).alias(f"{c}_n") for c in COUNTS])
        .with_columns(pl.col("indicator_code").is_in(known).alias("code_known"))
    )


def shape(read: TableRead, ctx: IngestContext) -> Shaped:
    meta, file_issues = report_header(read, ctx)
    outcome = apply_row_rules(typed_rows(read, ctx), RULES, LABELS)
    accepted = outcome.accepted.select(
        "_row",
        "_sheet",
        pl.lit(meta["school_code"]).alias("school_code"),
        pl.lit(meta["school_year"]).alias("school_year"),
        pl.lit(meta["period"]).alias("period"),
        pl.lit(meta["submitted_on"], pl.Date).alias("submitted_on"),
        "indicator_code",
        *[pl.col(f"{c}_n").alias(c) for c in COUNTS],
    )
    issues = pl.concat([outcome.issues, file_issues]).select(list(ISSUE_SCHEMA))
    return Shaped(meta=meta, accepted=accepted, quarantined=outcome.quarantined, issues=issues)


EMIS_REPORT = Source(
    name="emis_report",
    title_vi="Báo cáo thống kê định kỳ",
    spec=SPEC,
    shape=shape,
    landing_schema=LANDING_SCHEMA,
    upstream=(
        "landing/schools",
        "reference/emis_indicators",
        "reference/code_lists",
    ),
    partitioned=True,
    periods=("dau_nam", "cuoi_nam"),
    description_vi=(
        "Báo cáo thống kê định kỳ (đầu năm, cuối năm) từ raw/emis_report/: mỗi mã số chỉ tiêu một "
        "dòng cho mỗi báo cáo nộp, giữ mọi lần nộp, ô trống khác số 0. Mã lạ, số đếm không phải số"
        " hoặc số âm bị cách ly."
    ),
    checks_vi=(
        "mã trường có trong danh mục trường, mã số chỉ tiêu có trong danh mục chỉ tiêu; năm học, "
        "kỳ báo cáo đúng; mỗi chỉ tiêu một dòng trong một báo cáo; số liệu không âm; ít nhất 95% "
        "chỉ tiêu có Tổng số"
    ),
)
