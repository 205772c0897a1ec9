"""The start-of-year statistical forms as workbooks (issue 20): one workbook per form, laid
out like the published form (header block, column headers, letter row, the rows of
reference/statistical_forms.csv in order, number formats), its values from the mart
`statistical_forms_area`, and a last sheet "Chỉ tiêu chưa có dữ liệu" listing the rows left
blank and why. Every cell is a value written here, never a formula.

Where they go, under `reports/bieu_mau/<school year>/`: `<form>.xlsx` for the province (the
workbook the Sở sends to the Ministry), then the same form for each commune (`xa/<code>/`)
and each former district (`huyen/<code>/`) the registry names that has a school of the form,
for checking an area's figures against its schools and sending them back to confirm. A
warehouse of several provinces gets each province's forms only, in `tinh/<code>/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import polars as pl
import xlsxwriter

from pipelines.reports.excel import SAFE_WORKBOOK_OPTIONS
from pipelines.reports.folder import FreshFolder, fingerprint

BLANK_SHEET = "Chỉ tiêu chưa có dữ liệu"
OWNERSHIP_HEADERS = {"cong_lap": "Công lập", "tu_thuc": "Tư thục", "dan_lap": "Dân lập"}
BREAKDOWN_HEADERS = {"female": "Nữ", "ethnic": "Dân tộc", "female_ethnic": "Nữ dân tộc"}
AREA_FOLDERS = {"commune": "xa", "district": "huyen", "province": "tinh"}
FEMALE_ETHNIC_NOTE = (
    "Cột Nữ dân tộc để trống ở mọi dòng: báo cáo thống kê của trường chỉ có cột Nữ và cột "
    "Dân tộc, không có số nữ người dân tộc thiểu số."
)
WORDING_NOTE = (
    "Bố cục và lời văn theo biểu đã công bố năm học 2020-2021 (Thông tư 24/2018); biểu của "
    "Thông tư 25/2024 chưa được đối chiếu. Biểu 03.ĐN-THCS dựng theo cùng cách (tên dòng và mã "
    "số chưa xác nhận); các dòng không có mã số do kho dữ liệu bổ sung."
)


@dataclass(frozen=True)
class FormArea:
    """The area a workbook covers and what its header block says."""

    area_level: str
    area_code: str
    area_name: str | None
    school_year: str


def value_columns(ownerships: list[str]) -> list[str]:
    """The value columns of a form, in order: total, its ownerships, then the breakdowns."""
    return ["total", *ownerships, *BREAKDOWN_HEADERS]


def _reporting_unit(area: FormArea) -> str:
    if area.area_level == "province":
        return f"Sở GDĐT {area.area_name or f'tỉnh (mã {area.area_code})'}"
    return f"{area.area_name or area.area_code} (số liệu các trường trên địa bàn)"


def _formats(workbook: xlsxwriter.Workbook) -> dict[str, object]:
    border = {"border": 1, "valign": "vcenter"}
    return {
        "title": workbook.add_format({"bold": True, "font_size": 12}),
        "italic": workbook.add_format({"italic": True}),
        "right": workbook.add_format({"text_wrap": False}),
        "header": workbook.add_format(
            {**border, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#DDEBF7"}
        ),
        "letter": workbook.add_format({**border, "italic": True, "align": "center"}),
        "tt": workbook.add_format({**border, "align": "center"}),
        "label": workbook.add_format({**border, "text_wrap": True}),
        "heading": workbook.add_format({**border, "bold": True, "text_wrap": True}),
        "text": workbook.add_format({**border, "align": "center"}),
        "number": workbook.add_format({**border, "num_format": "#,##0"}),
        "blank": workbook.add_format({**border, "bg_color": "#F2F2F2"}),
        "cell": workbook.add_format(border),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top", "border": 1}),
    }


def _header_block(sheet, fmt: dict, title: str, area: FormArea, form: str, n_cols: int) -> None:
    first_year = area.school_year.split("-")[0]
    right = max(n_cols - 4, 4)
    sheet.write(0, 0, title, fmt["title"])
    sheet.write(1, 0, f"Kỳ đầu năm học {area.school_year}")
    sheet.write(2, 0, f"(có đến 30 tháng 9 năm {first_year})", fmt["italic"])
    sheet.write(0, right, "- Đơn vị báo cáo:")
    sheet.write(1, right, _reporting_unit(area))
    sheet.write(2, right, "- Đơn vị nhận báo cáo:")
    sheet.write(3, right, "Bộ Giáo dục và Đào tạo")
    sheet.write(3, 0, f"Biểu {form}", fmt["italic"])


def _table_header(sheet, fmt: dict, row: int, ownerships: list[str]) -> int:
    """Two header rows and the letter row; returns the first data row."""
    for col, text in enumerate(("TT", "Chỉ tiêu", "Đơn vị tính", "Mã số", "Tổng số")):
        sheet.merge_range(row, col, row + 1, col, text, fmt["header"])
    col = 5
    if len(ownerships) > 1:
        sheet.merge_range(row, col, row, col + len(ownerships) - 1, "Chia ra", fmt["header"])
    else:
        sheet.write(row, col, "Chia ra", fmt["header"])
    for n, o in enumerate(ownerships):
        sheet.write(row + 1, col + n, OWNERSHIP_HEADERS[o], fmt["header"])
    col += len(ownerships)
    sheet.merge_range(row, col, row, col + 2, "Trong tổng số", fmt["header"])
    for n, text in enumerate(BREAKDOWN_HEADERS.values()):
        sheet.write(row + 1, col + n, text, fmt["header"])
    letters = ["", "A", "B", "C", *(str(n) for n in range(1, len(ownerships) + 5))]
    for c, text in enumerate(letters):
        sheet.write(row + 2, c, text, fmt["letter"])
    return row + 3


def _form_sheet(
    workbook: xlsxwriter.Workbook,
    fmt: dict,
    sheet_name: str,
    rows: pl.DataFrame,
    values: dict[tuple[int, str], int],
    area: FormArea,
    title: str,
    form: str,
    ownerships: list[str],
    coverage: str,
) -> None:
    columns = value_columns(ownerships)
    sheet = workbook.add_worksheet(sheet_name)
    n_cols = 4 + len(columns)
    _header_block(sheet, fmt, title, area, form, n_cols)
    sheet.write(4, 0, coverage, fmt["italic"])
    sheet.set_column(0, 0, 7)
    sheet.set_column(1, 1, 60)
    sheet.set_column(2, 3, 10)
    sheet.set_column(4, n_cols - 1, 11)
    at = _table_header(sheet, fmt, 6, ownerships)
    sheet.freeze_panes(at, 2)
    for r in rows.iter_rows(named=True):
        heading = r["method"] == "heading"
        sheet.write(at, 0, r["tt"], fmt["tt"])
        sheet.write(at, 1, r["label"], fmt["heading"] if heading or r["tt"] else fmt["label"])
        sheet.write(at, 2, r["unit"], fmt["text"])
        sheet.write(at, 3, r["ma_so"], fmt["text"])
        for n, column in enumerate(columns):
            value = values.get((r["row_order"], column))
            if value is not None:
                sheet.write_number(at, 4 + n, value, fmt["number"])
            else:
                sheet.write_blank(
                    at, 4 + n, None, fmt["blank" if r["method"] == "blank" else "cell"]
                )
        at += 1


def _blank_sheet(workbook: xlsxwriter.Workbook, fmt: dict, rows: pl.DataFrame) -> int:
    """The last sheet: every row the warehouse leaves blank, where it is and why."""
    sheet = workbook.add_worksheet(BLANK_SHEET)
    sheet.write(0, 0, "CHỈ TIÊU CHƯA CÓ DỮ LIỆU", fmt["title"])
    sheet.write(1, 0, "Các dòng dưới đây để trống trong biểu: kho dữ liệu chưa có số liệu để tính.")
    headers = ("Trang tính", "TT", "Chỉ tiêu", "Đơn vị tính", "Mã số", "Lý do")
    for c, text in enumerate(headers):
        sheet.write(3, c, text, fmt["header"])
    sheet.set_column(0, 1, 10)
    sheet.set_column(2, 2, 60)
    sheet.set_column(3, 4, 10)
    sheet.set_column(5, 5, 70)
    blank = rows.filter(pl.col("method") == "blank")
    at = 4
    for r in blank.iter_rows(named=True):
        for c, key in enumerate(("sheet", "tt", "label", "unit", "ma_so", "reason")):
            sheet.write(at, c, r[key], fmt["wrap"])
        at += 1
    sheet.write(at + 1, 0, "Ghi chú", fmt["title"])
    sheet.write(at + 2, 0, FEMALE_ETHNIC_NOTE)
    sheet.write(at + 3, 0, WORDING_NOTE)
    sheet.freeze_panes(4, 0)
    return blank.height


def write_form_workbook(
    path: Path,
    form: str,
    layout: pl.DataFrame,
    values: dict[tuple[int, str], int],
    area: FormArea,
    n_schools: int,
    n_reported: int,
) -> int:
    """One form for one area: a sheet per section of the form, then the blank rows' sheet.
    `layout` holds the form's rows of statistical_forms.csv; `values` maps (row_order,
    value column) to the cell. Returns the number of blank rows listed."""
    rows = layout.filter(pl.col("form") == form).sort("row_order")
    title = rows["form_title"][0]
    ownerships = rows["ownership_columns"][0].split()
    coverage = (
        f"Tổng hợp từ báo cáo thống kê đầu năm của {n_reported}/{n_schools} trường thuộc biểu "
        "(trường đang hoạt động trong danh mục năm học)."
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # assembled in memory, not in temporary files: a third faster, and a province writes
    # hundreds of these
    with xlsxwriter.Workbook(path, {**SAFE_WORKBOOK_OPTIONS, "in_memory": True}) as workbook:
        fmt = _formats(workbook)
        for sheet_name in rows["sheet"].unique(maintain_order=True):
            _form_sheet(
                workbook,
                fmt,
                sheet_name,
                rows.filter(pl.col("sheet") == sheet_name),
                values,
                area,
                title,
                form,
                ownerships,
                coverage,
            )
        return _blank_sheet(workbook, fmt, rows)


def form_paths(areas: pl.DataFrame, folder: Path) -> dict[tuple[str, str], Path]:
    """(area_level, area_code) → the folder of its workbooks: one province at the top of
    the year's folder, several each in `tinh/<code>/`; communes in `xa/<code>/`, districts
    in `huyen/<code>/`."""
    provinces = areas.filter(pl.col("area_level") == "province")["area_code"].unique()
    out: dict[tuple[str, str], Path] = {}
    for level, code in areas.select("area_level", "area_code").unique().iter_rows():
        if level == "province" and len(provinces) == 1:
            out[(level, code)] = folder
        else:
            out[(level, code)] = folder / AREA_FOLDERS[level] / code
    return out


def _areas_to_write(of_year: pl.DataFrame) -> pl.DataFrame:
    """The areas of a year that get workbooks: every one, or with several provinces (a
    national warehouse) the provinces only; a province's own run writes its communes' (each
    workbook costs about 0.15 s)."""
    areas = of_year.select("area_level", "area_code", "area_name").unique(
        ["area_level", "area_code"], keep="first"
    )
    if areas.filter(pl.col("area_level") == "province").height > 1:
        return areas.filter(pl.col("area_level") == "province")
    return areas


def _write_area(
    fresh: FreshFolder,
    where: Path,
    area: FormArea,
    cells: pl.DataFrame,
    forms: list[str],
    layout: pl.DataFrame,
) -> list[Path]:
    """Every form of one area into `where` (relative to the year's folder); a commune or
    district without a school of a form gets no workbook of it. A workbook whose cells,
    area and layout are unchanged since the last build is carried over. Returns where the
    workbooks are once the year's folder is swapped in."""
    written = []
    for form in forms:
        of_form = cells.filter(pl.col("form") == form)
        values = {
            (r["row_order"], r["value_column"]): r["value"] for r in of_form.iter_rows(named=True)
        }
        n_schools = int(of_form["n_schools"].max() or 0)
        n_reported = int(of_form["n_reported"].max() or 0)
        if n_schools == 0 and area.area_level != "province":
            continue
        rows = layout.filter(pl.col("form") == form)
        write = partial(
            write_form_workbook,
            form=form,
            layout=rows,
            values=values,
            area=area,
            n_schools=n_schools,
            n_reported=n_reported,
        )
        inputs = fingerprint(form, area, of_form, rows)
        written.append(fresh.write((where / f"{form}.xlsx").as_posix(), inputs, write))
    return written


def write_statistical_forms(
    folder: Path, values: pl.DataFrame, layout: pl.DataFrame
) -> dict[str, object]:
    """Every form of every school year and area of `values` (marts.statistical_forms_area),
    into `folder/<school year>/…`. Each year's folder is built beside the old one and swapped
    in, so a reader never sees half of it and an area that left the registry leaves no stale
    workbook (`pipelines.reports.folder`: a workbook whose inputs are unchanged is carried
    over). Returns what the asset reports: the province workbooks, counts."""
    forms = layout["form"].unique(maintain_order=True).to_list()

    def rows_of(form: str, methods: list[str]) -> int:
        return layout.filter((pl.col("form") == form) & pl.col("method").is_in(methods)).height

    province_files: list[str] = []
    n_workbooks = 0
    folder.mkdir(parents=True, exist_ok=True)
    for (year,), of_year in values.group_by("school_year", maintain_order=True):
        target = folder / year
        areas = _areas_to_write(of_year)
        places = form_paths(areas, Path())
        with FreshFolder(target) as fresh:
            for level, code, name in areas.iter_rows():
                cells = of_year.filter(
                    (pl.col("area_level") == level) & (pl.col("area_code") == code)
                )
                area = FormArea(level, code, name, year)
                written = _write_area(fresh, places[(level, code)], area, cells, forms, layout)
                n_workbooks += len(written)
                if level == "province":
                    province_files += [str(p) for p in written]
    return {
        "province_files": province_files,
        "n_workbooks": n_workbooks,
        "computed_rows": {
            f: rows_of(f, ["school_count", "school_count_with", "emis_sum"]) for f in forms
        },
        "blank_rows": {f: rows_of(f, ["blank"]) for f in forms},
    }
