"""Write a table the way schools' files look: a title, a header block in one of the two
layouts, blank rows, then the table (xlsx through xlsxwriter, or CSV)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

Header = Sequence[tuple[str, object]]


def _cell(value: object) -> object:
    return "" if value is None else value


def write_xlsx(
    path: Path,
    *,
    title: str | None,
    header: Header,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    layout: str = "inline",  # inline: "Label: value" in one cell; split: label | value
    sheet: str = "Sheet1",
    blank_rows: int = 1,
    date_as_serial: bool = False,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_properties({"created": datetime(2025, 1, 1)})  # same seed → same bytes
    ws = wb.add_worksheet(sheet)
    bold = wb.add_format({"bold": True, "text_wrap": True})
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    r = 0
    if title:
        ws.write_string(r, 0, title, bold)
        r += 2
    for label, value in header:
        if isinstance(value, date):
            if date_as_serial:
                text_value: object = (value - date(1899, 12, 30)).days
            else:
                text_value = value.strftime("%d/%m/%Y")
        else:
            text_value = value
        if layout == "inline":
            ws.write_string(r, 0, f"{label}: {text_value}")
        else:
            ws.write_string(r, 0, f"{label}:")
            if isinstance(text_value, int):
                ws.write_number(r, 1, text_value)
            else:
                ws.write_string(r, 1, str(text_value))
        r += 1
    r += blank_rows
    for c, name in enumerate(columns):
        ws.write_string(r, c, name, bold)
    r += 1
    for row in rows:
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, date):
                ws.write_datetime(r, c, value, date_fmt)  # type: ignore[arg-type]
            elif isinstance(value, int | float):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value))
        r += 1
    wb.close()


def write_csv(
    path: Path,
    *,
    header: Header,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    bom: bool = True,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        w = csv.writer(f)
        for label, value in header:
            shown = value.strftime("%d/%m/%Y") if isinstance(value, date) else value
            w.writerow([f"{label}:", shown])
        if header:
            w.writerow([])
        w.writerow(columns)
        for row in rows:
            w.writerow([_cell(v) for v in row])
