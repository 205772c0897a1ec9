"""Build raw folders for tests in the contract's formats, with the project's own writer."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from pipelines.generate.build import COLUMNS
from pipelines.generate.writers import Layout, write_table

PROJECT_ROOT = Path(__file__).resolve().parents[1]

REGISTRY_COLUMNS = [
    "Mã trường",
    "Tên trường",
    "Cấp học",
    "Loại hình",
    "Mã huyện",
    "Quận/Huyện",
    "Mã tỉnh",
    "Trạng thái",
]
CDS_COLUMNS = ["Mã tiêu chí", "Nội dung", "Điểm tự đánh giá", "Tử số", "Mẫu số", "Minh chứng"]


def write_registry(
    raw: Path,
    schools: list[tuple[str, str, str]],
    name: str = "truong.xlsx",
    status: dict[str, str] | None = None,
) -> Path:
    """schools: (code, name, level label)."""
    status = status or {}
    rows = [
        [code, nm, lvl, "Công lập", "001", "Huyện Thử", "31", status.get(code, "Đang hoạt động")]
        for code, nm, lvl in schools
    ]
    path = raw / "schools" / name
    write_table(
        path, header=[], columns=REGISTRY_COLUMNS, rows=rows, layout=Layout(title="DANH MỤC TRƯỜNG")
    )
    return path


def write_assessment(
    raw: Path,
    school: str,
    year: str,
    submitted: date | str | None,
    rows: list[list[object]],
    name: str | None = None,
    layout: str = "inline",
    as_csv: bool = False,
) -> Path:
    """rows: [code, self_score, numerator, denominator, evidence]."""
    header: list[tuple[str, object]] = [("Mã trường", school), ("Năm học", year)]
    if submitted is not None:
        header.append(("Ngày báo cáo", submitted))
    table = [[code, f"Chỉ số {code}", score, num, den, ev] for code, score, num, den, ev in rows]
    stem = name or f"{school}_{year}"
    if as_csv:  # as a CSV export: header block as label | value, no title
        path = raw / "cds_assessment" / f"{stem}.csv"
        write_table(
            path,
            header=header,
            columns=CDS_COLUMNS,
            rows=table,
            layout=Layout(header_layout="split"),
        )
    else:
        path = raw / "cds_assessment" / f"{stem}.xlsx"
        write_table(
            path,
            header=header,
            columns=CDS_COLUMNS,
            rows=table,
            layout=Layout(title="PHIẾU TỰ ĐÁNH GIÁ", header_layout=layout),
        )
    return path


SESSION_DATE = date.today().isoformat()


def cds_run(
    raw: Path,
    warehouse: Path,
    reference: Path | None = None,
    extra_env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    cmd = [
        sys.executable,
        "-m",
        "pipelines.cli",
        "run",
        "--raw",
        str(raw),
        "--warehouse",
        str(warehouse),
    ]
    if reference is not None:
        cmd += ["--reference", str(reference)]
    cmd += extra_args or []
    # one "today" for the whole test session: runs compared with each other agree even
    # when the session crosses midnight (issue 21)
    env = {"CDS_RUN_DATE": SESSION_DATE, **os.environ, **(extra_env or {})}
    return subprocess.run(
        cmd, capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=600
    )


REGISTRY_COLUMNS_FULL = COLUMNS["schools"]  # the generator's full registry header


def write_registry_file(
    raw: Path,
    rows: list[dict[str, str]],
    name: str,
    header: list[tuple[str, object]] | None = None,
    columns: list[str] | None = None,
) -> Path:
    """A registry with communes and districts of its own and an optional header block (e.g.
    `[("Ngày hiệu lực", "01/08/2025")]`). rows: dicts keyed by the headers of `columns`
    (default REGISTRY_COLUMNS_FULL); `Loại hình` defaults to Công lập, `Mã tỉnh` to 31,
    `Trạng thái` to active."""
    columns = columns or REGISTRY_COLUMNS_FULL
    defaults = {"Loại hình": "Công lập", "Mã tỉnh": "31", "Trạng thái": "Đang hoạt động"}
    table = [[{**defaults, **r}.get(c, "") for c in columns] for r in rows]
    path = raw / "schools" / name
    write_table(
        path,
        header=header or [],
        columns=columns,
        rows=table,
        layout=Layout(title="DANH MỤC CƠ SỞ GIÁO DỤC"),
    )
    return path


EMIS_COLUMNS = ["Mã số", "Chỉ tiêu", "Tổng số", "Nữ", "Dân tộc"]


def write_emis_report(
    raw: Path,
    school: str,
    year: str,
    period_label: str,
    submitted: str,
    values: dict[str, int | tuple[int, int | None, int | None]],
    name: str,
) -> Path:
    """A statistical report (contract §2.3): header block, then one row per code with its
    total, or (total, female, ethnic) (female and ethnic blank when only a total is given).
    `period_label` as written: `Đầu năm`, `Cuối năm`."""
    header: list[tuple[str, object]] = [
        ("Mã trường", school),
        ("Năm học", year),
        ("Kỳ báo cáo", period_label),
        ("Ngày báo cáo", submitted),
    ]
    rows = [
        [code, f"Chỉ tiêu {code}", *(v if isinstance(v, tuple) else (v, None, None))]
        for code, v in values.items()
    ]
    path = raw / "emis_report" / name
    write_table(
        path,
        header=header,
        columns=EMIS_COLUMNS,
        rows=rows,
        layout=Layout(title="BÁO CÁO THỐNG KÊ"),
    )
    return path


# CSDL ngành's own exports (contract §2.8), as far as the contract knows their columns.
C1_COLUMNS = [
    "STT",
    "Mã lớp",
    "Mã học sinh",
    "Họ tên",
    "Ngày sinh",
    "Giới tính",
    "Trạng thái HS",
    "Ngày nhập trạng thái",
    "Dân tộc",
    "Loại khuyết tật",
    "Số định danh cá nhân",
]
CSDL_STAFF_COLUMNS = [
    "STT",
    "Mã cán bộ",
    "Họ tên",
    "Ngày sinh",
    "Giới tính",
    "Dân tộc",
    "Trạng thái CB",
    "Vị trí việc làm",
    "Nhóm chức vụ",
    "Số định danh cá nhân",
    # a few of the export's other columns, which the warehouse does not read
    "Hình thức hợp đồng",
    "Môn dạy",
    "Trình độ đào tạo",
]


def _export_workbook(path: Path, columns: list[str], rows: list[list[object]], codes: dict) -> None:
    """The list on `Sheet1` from its first row (no header block), code lists on the other
    sheets, as CSDL ngành writes its downloads."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, columns)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v is not None and v != "":
                ws.write_string(r, c, str(v))
    for name, values in codes.items():
        sheet = wb.add_worksheet(name)
        sheet.write_row(0, 0, ["Mã", "Tên"])
        for r, (code, label) in enumerate(values, start=1):
            sheet.write_row(r, 0, [code, label])
    wb.close()


def write_c1_students(path: Path, rows: list[list[object]]) -> Path:
    """A `C1-HocSinh` download; rows in C1_COLUMNS order."""
    codes = {"DM_TrangThai": [("1", "Đang học"), ("2", "Chuyển đến"), ("3", "Chuyển đi")]}
    _export_workbook(path, C1_COLUMNS, rows, codes)
    return path


def write_csdl_staff(path: Path, rows: list[list[object]]) -> Path:
    """A `CSDL_GiaoVien` download; rows in CSDL_STAFF_COLUMNS order."""
    codes = {"DM_ChucVu": [("1", "Cán bộ quản lý"), ("2", "Giáo viên"), ("3", "Nhân viên")]}
    _export_workbook(path, CSDL_STAFF_COLUMNS, rows, codes)
    return path
