"""`raw/students/`: the student export of the sector database (contract §2.4)."""

from __future__ import annotations

import polars as pl

from pipelines.ingest.rules import RowRule
from pipelines.ingest.sources.base import IngestContext, Shaped, Source
from pipelines.ingest.sources.people import PeopleExport, shape_people, unknown_label_rule
from pipelines.ingest.sources.specs import STUDENTS_SPEC as SPEC
from pipelines.ingest.text import fold_expr, parse_count_expr
from pipelines.ingest.workbook import TableRead

LANDING_SCHEMA: dict[str, pl.DataType] = {
    "school_code": pl.String,
    "school_year": pl.String,
    "period": pl.String,
    "submitted_on": pl.Date,
    "student_code": pl.String,
    "grade": pl.Int64,
    "class_name": pl.String,
    "digital_transcript": pl.String,
    "results_hk1": pl.Boolean,
    "results_hk2": pl.Boolean,
    "birth_year": pl.Int64,
    "gender_code": pl.String,
    "ethnicity": pl.String,
    "status": pl.String,
    "is_active": pl.Boolean,
    "has_personal_id": pl.Boolean,
    "id_rule": pl.String,
    "person_key": pl.String,
    "identity_key": pl.String,
}


def _typing(ctx: IngestContext) -> list[pl.Expr]:
    return [
        parse_count_expr("grade").alias("grade_num"),
        ctx.codes.map_expr("transcript", fold_expr("digital_transcript")).alias("transcript_code"),
        ctx.codes.map_expr("results", fold_expr("results_hk1")).alias("hk1_code"),
        ctx.codes.map_expr("results", fold_expr("results_hk2")).alias("hk2_code"),
    ]


RULES = [
    RowRule(
        "invalid_grade",
        "grade",
        pl.col("grade").is_not_null() & ~pl.col("grade_num").is_between(1, 12).fill_null(False),
        "Khối lớp không hợp lệ (1–12, để trống với mầm non)",
        severity="warning",
    ),
    RowRule(
        "invalid_transcript",
        "digital_transcript",
        pl.col("digital_transcript").is_not_null() & pl.col("transcript_code").is_null(),
        "Học bạ số không hợp lệ (Đã ký/Chưa ký)",
        severity="warning",
    ),
    *[
        unknown_label_rule(
            col,
            code,
            "Đã cập nhật/Chưa cập nhật, hoặc kết quả: Hoàn thành, Tốt, Khá, Đạt…",
            f"'{label}'",
            treated_as="coi như CHƯA có kết quả học tập",
        )
        for col, code, label in (
            ("results_hk1", "hk1_code", "KQHT HK1"),
            ("results_hk2", "hk2_code", "KQHT HK2"),
        )
    ],
]


STUDENT_EXPORT = PeopleExport(
    spec=SPEC,
    code_col="student_code",
    code_label="Mã học sinh",
    status_list="student_status",
    rules=RULES,
    typing=_typing,
    columns=[
        "student_code",
        pl.when(pl.col("grade_num").is_between(1, 12)).then(pl.col("grade_num")).alias("grade"),
        "class_name",
        pl.col("transcript_code").alias("digital_transcript"),
        (pl.col("hk1_code") == "entered").fill_null(False).alias("results_hk1"),
        (pl.col("hk2_code") == "entered").fill_null(False).alias("results_hk2"),
    ],
)


def shape(read: TableRead, ctx: IngestContext) -> Shaped:
    return shape_people(read, ctx, STUDENT_EXPORT)


STUDENTS = Source(
    name="students",
    title_vi="Danh sách học sinh (CSDL ngành)",
    spec=SPEC,
    shape=shape,
    landing_schema=LANDING_SCHEMA,
    personal=True,
    partitioned=True,
    periods=("dau_nam", "cuoi_nam"),
    optional_fields={
        "personal_id": ("has_personal_id", "id_rule", "person_key"),
        "grade": ("grade",),
        "digital_transcript": ("digital_transcript",),
        "results_hk1": ("results_hk1",),
        "results_hk2": ("results_hk2",),
    },
    description_vi=(
        "Dữ liệu học sinh xuất từ CSDL ngành, raw/students/, được ẩn danh ngay khi nạp: không lưu "
        "họ tên, không lưu số định danh, chỉ lưu bí danh person_key (HMAC của số định danh với "
        "khóa bí mật của đơn vị), quy tắc số định danh bị vi phạm (nếu có) và các thông tin khác "
        "của hồ sơ."
    ),
    checks_vi=(
        "dữ liệu đã ẩn danh: chỉ có các cột đã khai báo (không họ tên, không số định danh), "
        "person_key là bí danh HMAC; mã học sinh không trống, không trùng; mã trường có trong danh"
        " mục; ít nhất 95% hồ sơ có số định danh đúng dạng"
    ),
)
