"""The one reader (contract §1): header block, header row search, header matching, dates."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from pipelines.ingest.sources.cds_assessment import SPEC as CDS_SPEC
from pipelines.ingest.sources.schools import SPEC as SCHOOLS_SPEC
from pipelines.ingest.text import parse_date_expr
from pipelines.ingest.workbook import FileRejected, read_table


def _xlsx(path: Path, cells: dict[tuple[int, int], object]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Phiếu")
    for (r, c), v in cells.items():
        if isinstance(v, int | float):
            ws.write_number(r, c, v)
        else:
            ws.write_string(r, c, str(v))
    wb.close()
    return path


def test_header_row_not_first_with_inline_header_block(tmp_path: Path) -> None:
    # Rows 1–3 empty, the header block in column B, the table header on row 9.
    path = _xlsx(
        tmp_path / "a.xlsx",
        {
            (3, 1): "Mã trường: 31000001",
            (4, 1): "Năm học: 2024-2025",
            (5, 1): "Ngày báo cáo: 28/02/2025",
            (8, 1): "Mã tiêu chí",
            (8, 2): "Điểm tự đánh giá",
            (9, 1): "1.1",
            (9, 2): "Đạt",
            (10, 1): "1.3.1",
            (10, 2): 6,
        },
    )
    read = read_table(path, CDS_SPEC)
    assert read.header_row == 9
    assert read.header == {
        "school_code": "31000001",
        "school_year": "2024-2025",
        "submitted_on": "28/02/2025",
    }
    assert read.data["_row"].to_list() == [10, 11]
    assert read.data["indicator_code"].to_list() == ["1.1", "1.3.1"]
    assert read.data["self_score"].to_list() == ["Đạt", "6"]


def test_split_header_block_and_excel_serial_date(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "b.xlsx",
        {
            (0, 0): "PHIẾU TỰ ĐÁNH GIÁ",
            (2, 0): "Mã trường:",
            (2, 1): "31000001",
            (3, 0): "Năm học",
            (3, 2): "2024-2025",  # value further right, blank cell between
            (4, 0): "Ngày báo cáo:",
            (4, 1): 45716,  # Excel serial of 28/02/2025
            (6, 0): "Mã tiêu chí",
            (6, 1): "Điểm tự đánh giá",
            (7, 0): "1.1",
            (7, 1): "Đạt",
        },
    )
    read = read_table(path, CDS_SPEC)
    assert read.header["school_code"] == "31000001"
    assert read.header["school_year"] == "2024-2025"
    parsed = pl.DataFrame({"d": [read.header["submitted_on"]]}).select(parse_date_expr("d")).item()
    assert parsed == date(2025, 2, 28)


def test_nfd_headers_line_breaks_case_and_extra_columns(tmp_path: Path) -> None:
    nfd = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731
    path = _xlsx(
        tmp_path / "c.xlsx",
        {
            (0, 0): nfd("MÃ  TIÊU CHÍ"),
            (0, 1): nfd("Điểm tự\nđánh giá"),
            (0, 2): "Ghi chú",
            (0, 3): nfd("Minh   chứng "),
            (1, 0): "1.1",
            (1, 1): "Đạt",
            (1, 2): "x",
            (1, 3): "http://a",
        },
    )
    read = read_table(path, CDS_SPEC)
    assert read.header_row == 1
    assert read.extra_columns == ["Ghi chú"]
    assert read.data.row(0, named=True)["evidence"] == "http://a"
    assert set(read.missing_columns) == {"label", "numerator", "denominator"}


def test_alias_headers_and_csv_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "truong.csv"
    path.write_text(
        "\ufeffMA_TRUONG,TEN_TRUONG,CAP_HOC,MA_HUYEN,MA_TINH\n"
        '31000001,"Trường A",TH,001,31\n\n31000002,Trường B,THCS,001,31\n',
        encoding="utf-8",
    )
    read = read_table(path, SCHOOLS_SPEC)
    assert read.header_row == 1
    assert read.data["school_code"].to_list() == ["31000001", "31000002"]
    assert read.data["_row"].to_list() == [2, 4]  # the blank line keeps its number


def test_missing_required_column_names_it(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "d.xlsx", {(0, 0): "Mã tiêu chí", (0, 1): "Minh chứng", (1, 0): "1.1"})
    with pytest.raises(FileRejected) as exc:
        read_table(path, CDS_SPEC)
    assert exc.value.rule_id == "missing_required_column"
    assert "Điểm tự đánh giá" in exc.value.message_vi


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"", "file_empty"),
        (b"<html><body>not excel</body></html>", "file_unreadable"),
        (b"PK\x03\x04 truncated zip", "file_unreadable"),
    ],
)
def test_unreadable_files_are_rejected(tmp_path: Path, content: bytes, rule: str) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    with pytest.raises(FileRejected) as exc:
        read_table(path, CDS_SPEC)
    assert exc.value.rule_id == rule


def test_xls_is_read_like_xlsx(tmp_path: Path) -> None:
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("Sheet1")
    for c, v in enumerate(["Mã trường", "Tên trường", "Cấp học", "Mã huyện", "Mã tỉnh"]):
        ws.write(2, c, v)
    for c, v in enumerate(["31000001", "Trường A", "Tiểu học", "001", "31"]):
        ws.write(3, c, v)
    path = tmp_path / "old.xls"
    wb.save(str(path))
    read = read_table(path, SCHOOLS_SPEC)
    assert read.header_row == 3 and read.data["_row"].to_list() == [4]
