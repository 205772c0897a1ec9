"""One small workbook per school with what it must send or fix
(`warehouse/reports/truong/<school_code>.xlsx`), for the office to mail (issue 15).

Each holds a short cover (school, school year, date, what to do), the school's rows of the
follow-up list in its order, and every issue of its files with the sheet, row and column to
open. A school with nothing to send or fix gets no workbook. The folder is written beside
the old one and swapped in, so a mail merge never picks up half of it
(`pipelines.reports.folder`).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import polars as pl
import xlsxwriter

from pipelines.reference.labels import Labels
from pipelines.reports.content import ReportContext
from pipelines.reports.excel import SAFE_WORKBOOK_OPTIONS, table_sheet
from pipelines.reports.folder import FreshFolder, fingerprint

TODO_SHEET, ISSUES_SHEET = "Việc cần làm", "Lỗi chi tiết"


def schools_with_work(follow_up: pl.DataFrame, issues: pl.DataFrame) -> pl.DataFrame:
    """school_code, school_name of every school with a follow-up row or an issue."""
    return (
        pl.concat(
            [
                follow_up.select("school_code", "school_name"),
                issues.select("school_code", "school_name"),
            ]
        )
        .drop_nulls("school_code")
        .unique("school_code", keep="first")
        .sort("school_code")
    )


def _cover(
    workbook: xlsxwriter.Workbook, ctx: ReportContext, name: str, place: str, counts: dict
) -> None:
    sheet = workbook.add_worksheet("Bìa")
    bold = workbook.add_format({"bold": True})
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 90)
    sheet.write(
        0, 0, "VIỆC TRƯỜNG CẦN GỬI HOẶC SỬA", workbook.add_format({"bold": True, "font_size": 16})
    )
    rows = [
        ("Trường", name),
        ("Địa bàn", place),
        ("Năm học", ctx.school_year),
        ("Ngày lập", ctx.made_on.strftime("%d/%m/%Y")),
        ("Việc cần làm", f"{counts['todo']} việc (trang '{TODO_SHEET}')"),
        ("Lỗi chi tiết", f"{counts['issues']} dòng (trang '{ISSUES_SHEET}')"),
        (
            "Cách làm",
            "Mở tệp nguồn ở trang tính, dòng, cột được chỉ ra; sửa rồi nộp lại cả tệp. "
            "Báo cáo chưa nộp: nộp trước hạn ghi ở cột 'Hạn nộp'.",
        ),
    ]
    for n, (label, value) in enumerate(rows, start=2):
        sheet.write(n, 0, label, bold)
        sheet.write(n, 1, value)
    sheet.activate()


def _school_workbook(
    path: Path,
    ctx: ReportContext,
    labels: Labels,
    code: str,
    name: str,
    place: str,
    todo: pl.DataFrame,
    issues: pl.DataFrame,
) -> None:
    with xlsxwriter.Workbook(path, SAFE_WORKBOOK_OPTIONS) as workbook:
        _cover(
            workbook, ctx, f"{name} ({code})", place, {"todo": todo.height, "issues": issues.height}
        )
        title = f"{name} — năm học {ctx.school_year}"
        table_sheet(workbook, TODO_SHEET, f"Việc cần làm: {title}", todo, labels)
        table_sheet(workbook, ISSUES_SHEET, f"Lỗi chi tiết: {title}", issues, labels)


def write_school_todos(
    folder: Path,
    follow_up: pl.DataFrame,
    issues: pl.DataFrame,
    ctx: ReportContext,
    labels: Labels,
    places: pl.DataFrame | None = None,
) -> dict[str, int]:
    """Write every school's workbook into a fresh folder swapped in for `folder` (a school
    whose rows, place and report date are unchanged keeps its file); returns school_code →
    rows (follow-up rows + issues). `places`: school_code, place (where the registry puts
    the school, for the cover)."""
    place_of = dict(places.iter_rows()) if places is not None else {}
    shared = fingerprint(ctx.school_year, ctx.made_on, labels)  # what a workbook shows of ctx
    written: dict[str, int] = {}
    with FreshFolder(folder) as fresh:
        for code, name in schools_with_work(follow_up, issues).iter_rows():
            todo = follow_up.filter(pl.col("school_code") == code).drop(
                "school_code", "school_name"
            )
            mine = issues.filter(pl.col("school_code") == code).drop("school_code", "school_name")
            place = place_of.get(code) or ""
            fresh.write(
                f"{code}.xlsx",
                fingerprint(shared, code, name, place, todo, mine),
                partial(
                    _school_workbook,
                    ctx=ctx,
                    labels=labels,
                    code=code,
                    name=name,
                    place=place,
                    todo=todo,
                    issues=mine,
                ),
            )
            written[code] = todo.height + mine.height
    return written
