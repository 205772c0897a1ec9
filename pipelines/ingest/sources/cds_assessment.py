"""`raw/cds_assessment/`: a school's CĐS self-assessment (contract §2.2, QĐ 4725)."""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from pipelines.ingest.rules import ISSUE_SCHEMA, RowRule, apply_row_rules, duplicated_after_first
from pipelines.ingest.sources.base import (
    HF_REPORT_DATE,
    HF_SCHOOL,
    HF_YEAR,
    IngestContext,
    Shaped,
    Source,
    file_issue,
    report_header,
)
from pipelines.ingest.text import fold_expr, nfc_expr, parse_count_expr, parse_number_expr
from pipelines.ingest.workbook import ColumnSpec, FileRejected, TableRead, TableSpec
from pipelines.reference.cds_index import CdsIndex

SPEC = TableSpec(
    columns=(
        ColumnSpec("indicator_code", ("Mã tiêu chí", "Mã chỉ tiêu", "Mã chỉ số"), required=True),
        ColumnSpec("label", ("Nội dung",)),
        ColumnSpec("self_score", ("Điểm tự đánh giá",), required=True),
        ColumnSpec("numerator", ("Tử số",)),
        ColumnSpec("denominator", ("Mẫu số",)),
        ColumnSpec("evidence", ("Minh chứng",)),
    ),
    header_fields=(HF_SCHOOL, HF_YEAR, HF_REPORT_DATE),
)
LABELS = {c.key: c.headers[0] for c in SPEC.columns}

LANDING_SCHEMA: dict[str, pl.DataType] = {
    "school_code": pl.String,
    "school_year": pl.String,
    "period": pl.String,
    "submitted_on": pl.Date,
    "indicator_code": pl.String,
    "label": pl.String,
    "self_score_raw": pl.String,
    "self_score": pl.Float64,
    "self_met": pl.Boolean,
    "numerator": pl.Int64,
    "denominator": pl.Int64,
    "evidence": pl.String,
}


_NUMERIC_RULE = pl.col("rule").is_in(["binary", "ratio", "bands"])
_SCORE_GIVEN = pl.col("self_score").is_not_null()
_IS_MANDATORY = pl.col("rule") == "mandatory"
_MANDATORY_OK = pl.col("score_word").is_not_null() | pl.col("score_num").is_in([0.0, 1.0])

# `{index_id}` is the index's id (cds_index.yaml), filled in by `rules_for`.
RULES = [
    RowRule(
        "required_missing",
        "indicator_code",
        pl.col("indicator_code").is_null(),
        "Thiếu mã tiêu chí",
    ),
    RowRule(
        "unknown_indicator",
        "indicator_code",
        pl.col("indicator_code").is_not_null() & pl.col("rule").is_null(),
        "Mã tiêu chí không có trong bộ chỉ số {index_id}",
    ),
    RowRule(
        "duplicate_indicator",
        "indicator_code",
        duplicated_after_first("indicator_code"),
        "Mã tiêu chí khai báo nhiều lần trong phiếu (dòng sau bị loại)",
    ),
    RowRule(
        "invalid_self_score",
        "self_score",
        _SCORE_GIVEN & pl.col("score_num").is_null() & pl.col("score_word").is_null(),
        "Điểm tự đánh giá không hợp lệ (cần số ≥ 0, hoặc Đạt/Không đạt)",
    ),
    RowRule(
        "negative_self_score",
        "self_score",
        pl.col("score_num") < 0,
        "Điểm tự đánh giá không được âm",
    ),
    RowRule(
        "self_score_type_mismatch",
        "self_score",
        _SCORE_GIVEN & _IS_MANDATORY & ~_MANDATORY_OK,
        "Điều kiện bắt buộc chỉ nhận Đạt/Không đạt (hoặc Có/Không)",
    ),
    RowRule(
        "self_score_type_mismatch",
        "self_score",
        _NUMERIC_RULE & pl.col("score_num").is_null() & pl.col("score_word").is_not_null(),
        "Chỉ số tính điểm cần điểm bằng số, không phải Đạt/Không đạt",
    ),
    RowRule(
        "invalid_optional_count",
        "numerator",
        pl.col("numerator").is_not_null() & pl.col("num").is_null(),
        "Tử số phải là số nguyên không âm: ô này bị bỏ qua, điểm tự đánh giá vẫn được nhận",
        severity="warning",
    ),
    RowRule(
        "invalid_optional_count",
        "denominator",
        pl.col("denominator").is_not_null() & pl.col("den").is_null(),
        "Mẫu số phải là số nguyên không âm: ô này bị bỏ qua, điểm tự đánh giá vẫn được nhận",
        severity="warning",
    ),
    RowRule(
        "self_score_above_max",
        "self_score",
        _NUMERIC_RULE & (pl.col("score_num") > pl.col("max_points")),
        "Điểm tự đánh giá vượt điểm tối đa của chỉ số; được tính bằng điểm tối đa",
        severity="warning",
    ),
    RowRule(
        "numerator_above_denominator",
        "numerator",
        (pl.col("rule") == "ratio") & (pl.col("num") > pl.col("den")),
        "Tử số lớn hơn mẫu số",
        severity="warning",
        value=pl.format("{}/{}", pl.col("num"), pl.col("den")),
    ),
    RowRule(
        "missing_evidence",
        "evidence",
        pl.col("evidence").is_null()
        & (
            (_NUMERIC_RULE & (pl.col("score_num") > 0))
            | (pl.col("score_word") == "yes")
            | (_IS_MANDATORY & (pl.col("score_num") == 1.0))
        ),
        "Tự đánh giá có điểm/Đạt nhưng không có minh chứng: không được công nhận khi thẩm định",
        severity="warning",
        value=pl.col("indicator_code"),
    ),
]


def rules_for(index: CdsIndex) -> list[RowRule]:
    """RULES, their messages naming `index`."""
    return [
        replace(r, message_vi=r.message_vi.replace("{index_id}", index.index_id)) for r in RULES
    ]


def check_level_in_scope(meta: dict, read: TableRead, index: CdsIndex) -> None:
    """A school of a level the index does not assess: the whole file is rejected."""
    level = meta["school_level"]
    if level is not None and level not in index.levels_in_scope:
        raise FileRejected(
            "level_out_of_scope",
            f"Trường cấp {level} không thuộc phạm vi bộ chỉ số "
            f"{index.index_id} ({', '.join(index.levels_in_scope)})",
            sheet=read.sheet,
            field="Mã trường",
            value=str(meta["school_code"]),
        )


def typed_rows(read: TableRead, ctx: IngestContext, index: CdsIndex) -> pl.DataFrame:
    """The sheet's rows, cleaned and parsed, each with its indicator's rule and maximum."""
    indicators = pl.DataFrame(
        [
            {"indicator_code": i.code, "rule": i.rule, "max_points": i.max_points}
            for i in index.indicators
        ]
    )
    return (
        read.data.with_columns(*[pl.lit(None, pl.String).alias(k) for k in read.missing_columns])
        .with_columns(*[nfc_expr(c.key) for c in SPEC.columns])
        .with_columns(
            pl.col("indicator_code").str.replace_all(r"\s", "").str.strip_chars("."),
            parse_number_expr("self_score").alias("score_num"),
            ctx.codes.map_expr("yes_no", fold_expr("self_score")).alias("score_word"),
            parse_count_expr("numerator").alias("num"),
            parse_count_expr("denominator").alias("den"),
        )
        .join(indicators, on="indicator_code", how="left")
    )


def accepted_rows(accepted: pl.DataFrame, meta: dict) -> pl.DataFrame:
    """The accepted rows in landing's columns: a mandatory condition is met or not, a
    scored indicator has its score."""
    return accepted.select(
        "_row",
        "_sheet",
        pl.lit(meta["school_code"]).alias("school_code"),
        pl.lit(meta["school_year"]).alias("school_year"),
        pl.lit("ca_nam").alias("period"),
        pl.lit(meta["submitted_on"], pl.Date).alias("submitted_on"),
        "indicator_code",
        "label",
        pl.col("self_score").alias("self_score_raw"),
        pl.when(pl.col("rule") == "mandatory")
        .then(None)
        .otherwise(pl.col("score_num"))
        .alias("self_score"),
        pl.when(pl.col("rule") == "mandatory")
        .then((pl.col("score_word") == "yes") | (pl.col("score_num") == 1.0))
        .alias("self_met"),
        pl.col("num").alias("numerator"),
        pl.col("den").alias("denominator"),
        "evidence",
    )


def not_reported_issues(df: pl.DataFrame, index: CdsIndex) -> list[pl.DataFrame]:
    """One warning listing the index's indicators the file does not report, if any."""
    reported = set(df["indicator_code"].drop_nulls().to_list())
    not_reported = [i.code for i in index.indicators if i.code not in reported]
    if not not_reported:
        return []
    return [
        file_issue(
            "Mã tiêu chí",
            "indicators_not_reported",
            "warning",
            f"Phiếu thiếu {len(not_reported)} chỉ số của bộ chỉ số (tính 0 điểm/không đạt): "
            + ", ".join(not_reported),
            ", ".join(not_reported),
        )
    ]


def shape(read: TableRead, ctx: IngestContext) -> Shaped:
    index = ctx.cds_index()
    meta, file_issues = report_header(read, ctx, fixed_period="ca_nam")
    check_level_in_scope(meta, read, index)
    df = typed_rows(read, ctx, index)
    outcome = apply_row_rules(df, rules_for(index), LABELS)
    issues = pl.concat(
        [outcome.issues, file_issues, *not_reported_issues(df, index)], how="vertical"
    )
    return Shaped(
        meta=meta,
        accepted=accepted_rows(outcome.accepted, meta),
        quarantined=outcome.quarantined,
        issues=issues.select(list(ISSUE_SCHEMA)),
    )


CDS_ASSESSMENT = Source(
    name="cds_assessment",
    title_vi="Phiếu tự đánh giá chuyển đổi số",
    spec=SPEC,
    shape=shape,
    landing_schema=LANDING_SCHEMA,
    reads_index=True,
    upstream=(
        "landing/schools",
        "reference/cds_index",
        "reference/code_lists",
    ),
    periods=("ca_nam",),
    description_vi=(
        "Phiếu tự đánh giá chuyển đổi số (CĐS, QĐ 4725) từ raw/cds_assessment/: mỗi tiêu chí một "
        "dòng cho mỗi phiếu nộp, giữ mọi lần nộp. Phiếu ghi mã trường không có trong danh mục, "
        "thiếu Mã trường/Năm học hoặc một cột bắt buộc, hoặc của cấp học ngoài bộ chỉ số bị từ "
        "chối; dòng có mã lạ hoặc điểm không hợp lệ bị cách ly."
    ),
    checks_vi=(
        "mã trường có trong danh mục trường, mã tiêu chí có trong bộ chỉ số đã nạp; năm học đúng "
        "dạng; mỗi tiêu chí một dòng trong một phiếu; điểm, tử số, mẫu số không âm; ít nhất 80% "
        "tiêu chí có minh chứng"
    ),
)
