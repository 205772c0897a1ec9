"""`raw/teachers/`: the staff export of the sector database (contract §2.5)."""

from __future__ import annotations

import polars as pl

from pipelines.ingest.rules import RowRule
from pipelines.ingest.sources.base import IngestContext, Shaped, Source
from pipelines.ingest.sources.people import PeopleExport, shape_people, unknown_label_rule
from pipelines.ingest.sources.specs import TEACHERS_SPEC as SPEC
from pipelines.ingest.text import fold_expr
from pipelines.ingest.workbook import TableRead

LANDING_SCHEMA: dict[str, pl.DataType] = {
    "school_code": pl.String,
    "school_year": pl.String,
    "period": pl.String,
    "submitted_on": pl.Date,
    "staff_code": pl.String,
    "position": pl.String,
    "qualification": pl.String,
    "has_digital_signature": pl.Boolean,
    "has_training_account": pl.Boolean,
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
        ctx.codes.map_expr("position", fold_expr("position")).alias("position_code"),
        ctx.codes.map_expr("qualification", fold_expr("qualification")).alias("qualification_code"),
        ctx.codes.map_expr("yes_no", fold_expr("digital_signature")).alias("signature_code"),
        ctx.codes.map_expr("yes_no", fold_expr("training_account")).alias("training_code"),
    ]


RULES = [
    RowRule(
        "invalid_position",
        "position",
        pl.col("position").is_not_null() & pl.col("position_code").is_null(),
        "Nhóm chức vụ không hợp lệ (Cán bộ quản lý, Giáo viên, Nhân viên)",
        severity="warning",
    ),
    RowRule(
        "invalid_qualification",
        "qualification",
        pl.col("qualification").is_not_null() & pl.col("qualification_code").is_null(),
        "Trình độ chuẩn không hợp lệ (Trên chuẩn, Đạt chuẩn, Chưa đạt chuẩn)",
        severity="warning",
    ),
    *[
        unknown_label_rule(col, code, "Có/Không", f"'{label}'", treated_as="coi như KHÔNG có")
        for col, code, label in (
            ("digital_signature", "signature_code", "Chữ ký số"),
            ("training_account", "training_code", "Tài khoản bồi dưỡng"),
        )
    ],
]


STAFF_EXPORT = PeopleExport(
    spec=SPEC,
    code_col="staff_code",
    code_label="Mã cán bộ",
    status_list="staff_status",
    rules=RULES,
    typing=_typing,
    columns=[
        "staff_code",
        pl.col("position_code").alias("position"),
        pl.col("qualification_code").alias("qualification"),
        (pl.col("signature_code") == "yes").fill_null(False).alias("has_digital_signature"),
        (pl.col("training_code") == "yes").fill_null(False).alias("has_training_account"),
    ],
)


def shape(read: TableRead, ctx: IngestContext) -> Shaped:
    return shape_people(read, ctx, STAFF_EXPORT)


TEACHERS = Source(
    name="teachers",
    title_vi="Danh sách cán bộ, giáo viên (CSDL ngành)",
    spec=SPEC,
    shape=shape,
    landing_schema=LANDING_SCHEMA,
    personal=True,
    partitioned=True,
    periods=("dau_nam", "cuoi_nam"),
    optional_fields={
        "personal_id": ("has_personal_id", "id_rule", "person_key"),
        "position": ("position",),
        "qualification": ("qualification",),
        "digital_signature": ("has_digital_signature",),
        "training_account": ("has_training_account",),
    },
    description_vi=(
        "Dữ liệu cán bộ, giáo viên xuất từ CSDL ngành, raw/teachers/, ẩn danh như dữ liệu học "
        "sinh: vị trí việc làm, chuẩn nghề nghiệp, chữ ký số, tài khoản bồi dưỡng, person_key."
    ),
    checks_vi=(
        "dữ liệu đã ẩn danh: chỉ có các cột đã khai báo (không họ tên, không số định danh), "
        "person_key là bí danh HMAC; mã cán bộ không trống, không trùng; mã trường có trong danh "
        "mục; ít nhất 95% hồ sơ có số định danh đúng dạng"
    ),
)
