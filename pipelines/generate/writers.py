"""Write a table the way schools' files look: a title, a header block in one of the two
layouts, blank rows, then the table; as `.xlsx` (xlsxwriter, constant memory), `.xls`
(xlwt) or `.csv`. Every writer returns the spreadsheet row of the first data row, so a
fault injected in data row i sits at row first + i."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

Header = Sequence[tuple[str, object]]
_EPOCH = date(1899, 12, 30)


@dataclass(frozen=True)
class Layout:
    title: str | None = None
    header_layout: str = "inline"  # inline: "Label: value" in one cell; split: label | value
    blank_rows: int = 1
    date_as_serial: bool = False  # header dates as Excel serial numbers instead of text
    nfd: bool = False  # decomposed Unicode, as some software writes it
    sheet: str = "Sheet1"
    # the workbook's creation time (`.xlsx`): a download's is the day it was downloaded, so
    # two downloads of an unchanged list are not the same bytes, as they are not in life
    created: date = date(2025, 1, 1)


def _header_cells(header: Header, layout: Layout) -> list[list[object]]:
    rows = []
    for label, value in header:
        if isinstance(value, date):
            value = (value - _EPOCH).days if layout.date_as_serial else value.strftime("%d/%m/%Y")
        if layout.header_layout == "inline":
            rows.append([f"{label}: {value}"])
        else:
            rows.append([f"{label}:", value])
    return rows


def _text(value: str, layout: Layout) -> str:
    return unicodedata.normalize("NFD", value) if layout.nfd else value


def _top(header: Header, layout: Layout) -> list[list[object]]:
    top: list[list[object]] = []
    if layout.title:
        top += [[layout.title], []]
    top += _header_cells(header, layout)
    if header:
        top += [[] for _ in range(layout.blank_rows)]
    return top


def first_data_row(header: Header, layout: Layout) -> int:
    """The spreadsheet row (1-based) where the table's first data row will be."""
    return len(_top(header, layout)) + 2


def write_table(
    path: Path,
    *,
    header: Header,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    layout: Layout = Layout(),
    code_lists: dict[str, list[tuple[str, str]]] | None = None,
) -> int:
    """Write one file; the format follows the suffix. Returns the first data row (1-based).
    `code_lists` (`.xlsx` only): sheets after the table's, each a list of (code, label), as
    CSDL ngành's downloads carry them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    top = _top(header, layout)
    columns = [_text(c, layout) for c in columns]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _csv(path, top, columns, rows, layout)
    elif suffix == ".xls":
        _xls(path, top, columns, rows, layout)
    else:
        _xlsx(path, top, columns, rows, layout, code_lists or {})
    return len(top) + 2


def _csv(path: Path, top, columns, rows, layout: Layout) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        for r in top:
            w.writerow([_text(str(v), layout) if isinstance(v, str) else v for v in r])
        w.writerow(columns)
        for row in rows:
            w.writerow(
                [
                    ""
                    if v is None
                    else v.strftime("%d/%m/%Y")
                    if isinstance(v, date)
                    else _text(v, layout)
                    if isinstance(v, str)
                    else v
                    for v in row
                ]
            )


def _xlsx(
    path: Path, top, columns, rows, layout: Layout, code_lists: dict[str, list[tuple[str, str]]]
) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    created = datetime(layout.created.year, layout.created.month, layout.created.day)
    wb.set_properties({"created": created})  # a fixed date: same seed → same bytes
    ws = wb.add_worksheet(layout.sheet)
    bold = wb.add_format({"bold": True, "text_wrap": True})
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    r = 0
    for cells in top:
        for c, v in enumerate(cells):
            if isinstance(v, int | float):
                ws.write_number(r, c, v)
            elif v:
                ws.write_string(
                    r, c, _text(str(v), layout), bold if r == 0 and layout.title else None
                )
        r += 1
    for c, name in enumerate(columns):
        ws.write_string(r, c, name, bold)
    r += 1
    for row in rows:
        for c, v in enumerate(row):
            if v is None or v == "":
                continue
            if isinstance(v, date):
                ws.write_datetime(r, c, datetime(v.year, v.month, v.day), date_fmt)
            elif isinstance(v, bool):
                ws.write_number(r, c, int(v))
            elif isinstance(v, int | float):
                ws.write_number(r, c, v)
            else:
                ws.write_string(r, c, _text(str(v), layout))
        r += 1
    for name, values in code_lists.items():
        sheet = wb.add_worksheet(name)
        sheet.write_row(0, 0, ["Mã", "Tên"])
        for n, (code, label) in enumerate(values, start=1):
            sheet.write_row(n, 0, [code, label])
    wb.close()


def _xls(path: Path, top, columns, rows, layout: Layout) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(layout.sheet[:31])
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    r = 0
    for cells in top:
        for c, v in enumerate(cells):
            if v not in (None, ""):
                ws.write(r, c, _text(v, layout) if isinstance(v, str) else v)
        r += 1
    for c, name in enumerate(columns):
        ws.write(r, c, name)
    r += 1
    for row in rows:
        for c, v in enumerate(row):
            if v is None or v == "":
                continue
            if isinstance(v, date):
                ws.write(r, c, datetime(v.year, v.month, v.day), date_style)
            else:
                ws.write(r, c, _text(v, layout) if isinstance(v, str) else v)
        r += 1
    wb.save(str(path))
