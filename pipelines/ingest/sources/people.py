"""What the student and staff exports share (contract §2.4, §2.5, §3): the header block of
an export, person-level typing, personal-ID checks, and pseudonymisation at the door.

Full names and clear IDs live only inside this function: what leaves it carries
`person_key` (HMAC of the ID), `identity_key` (HMAC of ID, folded name and birth date: the
same person enrolled twice has the same one, two people sharing an ID do not) and the ID
rule broken, if any. Issues show an ID masked (`031… (11 ký tự)`), never in clear.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from pipelines.ingest.personal_id import RULES_VI, id_rule_expr
from pipelines.ingest.rules import (
    ISSUE_SCHEMA,
    RowRule,
    RuleOutcome,
    apply_row_rules,
    duplicated_after_first,
)
from pipelines.ingest.sources.base import IngestContext, Shaped, report_header
from pipelines.ingest.text import fold_expr, nfc_expr, parse_date_expr
from pipelines.ingest.workbook import TableRead, TableSpec

PERSONAL_FIELDS = ("full_name", "personal_id")


def mask_id_expr(col: str) -> pl.Expr:
    """What an issue may show of an ID: its first 3 characters and its length."""
    c = pl.col(col)
    return (
        pl.when(c.is_null())
        .then(None)
        .otherwise(pl.format("{}… ({} ký tự)", c.str.slice(0, 3), c.str.len_chars()))
    )


def sanitize(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows kept for the record (quarantine) without names and with IDs masked."""
    out = frame
    if "full_name" in out.columns:
        out = out.drop("full_name")
    if "code_is_id" in out.columns:
        out = out.with_columns(
            pl.when("code_is_id").then(mask_id_expr(c)).otherwise(pl.col(c)).alias(c)
            for c in ("student_code", "staff_code")
            if c in out.columns
        )
    if "personal_id" in out.columns:
        out = out.with_columns(mask_id_expr("personal_id").alias("personal_id"))
    return out


def typed_people(
    read: TableRead, ctx: IngestContext, spec: TableSpec, code_col: str, status_list: str
) -> tuple[dict, pl.DataFrame, pl.DataFrame]:
    """Header checks and the columns every person row gets; returns (meta, frame, issues)."""
    meta, file_issues = report_header(read, ctx, date_label="Ngày xuất dữ liệu")
    codes = ctx.codes
    today = ctx.today
    df = (
        read.data.with_columns(*[pl.lit(None, pl.String).alias(k) for k in read.missing_columns])
        .with_columns(*[nfc_expr(c.key) for c in spec.columns])
        .with_columns(
            pl.col(code_col).str.to_uppercase(),
            codes.map_expr("gender", fold_expr("gender")).alias("gender_code"),
            parse_date_expr("birth_date", today).alias("birth"),
            codes.map_expr(status_list, fold_expr("status")).alias("status_code"),
        )
        .with_columns(
            pl.when(pl.col("gender_code").is_null())
            .then(None)
            .otherwise(pl.col("gender_code") == "female")
            .alias("female"),
            pl.when((pl.col("birth") > today) | (pl.col("birth").dt.year() < 1900))
            .then(None)
            .otherwise(pl.col("birth"))
            .alias("birth"),
        )
        .with_columns(pl.col("birth").dt.year().alias("birth_year"))
        .with_columns(
            id_rule_expr(
                "personal_id", "female", "birth_year", codes.codes("birth_province")
            ).alias("id_rule"),
            # an unknown status is warned about and counted, as its message says
            (
                pl.col("status_code").is_null()
                | pl.col("status_code").is_in(codes.active_codes(status_list))
            ).alias("is_active"),
            looks_like_id(code_col, codes.codes("birth_province")).alias("code_is_id"),
        )
    )
    return meta, df, file_issues


def looks_like_id(col: str, provinces: list[str]) -> pl.Expr:
    """A code that is a personal ID in all but name: 12 digits opening with a
    birth-registration province code (some schools use the pupil's ID as the pupil code)."""
    c = pl.col(col)
    return (c.str.contains(r"^\d{12}$") & c.str.slice(0, 3).is_in(provinces)).fill_null(False)


def unknown_label_rule(
    field: str, code_col: str, listed: str, what: str, *, treated_as: str
) -> RowRule:
    """A warning for a value that is not in its code list: the value is named, and the
    message says what it was taken to mean (never a silent no)."""
    return RowRule(
        "value_not_in_code_list",
        field,
        pl.col(field).is_not_null() & pl.col(code_col).is_null(),
        f"Giá trị không có trong danh mục ({listed}) ở cột {what}: {treated_as}; "
        "sửa giá trị hoặc bổ sung cách viết này vào danh mục mã (code_lists.csv)",
        severity="warning",
    )


def people_rules(code_col: str, code_label: str) -> list[RowRule]:
    rules = [
        RowRule(
            "required_missing", code_col, pl.col(code_col).is_null(), f"Thiếu {code_label.lower()}"
        ),
        RowRule(
            f"duplicate_{code_col}",
            code_col,
            duplicated_after_first(code_col),
            f"{code_label} bị trùng trong tệp (dòng sau bị loại)",
        ),
        RowRule(
            "invalid_gender",
            "gender",
            pl.col("gender").is_not_null() & pl.col("gender_code").is_null(),
            "Giới tính không hợp lệ (Nam/Nữ)",
            severity="warning",
        ),
        RowRule(
            "invalid_birth_date",
            "birth_date",
            pl.col("birth_date").is_not_null() & pl.col("birth").is_null(),
            "Ngày sinh không hợp lệ (sai định dạng, trong tương lai hoặc trước 1900)",
            severity="warning",
        ),
        RowRule(
            "invalid_status",
            "status",
            pl.col("status").is_not_null() & pl.col("status_code").is_null(),
            "Trạng thái không có trong danh mục; coi như đang học/đang làm việc (được tính)",
            severity="warning",
        ),
        RowRule(
            "code_is_personal_id",
            code_col,
            pl.col("code_is_id"),
            f"{code_label} là số định danh cá nhân: đã thay bằng bí danh, không lưu số gốc; "
            f"dùng {code_label.lower()} của CSDL ngành",
            severity="warning",
            value=mask_id_expr(code_col),
        ),
    ]
    for rule_id, message in RULES_VI.items():
        rules.append(
            RowRule(
                rule_id,
                "personal_id",
                pl.col("id_rule") == rule_id,
                message,
                severity="warning",
                value=mask_id_expr("personal_id"),
            )
        )
    return rules


def finish(
    df: pl.DataFrame,
    ctx: IngestContext,
    outcome: RuleOutcome,
    meta: dict,
    file_issues: pl.DataFrame,
    columns: list[str | pl.Expr],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Pseudonymise the accepted rows and drop names and clear IDs."""
    accepted = outcome.accepted
    if ctx.pseudonymizer is None:
        raise RuntimeError("pseudonymizer missing: personal data cannot be ingested")
    identity = pl.concat_str(
        [
            pl.col("personal_id").fill_null(""),
            fold_expr("full_name").fill_null(""),
            pl.col("birth").cast(pl.String).fill_null(""),
        ],
        separator="|",
    )
    code_col = next(c for c in ("student_code", "staff_code") if c in accepted.columns)
    keys = ctx.pseudonymizer.key_columns(
        accepted.select(
            pl.col("personal_id").alias("person_key"),
            identity.alias("identity_key"),
            pl.when("code_is_id").then(pl.col(code_col)).alias("code_key"),
        )
    )
    accepted = accepted.with_columns(keys).with_columns(
        pl.when("code_is_id")
        .then(pl.lit("BD-") + pl.col("code_key").str.slice(0, 16))
        .otherwise(pl.col(code_col))
        .alias(code_col)
    )
    result = accepted.select(
        "_row",
        "_sheet",
        pl.lit(meta["school_code"]).alias("school_code"),
        pl.lit(meta["school_year"]).alias("school_year"),
        pl.lit(meta["period"]).alias("period"),
        pl.lit(meta["submitted_on"], pl.Date).alias("submitted_on"),
        *columns,
        "birth_year",
        "gender_code",
        "ethnicity",
        pl.col("status_code").alias("status"),
        "is_active",
        pl.col("personal_id").is_not_null().alias("has_personal_id"),
        "id_rule",
        "person_key",
        "identity_key",
    )
    assert not set(PERSONAL_FIELDS) & set(result.columns)
    issues = pl.concat([outcome.issues, file_issues], how="vertical").select(list(ISSUE_SCHEMA))
    return result, issues


@dataclass(frozen=True)
class PeopleExport:
    """What a people export (students, staff) declares beyond what every export shares."""

    spec: TableSpec
    code_col: str  # the person's code in the sector database: `student_code`, `staff_code`
    code_label: str  # its header, as messages name it: `Mã học sinh`
    status_list: str  # the code list of its `status` column (code_lists.csv)
    rules: list[RowRule]  # its own rules, after the rules every export has (`people_rules`)
    typing: Callable[[IngestContext], list[pl.Expr]]  # its own parsed columns, for its rules
    columns: list[str | pl.Expr]  # its own landing columns, from the typed rows


def shape_people(read: TableRead, ctx: IngestContext, export: PeopleExport) -> Shaped:
    """Header, typing, rules and pseudonyms of one people export."""
    meta, df, file_issues = typed_people(
        read, ctx, export.spec, export.code_col, export.status_list
    )
    df = df.with_columns(*export.typing(ctx))
    # issues name a column by its header in the file's layout (`Trạng thái HS`)
    labels = {c.key: c.headers[0] for c in export.spec.columns} | read.labels
    rules = people_rules(export.code_col, export.code_label) + export.rules
    outcome = apply_row_rules(df, rules, labels)
    accepted, issues = finish(df, ctx, outcome, meta, file_issues, export.columns)
    return Shaped(
        meta=meta, accepted=accepted, quarantined=sanitize(outcome.quarantined), issues=issues
    )
