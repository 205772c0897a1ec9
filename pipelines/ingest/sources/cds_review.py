"""`raw/cds_review/`: the office's review of CĐS self-assessments (thẩm định, contract §2.6).

One table per file (CSV or first sheet), no header block, any number of schools, one row
per decision. A row whose decision is blank is accepted and has no effect (a review
worksheet, `warehouse/reports/tham_dinh/`, comes back with most rows blank); which decision
is current and which is stale (made before the school resubmitted) is decided in dbt
(int_cds__review_decisions), from the files alone.
"""

from __future__ import annotations

from dataclasses import replace

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
from pipelines.ingest.text import fold_expr, nfc_expr, parse_date_expr, parse_number_expr
from pipelines.ingest.workbook import ColumnSpec, TableRead, TableSpec

SPEC = TableSpec(
    columns=(
        ColumnSpec("school_code", ("Mã trường",), required=True),
        ColumnSpec("school_year", ("Năm học",), required=True),
        ColumnSpec("indicator_code", ("Mã tiêu chí", "Mã chỉ tiêu", "Mã chỉ số")),
        ColumnSpec("decision", ("Kết quả thẩm định",), required=True),
        ColumnSpec("reviewed_score", ("Điểm thẩm định",)),
        ColumnSpec("reason", ("Lý do",)),
        ColumnSpec("reviewer", ("Người thẩm định",)),
        ColumnSpec("reviewed_on", ("Ngày thẩm định",), required=True),
    ),
)
LABELS = {c.key: c.headers[0] for c in SPEC.columns}

# `Kết quả thẩm định` (folded, see fold_expr) → the decision's code (contract §2.6)
DECISIONS = {
    "dongy": "approve",
    "approve": "approve",
    "khongdongy": "reject",
    "reject": "reject",
    "dieuchinh": "adjust",
    "adjust": "adjust",
}
# `Điểm thẩm định` of a mandatory condition (folded) → met or not
MET_WORDS = {"dat": True, "co": True, "khongdat": False, "khong": False}

LANDING_SCHEMA: dict[str, pl.DataType] = {
    "school_code": pl.String,
    "school_year": pl.String,
    "indicator_code": pl.String,  # null: the decision is on the whole assessment
    "decision_raw": pl.String,
    "decision": pl.String,  # approve | reject | adjust; null: no decision (no effect)
    "reviewed_score_raw": pl.String,
    "reviewed_score": pl.Float64,  # adjust of a scored indicator, as given (capped in dbt)
    "reviewed_met": pl.Boolean,  # adjust of a mandatory condition
    "reason": pl.String,
    # `Người thẩm định` (a person's name, contract §3) is read and never stored: the raw
    # file, which the lineage columns point at, keeps it
    "has_reviewer": pl.Boolean,
    "reviewed_on": pl.Date,
}

_DECIDED = pl.col("decision_code").is_not_null()
_ADJUST = pl.col("decision_code") == "adjust"
_MANDATORY = pl.col("rule") == "mandatory"
_SCORED = pl.col("rule").is_in(["binary", "ratio", "bands"])
_SCORE_GIVEN = pl.col("reviewed_score").is_not_null()

RULES = [
    *school_code_rules(in_registry=True),
    *school_year_rules(),
    RowRule(
        "unknown_indicator",
        "indicator_code",
        pl.col("indicator_code").is_not_null() & pl.col("rule").is_null(),
        "Mã tiêu chí không có trong bộ chỉ số {index_id}",
    ),
    RowRule(
        "invalid_decision",
        "decision",
        pl.col("decision").is_not_null() & ~_DECIDED,
        "Kết quả thẩm định không hợp lệ (Đồng ý, Không đồng ý hoặc Điều chỉnh; để trống nếu "
        "chưa thẩm định)",
    ),
    RowRule(
        "adjust_whole_assessment",
        "decision",
        _ADJUST & pl.col("indicator_code").is_null(),
        "Điều chỉnh chỉ dùng cho từng tiêu chí: dòng không có mã tiêu chí (cả phiếu) chỉ nhận "
        "Đồng ý hoặc Không đồng ý",
    ),
    RowRule(
        "required_missing",
        "reviewed_score",
        _ADJUST & ~_SCORE_GIVEN & pl.col("indicator_code").is_not_null(),
        "Điều chỉnh cần 'Điểm thẩm định'",
    ),
    RowRule(
        "invalid_reviewed_score",
        "reviewed_score",
        _ADJUST & _SCORE_GIVEN & _SCORED & ~(pl.col("score_num") >= 0).fill_null(False),
        "Điểm thẩm định của chỉ số tính điểm phải là số ≥ 0",
    ),
    RowRule(
        "invalid_reviewed_score",
        "reviewed_score",
        _ADJUST & _SCORE_GIVEN & _MANDATORY & pl.col("met").is_null(),
        "Điểm thẩm định của điều kiện bắt buộc chỉ nhận Đạt/Không đạt",
    ),
    RowRule(
        "required_missing",
        "reason",
        pl.col("decision_code").is_in(["reject", "adjust"]) & pl.col("reason").is_null(),
        "Không đồng ý hoặc Điều chỉnh cần ghi 'Lý do'",
    ),
    RowRule(
        "required_missing",
        "reviewed_on",
        _DECIDED & pl.col("reviewed_on").is_null(),
        "Thiếu 'Ngày thẩm định'",
    ),
    RowRule(
        "invalid_date",
        "reviewed_on",
        _DECIDED & pl.col("reviewed_on").is_not_null() & pl.col("reviewed_date").is_null(),
        "Ngày thẩm định không đọc được (cần dd/mm/yyyy)",
    ),
    RowRule(
        "reviewed_score_above_max",
        "reviewed_score",
        _ADJUST & _SCORED & (pl.col("score_num") > pl.col("max_points")),
        "Điểm thẩm định vượt điểm tối đa của chỉ số; được tính bằng điểm tối đa",
        severity="warning",
    ),
    RowRule(
        "reviewed_score_ignored",
        "reviewed_score",
        pl.col("decision_code").is_in(["approve", "reject"]) & _SCORE_GIVEN,
        "Điểm thẩm định chỉ dùng khi Điều chỉnh: với Đồng ý/Không đồng ý ô này bị bỏ qua",
        severity="warning",
    ),
]


def rules_for(index_id: str) -> list[RowRule]:
    """RULES, their messages naming the index."""
    return [replace(r, message_vi=r.message_vi.replace("{index_id}", index_id)) for r in RULES]


def typed_rows(read: TableRead, ctx: IngestContext) -> pl.DataFrame:
    """The sheet's rows, cleaned and parsed, each with its indicator's rule and maximum and
    whether its school is in the registry (not known in `cds check`: taken as known)."""
    index = ctx.cds_index()
    indicators = pl.DataFrame(
        [
            {"indicator_code": i.code, "rule": i.rule, "max_points": i.max_points}
            for i in index.indicators
        ],
        schema={"indicator_code": pl.String, "rule": pl.String, "max_points": pl.Float64},
    )
    df = (
        read.data.with_columns(*[pl.lit(None, pl.String).alias(k) for k in read.missing_columns])
        .with_columns(*[nfc_expr(c.key) for c in SPEC.columns])
        .with_columns(
            pl.col("school_code").str.to_uppercase(),
            pl.col("school_year").str.replace_all(r"\s", ""),
            pl.col("indicator_code").str.replace_all(r"\s", "").str.strip_chars("."),
        )
        .pipe(with_registry, ctx)
        .with_columns(
            pl.col("indicator_code").replace("", None),
            fold_expr("decision")
            .replace_strict(DECISIONS, default=None, return_dtype=pl.String)
            .alias("decision_code"),
            parse_number_expr("reviewed_score").alias("score_num"),
            fold_expr("reviewed_score")
            .replace_strict(MET_WORDS, default=None, return_dtype=pl.Boolean)
            .alias("met_word"),
            parse_date_expr("reviewed_on", ctx.today).alias("reviewed_date"),
        )
        .join(indicators, on="indicator_code", how="left")
    )
    # a mandatory condition: Đạt/Không đạt (also Có/Không, 1/0), as in the self-assessment
    return df.with_columns(
        pl.coalesce(
            "met_word",
            pl.when(pl.col("score_num") == 1.0)
            .then(True)
            .when(pl.col("score_num") == 0.0)
            .then(False),
        ).alias("met")
    )


def accepted_rows(accepted: pl.DataFrame) -> pl.DataFrame:
    """The accepted rows in landing's columns: the score of an adjustment in the rule's kind
    (points for a scored indicator, met or not for a mandatory condition)."""
    adjust = pl.col("decision_code") == "adjust"
    return accepted.select(
        "_row",
        "_sheet",
        "school_code",
        "school_year",
        "indicator_code",
        pl.col("decision").alias("decision_raw"),
        pl.col("decision_code").alias("decision"),
        pl.col("reviewed_score").alias("reviewed_score_raw"),
        pl.when(adjust & (pl.col("rule") != "mandatory"))
        .then(pl.col("score_num"))
        .alias("reviewed_score"),
        pl.when(adjust & (pl.col("rule") == "mandatory")).then(pl.col("met")).alias("reviewed_met"),
        "reason",
        pl.col("reviewer").is_not_null().alias("has_reviewer"),
        pl.col("reviewed_date").alias("reviewed_on"),
    )


def shape(read: TableRead, ctx: IngestContext) -> Shaped:
    df = typed_rows(read, ctx)
    outcome = apply_row_rules(df, rules_for(ctx.cds_index().index_id), LABELS)
    return Shaped(
        meta={"school_code": None, "school_year": None, "period": None, "submitted_on": None},
        accepted=accepted_rows(outcome.accepted),
        quarantined=outcome.quarantined.drop("reviewer"),  # a name: not kept (contract §3)
        issues=outcome.issues.select(list(ISSUE_SCHEMA)),
    )


CDS_REVIEW = Source(
    name="cds_review",
    title_vi="Kết quả thẩm định chuyển đổi số",
    spec=SPEC,
    shape=shape,
    landing_schema=LANDING_SCHEMA,
    reads_index=True,
    upstream=(
        "landing/schools",
        "reference/cds_index",
        "reference/code_lists",
    ),
    description_vi=(
        "Kết quả thẩm định phiếu tự đánh giá CĐS của Phòng/Sở từ raw/cds_review/ (kể cả phiếu "
        "thẩm định warehouse/reports/tham_dinh/ đã điền rồi thả vào đây): mỗi quyết định một "
        "dòng (Đồng ý, Không đồng ý, Điều chỉnh; để trống = chưa thẩm định). Dòng có mã trường "
        "không có trong danh mục, mã tiêu chí lạ, điều chỉnh thiếu điểm, thiếu lý do hoặc ngày "
        "thẩm định bị cách ly."
    ),
    checks_vi=(
        "mã trường có trong danh mục trường, mã tiêu chí có trong bộ chỉ số đã nạp; năm học đúng "
        "dạng; kết quả thẩm định là đồng ý, không đồng ý hoặc điều chỉnh; quyết định nào cũng có "
        "ngày thẩm định; điểm thẩm định không âm"
    ),
)
