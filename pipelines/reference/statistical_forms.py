"""The start-of-year statistical forms the province sends to the Ministry (Circular 25/2024:
01.ĐN-MN, 02.ĐN-TH, 03.ĐN-THCS), as data (`statistical_forms.csv`): one line per row of a
form, in order, with its TT, label, unit and Mã số, and how the warehouse computes it. The
dbt model `statistical_forms_area` evaluates the rows; `pipelines/reports/statistical_forms.py`
lays them out. Each `method` is one way of computing a row, over the active schools of the
year's registry whose level is in `levels`:

- `heading`: a heading line of the form, never a value;
- `school_count`: the number of schools;
- `school_count_with`: the schools whose latest start-of-year report gives `codes` (summed)
  a total above 0 (e.g. 406: schools using computers for teaching);
- `emis_sum`: the sum of `codes` over the schools' latest start-of-year reports; with
  `breakdown` = y also the female and ethnic-minority columns;
- `blank`: the warehouse cannot compute it; `reason` says why, and the row is listed on the
  workbook's last sheet "Chỉ tiêu chưa có dữ liệu".

`provenance`: `bieu_2020` (the row as the 2020 layout published it; whether the 2025 forms
keep it is unconfirmed), `tuong_tu` (a form built the same way where no published layout
was at hand: wording and Mã số unconfirmed), `bo_sung` (a row the warehouse adds, in no
published layout, without a Mã số).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.reference.csv_file import read_reference_csv
from pipelines.reference.vocab import SCHOOL_LEVELS

COLUMNS = (
    "form",
    "form_title",
    "ownership_columns",
    "sheet",
    "row_order",
    "tt",
    "label",
    "unit",
    "ma_so",
    "method",
    "codes",
    "levels",
    "breakdown",
    "reason",
    "provenance",
)
METHODS = ("heading", "school_count", "school_count_with", "emis_sum", "blank")
NEEDS_CODES = ("school_count_with", "emis_sum")
NEEDS_LEVELS = ("school_count", "school_count_with", "emis_sum")
OWNERSHIPS = ("cong_lap", "tu_thuc", "dan_lap")
PROVENANCES = ("bieu_2020", "tuong_tu", "bo_sung")


class StatisticalFormError(ValueError):
    pass


def _check_row(row: dict[str, str | None], where: str) -> None:
    method = row["method"]
    if not row["form"] or not row["label"]:
        raise StatisticalFormError(f"{where}: form và label không được trống")
    if method not in METHODS:
        raise StatisticalFormError(
            f"{where}: cách tính '{method}' không hợp lệ (chỉ nhận {', '.join(METHODS)})"
        )
    if not (row["row_order"] or "").isdigit():
        raise StatisticalFormError(f"{where}: row_order phải là số nguyên dương")
    if row["provenance"] not in PROVENANCES:
        raise StatisticalFormError(
            f"{where}: nguồn gốc '{row['provenance']}' không hợp lệ "
            f"(chỉ nhận {', '.join(PROVENANCES)})"
        )
    codes = (row["codes"] or "").split()
    levels = (row["levels"] or "").split()
    if method in NEEDS_CODES and not codes:
        raise StatisticalFormError(f"{where}: cách tính {method} cần mã số chỉ tiêu (codes)")
    if method not in NEEDS_CODES and codes:
        raise StatisticalFormError(f"{where}: cách tính {method} không dùng codes")
    if any(not c.isdigit() for c in codes):
        raise StatisticalFormError(f"{where}: codes phải là các mã số chỉ tiêu, cách nhau dấu cách")
    if method in NEEDS_LEVELS and not levels:
        raise StatisticalFormError(f"{where}: cách tính {method} cần cấp học (levels)")
    if method not in NEEDS_LEVELS and levels:
        raise StatisticalFormError(f"{where}: cách tính {method} không dùng levels")
    for lv in levels:
        if lv not in SCHOOL_LEVELS:
            raise StatisticalFormError(f"{where}: cấp học '{lv}' không hợp lệ")
    if row["breakdown"] not in ("y", "n"):
        raise StatisticalFormError(f"{where}: breakdown phải là y hoặc n")
    if row["breakdown"] == "y" and method != "emis_sum":
        raise StatisticalFormError(f"{where}: chỉ cách tính emis_sum mới có cột nữ / dân tộc")
    if method == "blank" and not row["reason"]:
        raise StatisticalFormError(f"{where}: dòng không tính được phải ghi lý do (reason)")
    if method != "blank" and row["reason"]:
        raise StatisticalFormError(f"{where}: chỉ dòng blank mới ghi lý do (reason)")
    if method == "heading" and (row["unit"] or row["ma_so"]):
        raise StatisticalFormError(f"{where}: dòng tiêu đề không có đơn vị tính và mã số")
    if method != "heading" and not row["unit"]:
        raise StatisticalFormError(f"{where}: thiếu đơn vị tính")
    if row["ma_so"] and not row["ma_so"].isdigit():
        raise StatisticalFormError(f"{where}: mã số phải là số")
    if row["provenance"] == "bo_sung" and row["ma_so"]:
        raise StatisticalFormError(f"{where}: dòng bổ sung (bo_sung) không có mã số của Bộ")


def parse_statistical_forms(
    df: pl.DataFrame, origin: str = "statistical_forms.csv"
) -> pl.DataFrame:
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise StatisticalFormError(f"{origin}: thiếu cột {', '.join(missing)}")
    df = df.select(COLUMNS).with_columns(pl.col(c).str.strip_chars() for c in COLUMNS)
    if df.height == 0:
        raise StatisticalFormError(f"{origin}: không có dòng nào")
    for n, row in enumerate(df.iter_rows(named=True), start=2):
        where = f"{origin}, dòng {n} (biểu {row['form']}, mã số {row['ma_so'] or '—'})"
        _check_row(row, where)
    for form, rows in df.group_by("form", maintain_order=True):
        name = form[0]
        for column in ("form_title", "ownership_columns"):
            if rows[column].n_unique() != 1 or rows[column][0] is None:
                raise StatisticalFormError(
                    f"{origin}: biểu {name} phải có đúng một {column} cho mọi dòng"
                )
        owners = rows["ownership_columns"][0].split()
        if not owners or set(owners) - set(OWNERSHIPS):
            raise StatisticalFormError(
                f"{origin}: biểu {name}: ownership_columns chỉ nhận {', '.join(OWNERSHIPS)}"
            )
        if rows["row_order"].is_duplicated().any():
            raise StatisticalFormError(f"{origin}: biểu {name} có row_order bị trùng")
        codes = rows["ma_so"].drop_nulls()
        if codes.is_duplicated().any():
            dup = codes.filter(codes.is_duplicated())[0]
            raise StatisticalFormError(f"{origin}: biểu {name} có mã số {dup} bị trùng")
    return df.with_columns(
        pl.col("row_order").cast(pl.Int32),
        *(pl.col(c).fill_null("") for c in COLUMNS if c != "row_order"),
    )


def load_statistical_forms(path: Path) -> pl.DataFrame:
    df = read_reference_csv(path, StatisticalFormError, "danh mục biểu mẫu thống kê")
    return parse_statistical_forms(df, origin=Path(path).name)
