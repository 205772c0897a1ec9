"""Each consistency rule on hand-built statistical reports, expected breaches written out.

Seven primary schools (TH). B–G are ordinary; A breaks one rule of each kind. Reports:
start of year (as of 30/9/2024) and end of year (31/5/2025).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines.generate.build import COLUMNS
from pipelines.generate.writers import Layout, write_table
from tests.builders import cds_run, write_registry
from tests.conftest import query_dicts

# starts the whole pipeline (cds run): left out of `make test-fast`
pytestmark = pytest.mark.e2e

SCHOOLS = ["31000001", "31000002", "31000003", "31000004", "31000005", "31000006", "31000007"]


def ordinary(scale: float = 1.0) -> dict[str, tuple]:
    """A consistent primary report: 5 grades × 4 classes × 27 pupils, 44 staff."""
    grade = round(108 * scale)
    values: dict[str, tuple] = {"101": (20, None, None)}
    for g in range(1, 6):
        values[f"11{g}"] = (4, None, None)
        values[f"21{g}"] = (grade, grade // 2, 3)
    values["201"] = (5 * grade, 5 * (grade // 2), 15)
    values |= {
        "301": (34, 30, 1),
        "302": (2, 2, 0),
        "303": (28, 25, 1),
        "304": (4, 3, 0),
        "311": (8, 7, 0),
        "312": (18, 16, 1),
        "313": (2, 2, 0),
        "401": (22, None, None),
        "402": (22, None, None),
        "403": (20, None, None),
        "404": (2, None, None),
        "405": (1, None, None),
        "406": (160, None, None),
        "407": (5, None, None),
        "408": (1, None, None),
        "409": (1, None, None),
        "410": (1, None, None),
        "411": (1, None, None),
    }
    return values


def end_of_year(values: dict[str, tuple]) -> dict[str, tuple]:
    return values | {
        "230": (5, 2, 0),
        "231": (2, 1, 0),
        "501": (10, None, None),
        "502": (8, None, None),
        "503": (100, None, None),
        "504": (60, None, None),
    }


def write_report(raw: Path, school: str, period: str, values: dict[str, tuple]) -> Path:
    header = [
        ("Mã trường", school),
        ("Năm học", "2024-2025"),
        ("Kỳ báo cáo", "Đầu năm" if period == "dau_nam" else "Cuối năm"),
        ("Ngày báo cáo", date(2024, 10, 5) if period == "dau_nam" else date(2025, 6, 5)),
    ]
    rows = [[code, f"Chỉ tiêu {code}", *v] for code, v in sorted(values.items())]
    path = raw / "emis_report" / f"{school}_{period}.xlsx"
    write_table(path, header=header, columns=COLUMNS["emis_report"], rows=rows, layout=Layout())
    return path


@pytest.fixture(scope="module")
def breaches(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    root = tmp_path_factory.mktemp("rules")
    raw = root / "raw"
    write_registry(raw, [(s, f"Trường {s}", "Tiểu học") for s in SCHOOLS])
    for n, school in enumerate(SCHOOLS[1:]):  # B–G: ordinary, a little different from each other
        write_report(raw, school, "dau_nam", ordinary(1 + n / 50))
        write_report(raw, school, "cuoi_nam", end_of_year(ordinary(1 + n / 50)))
    a_start = ordinary()
    a_start["101"] = (22, None, None)  # classes_add_up: 22 ≠ 4 × 5 + 1 (the grade-6 class)
    a_start["214"] = (108, 110, 3)  # female_le_total; also students_add_up on the female column
    a_start["402"] = (25, None, None)  # internet_le_classrooms: 25 > 22
    a_start["116"] = (1, None, None)  # codes_of_level_only: grade 6 in a primary school
    a_start["303"] = (28, 25, 30)  # ethnic_le_total: 30 > 28
    a_start["406"] = (20, None, None)  # pupils_per_computer_outlier: 324 / 20 against ≈ 2
    del a_start["407"]  # required_code_reported: 407 missing
    write_report(raw, SCHOOLS[0], "dau_nam", a_start)
    a_end = end_of_year(ordinary(1.4))  # students_end_vs_start: 756 against 540 (+40 %)
    a_end["101"] = (20, None, None)
    a_end["502"] = (12, None, None)  # cashless_le_fees: 12 > 10
    a_end["231"] = (900, 0, 0)  # dropouts_le_students: 900 > 756
    write_report(raw, SCHOOLS[0], "cuoi_nam", a_end)
    result = cds_run(raw, root / "warehouse")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return query_dicts(
        root / "warehouse" / "analytics.duckdb",
        "select * from marts.data_quality_issues where kind = 'rule_violation'",
    )


def _found(breaches: list[dict], rule: str, period: str) -> list[dict]:
    return [b for b in breaches if b["rule_id"] == rule and b["period"] == period]


@pytest.mark.parametrize(
    ("rule", "period", "field", "value"),
    [
        ("classes_add_up", "dau_nam", "Tổng số", "22 ≠ 21"),
        ("class_size_th", "cuoi_nam", "Tổng số", "37.8"),  # 756 pupils / 20 classes > 35
        ("female_le_total", "dau_nam", "Nữ", "110 > 108"),
        ("students_add_up", "dau_nam", "Nữ", "270 ≠ 326"),
        ("internet_le_classrooms", "dau_nam", "Tổng số", "25 > 22"),
        ("codes_of_level_only", "dau_nam", "Tổng số", "116"),
        ("ethnic_le_total", "dau_nam", "Dân tộc", "30 > 28"),
        ("required_code_reported", "dau_nam", "Mã số", "407"),
        ("cashless_le_fees", "cuoi_nam", "Tổng số", "12 > 10"),
        ("dropouts_le_students", "cuoi_nam", "Tổng số", "900 > 755"),
        ("students_end_vs_start", "cuoi_nam", "Tổng số", "755 / 540"),
    ],
)
def test_each_rule_fires_where_broken(breaches, rule, period, field, value) -> None:
    found = _found(breaches, rule, period)
    assert [(b["school_code"], b["field"], b["value"]) for b in found] == [
        (SCHOOLS[0], field, value)
    ], found
    assert found[0]["message_vi"] and found[0]["source_file"].endswith(f"_{period}.xlsx")
    if field != "Mã số":
        assert found[0]["row"] is not None and found[0]["sheet"] == "Sheet1"


def test_outlier_among_schools(breaches) -> None:
    (found,) = _found(breaches, "pupils_per_computer_outlier", "dau_nam")
    assert found["school_code"] == SCHOOLS[0] and found["value"].startswith("x = 16.2")


def test_ordinary_schools_break_nothing(breaches) -> None:
    assert {b["school_code"] for b in breaches} == {SCHOOLS[0]}
