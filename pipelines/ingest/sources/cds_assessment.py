"""`raw/cds_assessment/`: a school's CĐS self-assessment (contract §2.2, QĐ 4725)."""

from __future__ import annotations

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


def shape(read: TableRead, ctx: IngestContext) -> Shaped:
    meta, file_issues = report_header(read, ctx, fixed_period="ca_nam")
    if (
        meta["school_level"] is not None
        and meta["school_level"] not in ctx.cds_index().levels_in_scope
    ):
        raise FileRejected(
            "level_out_of_scope",
            f"Trường cấp {meta['school_level']} không thuộc phạm vi bộ chỉ số "
            f"{ctx.cds_index().index_id} ({', '.join(ctx.cds_index().levels_in_scope)})",
            sheet=read.sheet,
            field="Mã trường",
            value=str(meta["school_code"]),
        )
    indicators = pl.DataFrame(
        [
            {"indicator_code": i.code, "rule": i.rule, "max_points": i.max_points}
            for i in ctx.cds_index().indicators
        ]
    )
    df = (
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
    numeric_rule = pl.col("rule").is_in(["binary", "ratio", "bands"])
    score_given = pl.col("self_score").is_not_null()
    is_mandatory = pl.col("rule") == "mandatory"
    mandatory_ok = pl.col("score_word").is_not_null() | pl.col("score_num").is_in([0.0, 1.0])
    rules = [
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
            f"Mã tiêu chí không có trong bộ chỉ số {ctx.cds_index().index_id}",
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
            score_given & pl.col("score_num").is_null() & pl.col("score_word").is_null(),
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
            score_given & is_mandatory & ~mandatory_ok,
            "Điều kiện bắt buộc chỉ nhận Đạt/Không đạt (hoặc Có/Không)",
        ),
        RowRule(
            "self_score_type_mismatch",
            "self_score",
            numeric_rule & pl.col("score_num").is_null() & pl.col("score_word").is_not_null(),
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
            numeric_rule & (pl.col("score_num") > pl.col("max_points")),
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
                (numeric_rule & (pl.col("score_num") > 0))
                | (pl.col("score_word") == "yes")
                | (is_mandatory & (pl.col("score_num") == 1.0))
            ),
            "Tự đánh giá có điểm/Đạt nhưng không có minh chứng: không được công nhận khi thẩm định",
            severity="warning",
            value=pl.col("indicator_code"),
        ),
    ]
    outcome = apply_row_rules(df, rules, LABELS)
    accepted = outcome.accepted.select(
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
    reported = set(df["indicator_code"].drop_nulls().to_list())
    not_reported = [i.code for i in ctx.cds_index().indicators if i.code not in reported]
    extra = (
        [
            file_issue(
                "Mã tiêu chí",
                "indicators_not_reported",
                "warning",
                f"Phiếu thiếu {len(not_reported)} chỉ số của bộ chỉ số (tính 0 điểm/không đạt): "
                + ", ".join(not_reported),
                ", ".join(not_reported),
            )
        ]
        if not_reported
        else []
    )
    issues = pl.concat([outcome.issues, file_issues, *extra], how="vertical")
    return Shaped(
        meta=meta,
        accepted=accepted,
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
)
