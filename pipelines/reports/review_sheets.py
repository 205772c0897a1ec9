"""Review worksheets (phiếu thẩm định, issue 19 item 3): for each assessed school and school
year, `warehouse/reports/tham_dinh/<school_year>/<school_code>.xlsx` in the `cds_review`
format (contract §2.6), for the office's reviewer to fill in.

The first sheet is the table `raw/cds_review/` reads: the decision columns (`Kết quả thẩm
định`, `Điểm thẩm định`, `Lý do`, `Người thẩm định`, `Ngày thẩm định`) are blank, and beside
them, in columns the reader ignores, what the reviewer needs to judge each claim: the self
score, the verified score, evidence, the school's and the warehouse's figures, the flags and
the decision now in force. The first row has no indicator code: a decision there is on the
whole assessment (`Đồng ý` approves it, `Không đồng ý` returns it to the school). A filled
worksheet dropped into `raw/cds_review/` is ingested like any review file; rows left blank
have no effect. A second sheet says how to fill it in.

The folder is written beside the old one and swapped in, like the schools' to-do workbooks
(`pipelines.reports.folder`: a worksheet whose rows are unchanged is carried over).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import polars as pl
import xlsxwriter

from pipelines.ingest.sources.cds_review import SPEC
from pipelines.reference.labels import Labels
from pipelines.reports.excel import HEADER, SAFE_WORKBOOK_OPTIONS
from pipelines.reports.folder import FreshFolder, fingerprint

TABLE_SHEET, HELP_SHEET = "Thẩm định", "Hướng dẫn"
DECISION_WORDS = ("Đồng ý", "Không đồng ý", "Điều chỉnh")

# the cds_review columns, in the contract's order, by their first accepted header
REVIEW_HEADERS = [c.headers[0] for c in SPEC.columns]
DECISION_HEADERS = REVIEW_HEADERS[3:]  # Kết quả thẩm định … Ngày thẩm định: left blank

# what the reviewer reads beside each decision (headers no cds_review column accepts)
INFO_HEADERS = [
    "Nội dung",
    "Nhóm",
    "Cách tính",
    "Điểm tối đa",
    "Điểm tự đánh giá",
    "Điểm đã kiểm tra",
    "Tự đánh giá đạt",
    "Kiểm tra đạt",
    "Có minh chứng",
    "Tỉ lệ trường kê khai",
    "Tỉ lệ theo dữ liệu đã nộp",
    "Đối chiếu với",
    "Ghi chú kiểm tra",
    "Quyết định đang có hiệu lực",
    "Điểm sau thẩm định hiện tại",
]
RULE_WORDS = {
    "mandatory": "Điều kiện bắt buộc (Đạt/Không đạt)",
    "binary": "Có/không (đủ điểm khi có minh chứng)",
    "ratio": "Tỉ lệ (tử số/mẫu số)",
    "bands": "Theo khoảng",
}

# the columns `worksheet_rows` needs, from marts.cds_indicator_scores + dim_school
SCORE_COLUMNS = (
    "school_code",
    "school_year",
    "school_name",
    "indicator_code",
    "indicator_name",
    "group_code",
    "rule",
    "max_points",
    "self_score",
    "verified_score",
    "self_met",
    "verified_met",
    "has_evidence",
    "self_value",
    "source_value",
    "cross_check_measure",
    "flags",
    "review_decision",
    "reviewed_score",
    "reviewed_met",
    "sort_order",
)


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("Có" if value else "Không")


def _met(value: bool | None) -> str | None:
    return None if value is None else ("Đạt" if value else "Không đạt")


def indicator_row(r: dict, labels: Labels) -> list[object]:
    """One indicator's row: its keys, blank decision cells, then what the reviewer reads."""
    flag_words = labels.values.get("flag", {})
    measure_words = labels.values.get("cross_check_measure", {})
    decision_words = labels.values.get("review_decision", {})
    mandatory = r["rule"] == "mandatory"
    return [
        r["school_code"],
        r["school_year"],
        r["indicator_code"],
        *[None] * len(DECISION_HEADERS),
        r["indicator_name"],
        r["group_code"],
        RULE_WORDS.get(r["rule"], r["rule"]),
        None if mandatory else r["max_points"],
        None if mandatory else r["self_score"],
        None if mandatory else r["verified_score"],
        _met(r["self_met"]),
        _met(r["verified_met"]),
        _yes_no(r["has_evidence"]),
        r["self_value"],
        r["source_value"],
        measure_words.get(r["cross_check_measure"], r["cross_check_measure"]),
        "; ".join(flag_words.get(f, f) for f in (r["flags"] or [])) or None,
        decision_words.get(r["review_decision"], r["review_decision"]),
        _met(r["reviewed_met"]) if mandatory else r["reviewed_score"],
    ]


def _help(workbook: xlsxwriter.Workbook, school: dict, n_indicators: int) -> None:
    sheet = workbook.add_worksheet(HELP_SHEET)
    bold = workbook.add_format({"bold": True})
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 100)
    sheet.write(0, 0, "PHIẾU THẨM ĐỊNH CHUYỂN ĐỔI SỐ", workbook.add_format({"bold": True}))
    rows = [
        ("Trường", f"{school['school_name']} ({school['school_code']})"),
        ("Năm học", school["school_year"]),
        (
            "Mức CĐS",
            f"tự đánh giá {school['self_level']}, đã kiểm tra {school['verified_level']}, "
            f"sau thẩm định {school['reviewed_level'] if school['reviewed_level'] else '—'}",
        ),
        ("Số chỉ số", f"{n_indicators} (trang '{TABLE_SHEET}'), dòng đầu là cả phiếu"),
        (
            "Cách điền",
            "Ở cột 'Kết quả thẩm định' chọn Đồng ý, Không đồng ý hoặc Điều chỉnh; để trống "
            "dòng chưa thẩm định (không có hiệu lực).",
        ),
        (
            "Điều chỉnh",
            "Ghi 'Điểm thẩm định' (số ≥ 0, không quá điểm tối đa; Đạt/Không đạt cho điều kiện "
            "bắt buộc) và 'Lý do'. Không đồng ý cũng cần 'Lý do'.",
        ),
        (
            "Cả phiếu",
            "Dòng không có mã tiêu chí: Đồng ý = duyệt phiếu, Không đồng ý = trả lại trường "
            "(không xếp mức sau thẩm định).",
        ),
        ("Ngày thẩm định", "Bắt buộc với mỗi quyết định, dạng dd/mm/yyyy."),
        (
            "Nộp",
            "Lưu tệp rồi chép vào thư mục raw/cds_review/ (thư mục con tùy ý); lần chạy sau "
            "tự nạp. Nếu trường nộp lại phiếu tự đánh giá sau ngày thẩm định, quyết định cũ "
            "hết hiệu lực và cần thẩm định lại.",
        ),
        (
            "Không sửa",
            "Các cột Mã trường, Năm học, Mã tiêu chí và tên các cột của trang đầu.",
        ),
    ]
    for n, (label, value) in enumerate(rows, start=2):
        sheet.write(n, 0, label, bold)
        sheet.write(n, 1, value)


def _table(workbook: xlsxwriter.Workbook, school: dict, rows: list[list[object]]) -> None:
    sheet = workbook.add_worksheet(TABLE_SHEET)
    header = workbook.add_format(HEADER)
    to_fill = workbook.add_format({**HEADER, "bg_color": "#FFF2CC"})
    text = workbook.add_format({"num_format": "@"})
    fill = workbook.add_format({"bg_color": "#FFF2CC", "border": 1, "num_format": "@"})
    date = workbook.add_format({"bg_color": "#FFF2CC", "border": 1, "num_format": "dd/mm/yyyy"})
    headers = [*REVIEW_HEADERS, *INFO_HEADERS]
    for c, name in enumerate(headers):
        sheet.write_string(0, c, name, to_fill if name in DECISION_HEADERS else header)
    whole = [school["school_code"], school["school_year"], None]
    whole += [None] * len(DECISION_HEADERS)
    whole += ["Cả phiếu tự đánh giá (Đồng ý: duyệt; Không đồng ý: trả lại trường)"]
    for r, values in enumerate([whole, *rows], start=1):
        for c, value in enumerate(values):
            name = headers[c]
            if name in DECISION_HEADERS:
                sheet.write_blank(r, c, None, date if name == "Ngày thẩm định" else fill)
            elif value is None:
                continue
            elif isinstance(value, str):
                sheet.write_string(r, c, value, text if c < 3 else None)
            else:
                sheet.write_number(r, c, value)
    last = len(rows) + 1
    col = REVIEW_HEADERS.index("Kết quả thẩm định")
    sheet.data_validation(1, col, last, col, {"validate": "list", "source": list(DECISION_WORDS)})
    sheet.set_column(0, 2, 11, text)
    sheet.set_column(3, 7, 16)
    sheet.set_column(8, 8, 50)
    sheet.set_column(9, len(headers) - 1, 14)
    sheet.freeze_panes(1, 3)
    sheet.autofilter(0, 0, last, len(headers) - 1)
    sheet.activate()


def _school_workbook(path: Path, school: dict, rows: list[list[object]]) -> None:
    with xlsxwriter.Workbook(path, SAFE_WORKBOOK_OPTIONS) as workbook:
        _table(workbook, school, rows)
        _help(workbook, school, len(rows))


def write_review_worksheets(
    folder: Path, schools: pl.DataFrame, scores: pl.DataFrame, labels: Labels
) -> dict[str, int]:
    """Write every assessed school's worksheet into a fresh folder swapped in for `folder`
    (a school whose rows are unchanged keeps its file).
    `schools`: school_code, school_year, school_name, self_level, verified_level,
    reviewed_level (marts.cds_maturity_school + dim_school); `scores`: SCORE_COLUMNS.
    Returns `<school_year>/<school_code>.xlsx` → indicator rows."""
    shared = fingerprint(labels, REVIEW_HEADERS, INFO_HEADERS)
    written: dict[str, int] = {}
    by_school = scores.sort("sort_order").partition_by(["school_year", "school_code"], as_dict=True)
    with FreshFolder(folder) as fresh:
        for school in schools.sort("school_year", "school_code").iter_rows(named=True):
            mine = by_school.get((school["school_year"], school["school_code"]))
            rows = (
                [indicator_row(r, labels) for r in mine.iter_rows(named=True)]
                if mine is not None
                else []
            )
            rel = f"{school['school_year']}/{school['school_code']}.xlsx"
            fresh.write(
                rel,
                fingerprint(shared, school, rows),
                partial(_school_workbook, school=school, rows=rows),
            )
            written[rel] = len(rows)
    return written
