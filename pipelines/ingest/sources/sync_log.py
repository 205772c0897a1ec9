"""`raw/sync_log/`: the history of pushes from school software to the sector database
(contract §2.7).

One table, many schools: each row is one push of one batch (pupils, staff, classes,
results) of one school, term and stage, with the records received from the school's
software, pushed to the Ministry, and how many succeeded and failed. The school, school year
and term are read on every row (there is no header block); the labels of term, batch and
status are mapped to codes through `code_lists.csv` (lists `sync_term`, `sync_batch`,
`sync_status`). Which push is current is decided in dbt (`int_sync__pushes`), never here.
"""

from __future__ import annotations

import polars as pl

from pipelines.ingest.rules import ISSUE_SCHEMA, RowRule, apply_row_rules
from pipelines.ingest.sources.base import (
    IngestContext,
    Shaped,
    Source,
    school_code_rules,
    school_year_rules,
    with_registry,
)
from pipelines.ingest.text import fold_expr, nfc_expr, parse_count_expr, parse_date_expr
from pipelines.ingest.workbook import ColumnSpec, TableRead, TableSpec

SPEC = TableSpec(
    columns=(
        ColumnSpec("school_code", ("Mã trường",), required=True),
        ColumnSpec("partner", ("Đối tác",)),
        ColumnSpec("school_year", ("Năm học",), required=True),
        ColumnSpec("term", ("Học kỳ",), required=True),
        ColumnSpec("stage", ("Giai đoạn",)),
        ColumnSpec("batch", ("Đợt đẩy",), required=True),
        ColumnSpec("status", ("Trạng thái",), required=True),
        ColumnSpec("received", ("Nhận từ QLNT",)),
        ColumnSpec("pushed", ("Đẩy lên bộ",), required=True),
        ColumnSpec("succeeded", ("Thành công",), required=True),
        ColumnSpec("failed", ("Thất bại",), required=True),
        ColumnSpec("pushed_at", ("Thời gian đẩy",)),
    ),
)
LABELS = {c.key: c.headers[0] for c in SPEC.columns}
COUNTS = ("received", "pushed", "succeeded", "failed")

LANDING_SCHEMA: dict[str, pl.DataType] = {
    "school_code": pl.String,
    "partner": pl.String,
    "school_year": pl.String,
    "term": pl.Int64,
    "stage": pl.String,
    "batch": pl.String,
    "status": pl.String,
    "received": pl.Int64,
    "pushed": pl.Int64,
    "succeeded": pl.Int64,
    "failed": pl.Int64,
    "pushed_at": pl.Datetime("us"),
}

_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2}))?"


def _count_rule(col: str, severity: str = "error") -> RowRule:
    tail = "" if severity == "error" else ": ô này bị bỏ qua (để trống), dòng vẫn được nhận"
    return RowRule(
        "invalid_count",
        col,
        pl.col(col).is_not_null() & pl.col(f"{col}_n").is_null(),
        f"'{LABELS[col]}' phải là số nguyên không âm{tail}",
        severity=severity,
    )


RULES = [
    *school_code_rules(
        in_registry=True,
        unknown="Mã trường không có trong danh mục trường: dòng đẩy dữ liệu bị cách ly",
    ),
    *school_year_rules(),
    RowRule(
        "invalid_term",
        "term",
        pl.col("term_code").is_null(),
        "Học kỳ trống hoặc không hợp lệ (1, 2, HK1, HK2, Học kỳ 1, Học kỳ 2, I, II)",
    ),
    RowRule(
        "invalid_batch",
        "batch",
        pl.col("batch_code").is_null(),
        "Đợt đẩy trống hoặc không hợp lệ (Học sinh, Giáo viên, Lớp học, Kết quả học tập)",
    ),
    RowRule(
        "invalid_sync_status",
        "status",
        pl.col("status_code").is_null(),
        "Trạng thái đẩy trống hoặc không hợp lệ (Đẩy thành công, Đẩy lỗi, Tổng hợp lỗi)",
    ),
    *[
        RowRule(
            "required_missing",
            c,
            pl.col(c).is_null(),
            f"Thiếu '{LABELS[c]}' (ghi 0 nếu không có bản ghi nào)",
        )
        for c in ("pushed", "succeeded", "failed")
    ],
    *[_count_rule(c) for c in ("pushed", "succeeded", "failed")],
    _count_rule("received", severity="warning"),
    RowRule(
        "sync_counts_mismatch",
        "pushed",
        pl.col("succeeded_n") + pl.col("failed_n") != pl.col("pushed_n"),
        f"'{LABELS['succeeded']}' + '{LABELS['failed']}' khác '{LABELS['pushed']}'",
        severity="warning",
        value=pl.format(
            "{} + {} ≠ {}", pl.col("succeeded_n"), pl.col("failed_n"), pl.col("pushed_n")
        ),
    ),
    RowRule(
        "invalid_pushed_at",
        "pushed_at",
        pl.col("pushed_at").is_not_null() & pl.col("pushed_at_t").is_null(),
        f"'{LABELS['pushed_at']}' không đọc được (cần dd/mm/yyyy hh:mm): để trống",
        severity="warning",
    ),
]


def _pushed_at(ctx: IngestContext) -> pl.Expr:
    """The push's date and time: a date as `parse_date_expr` reads it, plus the time of day
    written after it (`hh:mm` or `hh:mm:ss`), or an Excel serial's fraction of a day."""
    text = pl.col("pushed_at").str.strip_chars()
    day = parse_date_expr("pushed_at", ctx.today).cast(pl.Datetime("us"))
    clock = [text.str.extract(_TIME, i).cast(pl.Int64, strict=False) for i in (1, 2, 3)]
    serial = text.str.extract(r"^\d{4,6}(\.\d+)$", 1).cast(pl.Float64, strict=False)
    of_day = (
        pl.when(clock[0].is_not_null())
        .then(
            pl.duration(
                hours=clock[0], minutes=clock[1], seconds=clock[2].fill_null(0), time_unit="us"
            )
        )
        .when(serial.is_not_null())
        .then(pl.duration(seconds=(serial * 86_400).round(0).cast(pl.Int64), time_unit="us"))
        .otherwise(pl.duration(seconds=0, time_unit="us"))
    )
    return (day + of_day).alias("pushed_at_t")


def typed_rows(read: TableRead, ctx: IngestContext) -> pl.DataFrame:
    """The rows cleaned, labels mapped to codes, counts and times parsed, and whether each
    school is in the registry (every school is, when the registry is not known: cds check)."""
    df = (
        read.data.with_columns(*[pl.lit(None, pl.String).alias(k) for k in read.missing_columns])
        .with_columns(*[nfc_expr(c.key) for c in SPEC.columns])
        .with_columns(
            pl.col("school_code").str.to_uppercase(),
            pl.col("school_year").str.replace_all(r"\s", ""),
            pl.col("term").str.replace(r"\.0$", "").alias("term_text"),
        )
    )
    return with_registry(df, ctx).with_columns(
        ctx.codes.map_expr("sync_term", fold_expr("term_text")).alias("term_code"),
        ctx.codes.map_expr("sync_batch", fold_expr("batch")).alias("batch_code"),
        ctx.codes.map_expr("sync_status", fold_expr("status")).alias("status_code"),
        *[parse_count_expr(c).alias(f"{c}_n") for c in COUNTS],
        _pushed_at(ctx),
    )


def shape(read: TableRead, ctx: IngestContext) -> Shaped:
    outcome = apply_row_rules(typed_rows(read, ctx), RULES, LABELS)
    accepted = outcome.accepted.select(
        "_row",
        "_sheet",
        "school_code",
        "partner",
        "school_year",
        pl.col("term_code").cast(pl.Int64).alias("term"),
        "stage",
        pl.col("batch_code").alias("batch"),
        pl.col("status_code").alias("status"),
        *[pl.col(f"{c}_n").alias(c) for c in COUNTS],
        pl.col("pushed_at_t").alias("pushed_at"),
    )
    return Shaped(
        meta={"school_code": None, "school_year": None, "period": None, "submitted_on": None},
        accepted=accepted,
        quarantined=outcome.quarantined,
        issues=outcome.issues.select(list(ISSUE_SCHEMA)),
    )


SYNC_LOG = Source(
    name="sync_log",
    title_vi="Lịch sử đẩy dữ liệu lên CSDL ngành",
    spec=SPEC,
    shape=shape,
    landing_schema=LANDING_SCHEMA,
    description_vi=(
        "Lịch sử đẩy dữ liệu từ phần mềm quản lý nhà trường (SMAS, vnEdu…) lên CSDL ngành, "
        "raw/sync_log/: mỗi lần đẩy một dòng (trường, năm học, học kỳ, giai đoạn, đợt đẩy, "
        "trạng thái, số bản ghi nhận, đẩy, thành công, thất bại), kèm nguồn gốc (_source_file, "
        "_file_sha256, _sheet, _row, _loaded_at). Dòng sai bị cách ly kèm lý do."
    ),
    checks_vi=(
        "mã trường không trống và có trong danh mục; năm học dạng 2024-2025; học kỳ là 1 hoặc "
        "2; đợt đẩy, trạng thái thuộc danh mục; số bản ghi đẩy, thành công, thất bại là số "
        "nguyên không âm; thành công + thất bại bằng số đẩy (cảnh báo)"
    ),
)
