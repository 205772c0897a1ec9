"""`cds run --reference` on a hand-built district with a made-up index.

Every expected value below is computed by hand in the comments, from the contract's
formulas (§6) and the index in tests/fixtures/made_up_index.yaml:
group 1 = M1 (mandatory) + B1 (binary 40) + R1 (ratio 30, assumed) + D1 (bands 30);
group 2 = M2 (mandatory) + B2 (binary 50) + R2 (ratio 50); bounds 50 / 75.
Here the index also cross-checks (issue 19) R2 against staff_digital_signature (tolerance
0.10) and D1 against students_per_computer (tolerance 0.5): schools A–F send no export or
report, so their R2 and D1 are not_cross_checked and scored as before; J and K (2025-2026)
send them (within and outside the tolerance).
The calendar is the shipped one: cds_assessment 2024-2025 due from schools 28/02/2025.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from pipelines.generate.build import COLUMNS
from pipelines.generate.writers import Layout, write_table
from tests.builders import (
    REGISTRY_COLUMNS,
    cds_run,
    write_assessment,
    write_emis_report,
    write_registry,
)
from tests.conftest import query, query_dicts

# starts the whole pipeline (cds run): left out of `make test-fast`
pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).parent / "fixtures"
YEAR = "2024-2025"
EV = "https://minhchung.example/1"


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scoring")
    raw, ref = root / "raw", root / "reference"
    ref.mkdir()
    index = yaml.safe_load((FIXTURES / "made_up_index.yaml").read_text(encoding="utf-8"))
    for ind in index["indicators"]:
        if ind["code"] == "R2":
            ind["cross_check"] = {"measure": "staff_digital_signature", "tolerance": 0.10}
        if ind["code"] == "D1":
            ind["cross_check"] = {"measure": "students_per_computer", "tolerance": 0.5}
    (ref / "cds_index.yaml").write_text(yaml.safe_dump(index, allow_unicode=True), "utf-8")
    write_registry(raw, SCHOOLS, status={"31000009": "Tạm dừng"})
    # A: group 1 exactly 50 (40 + 30×1/3 + 0), group 2 exactly 75 (50 + 50×1/2); late.
    write_assessment(
        raw,
        "31000001",
        YEAR,
        date(2025, 3, 5),
        [
            ["M1", "Đạt", None, None, EV],
            ["B1", 40, None, None, EV],
            ["R1", 10, 1, 3, EV],
            ["D1", 0, None, None, None],
            ["M2", "Đạt", None, None, EV],
            ["B2", 50, None, None, EV],
            ["R2", 25, 1, 2, EV],
        ],
    )
    # B: group 1 = 40 + 30 + 30 (1.5 pupils/computer ≤ 2) = 100; group 2 = 50 + 26 = 76 (> 75);
    # submitted on the due day itself; header block in the split layout.
    write_assessment(
        raw,
        "31000002",
        YEAR,
        date(2025, 2, 28),
        [
            ["M1", "Đạt", None, None, EV],
            ["B1", 40, None, None, EV],
            ["R1", 30, 3, 3, EV],
            ["D1", 30, 45, 30, EV],
            ["M2", "Có", None, None, EV],
            ["B2", 50, None, None, EV],
            ["R2", 26, 26, 50, EV],
        ],
        layout="split",
    )
    # C: version 1 on 10/02 (on time), corrected version 2 on 10/03 supplies the values:
    # group 1 = 40 + 30×29/100 (8.7) + 0 (5 pupils/computer) = 48.7 (< 50) → level 1.
    write_assessment(
        raw,
        "31000003",
        YEAR,
        date(2025, 2, 10),
        [
            ["M1", "Đạt", None, None, EV],
            ["B1", 0, None, None, None],
            ["R1", 0, 0, 10, None],
            ["D1", 0, None, None, None],
            ["M2", "Đạt", None, None, EV],
            ["B2", 0, None, None, None],
            ["R2", 0, 0, 10, None],
        ],
        name="31000003_lan1",
    )
    write_assessment(
        raw,
        "31000003",
        YEAR,
        "10/03/2025",
        [
            ["M1", "Đạt", None, None, EV],
            ["B1", 40, None, None, EV],
            ["R1", 8.7, 29, 100, EV],
            ["D1", 0, 50, 10, EV],
            ["M2", "Đạt", None, None, EV],
            ["B2", 50, None, None, EV],
            ["R2", 50, 10, 10, EV],
        ],
        name="31000003_lan2",
    )
    # D: B1 claimed without evidence (self 40, verified 0); B2 claims 60 > 50 (capped); an
    # unknown code X9 (quarantined). Group 1: self 100, verified 60; group 2: 100 / 100.
    write_assessment(
        raw,
        "31000004",
        YEAR,
        date(2025, 2, 1),
        [
            ["M1", "Đạt", None, None, EV],
            ["B1", 40, None, None, None],
            ["R1", 30, 3, 3, EV],
            ["D1", 30, 20, 20, EV],
            ["M2", "Đạt", None, None, EV],
            ["B2", 60, None, None, EV],
            ["R2", 50, 5, 5, EV],
            ["X9", 5, None, None, EV],
        ],
    )
    # E: M1 not met → group 1 level 1 whatever its 100 points; M2 declared met without
    # evidence → group 2 self-level 3 but verified level 1; R2 with denominator 0 scores 0.
    write_assessment(
        raw,
        "31000005",
        YEAR,
        date(2025, 2, 1),
        [
            ["M1", "Không đạt", None, None, EV],
            ["B1", 40, None, None, EV],
            ["R1", 30, 3, 3, EV],
            ["D1", 30, 10, 10, EV],
            ["M2", "Đạt", None, None, None],
            ["B2", 50, None, None, EV],
            ["R2", 50, 0, 0, EV],
        ],
    )
    # F (THCS, a CSV file): D1 uses the THCS bands: 1.5 > 1 but ≤ 3 → 15 (default bands: 30).
    # Group 1 = 40 + 30 + 15 = 85 → 3; group 2 = 0 + 50×1/2 = 25 → 1.
    write_assessment(
        raw,
        "31000006",
        YEAR,
        date(2025, 2, 1),
        [
            ["M1", "Đạt", None, None, EV],
            ["B1", 40, None, None, EV],
            ["R1", 30, 3, 3, EV],
            ["D1", 30, 45, 30, EV],
            ["M2", "Đạt", None, None, EV],
            ["B2", 0, None, None, EV],
            ["R2", 25, 1, 2, EV],
        ],
        as_csv=True,
    )
    write_cross_checked_schools(raw)
    # G sends nothing but a self-assessment without its score column (rejected, traced to G
    # by its header block); H (preschool) is outside the index; I is paused.
    write_table(
        raw / "cds_assessment" / "31000007_thieu_cot.xlsx",
        header=[("Mã trường", "31000007"), ("Năm học", YEAR), ("Ngày báo cáo", "01/02/2025")],
        columns=["Mã tiêu chí", "Nội dung", "Tử số", "Mẫu số", "Minh chứng"],
        rows=[["B1", "Chỉ số B1", None, None, EV]],
        layout=Layout(title="PHIẾU TỰ ĐÁNH GIÁ"),
    )
    result = cds_run(raw, root / "warehouse", reference=ref)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root / "warehouse" / "analytics.duckdb"


NEXT = "2025-2026"  # J and K, cross-checked (calendar: cds_assessment due 28/02/2026)
SCHOOLS = [
    ("31000001", "Trường Tiểu học A", "Tiểu học"),
    ("31000002", "Trường Tiểu học B", "TH"),
    ("31000003", "Trường Tiểu học C", "Tiểu học"),
    ("31000004", "Trường Tiểu học D", "Tiểu học"),
    ("31000005", "Trường Tiểu học E", "Tiểu học"),
    ("31000006", "Trường THCS F", "Trung học cơ sở"),
    ("31000007", "Trường Tiểu học G", "Tiểu học"),
    ("31000008", "Trường Mầm non H", "Mầm non"),
    ("31000009", "Trường Tiểu học I", "Tiểu học"),
]


def write_teachers(
    raw: Path, school: str, period: str, signed: int, staff: int, name: str, **drop: bool
) -> None:
    """A staff export (contract §2.5) of `staff` active teachers, the first `signed` of them
    with a digital signature; `drop_code=True` leaves out the required `Mã cán bộ`."""
    label, day = ("Đầu năm", "30/09/2025") if period == "dau_nam" else ("Cuối năm", "31/05/2026")
    columns = COLUMNS["teachers"]
    rows = [
        [f"GV{n:03d}", "Trần Thị Mai", "01/02/1985", "Nữ", "Kinh", "Giáo viên", "Đạt chuẩn",
         "Đang làm việc", f"031185{int(school[-2:]):02d}{n:04d}", "Có" if n <= signed else "Không",
         "Có"]
        for n in range(1, staff + 1)
    ]  # fmt: skip
    if drop.get("drop_code"):
        columns, rows = columns[1:], [r[1:] for r in rows]
    write_table(
        raw / "teachers" / f"{name}.xlsx",
        header=[("Mã trường", school), ("Năm học", NEXT), ("Kỳ báo cáo", label),
                ("Ngày xuất dữ liệu", day)],
        columns=columns,
        rows=rows,
        layout=Layout(header_layout="split"),
    )  # fmt: skip


def write_cross_checked_schools(raw: Path) -> None:
    """J and K, 2025-2026: the same self-assessment, R2 and D1 claimed against the exports.

    J, within the tolerances: R2 claims 18/20 = 0.90, its staff export of cuoi_nam has 17 of
    20 signing (0.85; |0.05| ≤ 0.10) → 50 × 0.90 = 45; D1 claims 45/30 = 1.5 pupils per
    computer, its report has 19 + 19 + 19 = 57 pupils in grades 3–5 (213–215) for 30
    computers (406): 1.9 (|0.4| ≤ 0.5) → 30 (≤ 2). Its dau_nam staff export lacks `Mã cán
    bộ`: rejected, traced to J by its header block.
    K, outside: R2 claims 20/20 = 1.0; its dau_nam export agrees (40/40) but the cuoi_nam one,
    the latest period, has 17 of 40 (0.425; 0.575 > 0.10) → scored from 0.425: 50 × 0.425 =
    21.25; D1 claims 1.5, its report has 30 × 3 = 90 pupils for 30 computers: 3.0 (1.5 >
    0.5) → scored from 3.0: 15 (≤ 4).
    Both: group 1 = 40 + 30 (R1 3/3) + D1; group 2 = 50 + R2. J: 100 and 95 → level 3;
    K: 85 and 71.25 → level 2 (self: 100 and 100 → 3).
    They open in 2025-2026: a registry effective 01/08/2025 adds them, so the 2024-2025
    figures above keep the first registry's schools."""
    rows = [
        [code, nm, lvl, "Công lập", "001", "Huyện Thử", "31",
         "Tạm dừng" if code == "31000009" else "Đang hoạt động"]
        for code, nm, lvl in [*SCHOOLS, ("31000010", "Trường Tiểu học J", "Tiểu học"),
                              ("31000011", "Trường Tiểu học K", "Tiểu học")]
    ]  # fmt: skip
    write_table(
        raw / "schools" / "truong_2025.xlsx",
        header=[("Ngày hiệu lực", "01/08/2025")],
        columns=REGISTRY_COLUMNS,
        rows=rows,
        layout=Layout(title="DANH MỤC TRƯỜNG"),
    )
    for school, (r2, d1) in {"31000010": ((18, 20), (45, 30)), "31000011": ((20, 20), (45, 30))}.items():  # fmt: skip
        write_assessment(
            raw,
            school,
            NEXT,
            date(2026, 2, 1),
            [
                ["M1", "Đạt", None, None, EV],
                ["B1", 40, None, None, EV],
                ["R1", 30, 3, 3, EV],
                ["D1", 30, *d1, EV],
                ["M2", "Đạt", None, None, EV],
                ["B2", 50, None, None, EV],
                ["R2", 50 * r2[0] / r2[1], *r2, EV],
            ],
        )
    write_teachers(raw, "31000010", "cuoi_nam", 17, 20, "31000010_cuoi_nam")
    write_teachers(raw, "31000010", "dau_nam", 20, 20, "31000010_dau_nam", drop_code=True)
    write_teachers(raw, "31000011", "dau_nam", 40, 40, "31000011_dau_nam")
    write_teachers(raw, "31000011", "cuoi_nam", 17, 40, "31000011_cuoi_nam")
    for school, per_grade in {"31000010": 19, "31000011": 30}.items():
        grades = {"211": 30, "212": 30, "213": per_grade, "214": per_grade, "215": per_grade}
        write_emis_report(
            raw,
            school,
            NEXT,
            "Cuối năm",
            "31/05/2026",
            {"201": sum(grades.values()), **grades, "401": 10, "406": 30},
            name=f"{school}_cuoi_nam.xlsx",
        )


def school(db: Path, code: str) -> dict:
    rows = query_dicts(db, "select * from marts.cds_maturity_school where school_code = ?", [code])
    assert len(rows) == 1, rows
    return rows[0]


def indicator(db: Path, code: str, ind: str) -> dict:
    rows = query_dicts(
        db,
        "select * from marts.cds_indicator_scores where school_code = ? and indicator_code = ?",
        [code, ind],
    )
    assert len(rows) == 1
    return rows[0]


def test_made_up_index_is_used(scored: Path) -> None:
    ids = query(scored, "select distinct index_id from marts.cds_indicator_scores")
    assert ids == [("test-index-2025",)]
    codes = {
        r[0]
        for r in query(scored, "select distinct indicator_code from marts.cds_indicator_scores")
    }
    assert codes == {"M1", "B1", "R1", "D1", "M2", "B2", "R2"}


def test_bounds_50_and_75_are_level_2(scored: Path) -> None:
    a = school(scored, "31000001")
    assert (a["group1_verified_score"], a["group2_verified_score"]) == (50.0, 75.0)
    assert (a["group1_verified_level"], a["group2_verified_level"]) == (2, 2)
    assert (a["self_level"], a["verified_level"]) == (2, 2)


def test_above_75_is_level_3_and_bands(scored: Path) -> None:
    b = school(scored, "31000002")
    assert (b["group1_verified_score"], b["group2_verified_score"]) == (100.0, 76.0)
    assert b["verified_level"] == 3
    assert indicator(scored, "31000002", "D1")["verified_score"] == 30.0
    assert indicator(scored, "31000002", "D1")["measure"] == 1.5


def test_below_50_is_level_1_and_latest_version_counts(scored: Path) -> None:
    c = school(scored, "31000003")
    assert c["group1_verified_score"] == 48.7
    assert c["group2_verified_score"] == 100.0
    assert (c["group1_verified_level"], c["verified_level"]) == (1, 1)
    assert c["versions"] == 2
    assert c["submitted_on"] == date(2025, 2, 10)  # the first version decides timeliness
    assert c["last_submitted_on"] == date(2025, 3, 10)
    assert c["on_time"] is True
    assert indicator(scored, "31000003", "D1")["verified_score"] == 0.0  # 5 per computer


def test_missing_evidence_and_cap(scored: Path) -> None:
    d = school(scored, "31000004")
    assert (d["group1_self_score"], d["group1_verified_score"]) == (100.0, 60.0)
    assert (d["group2_self_score"], d["group2_verified_score"]) == (100.0, 100.0)
    assert (d["self_level"], d["verified_level"]) == (3, 2)
    b1 = indicator(scored, "31000004", "B1")
    assert (b1["self_score"], b1["verified_score"], b1["has_evidence"]) == (40.0, 0.0, False)
    assert "missing_evidence" in b1["flags"]
    b2 = indicator(scored, "31000004", "B2")
    assert (b2["self_score"], b2["self_points"], b2["verified_score"]) == (60.0, 50.0, 50.0)
    assert "self_score_capped" in b2["flags"]


def test_failed_mandatory_conditions(scored: Path) -> None:
    e = school(scored, "31000005")
    assert e["group1_verified_score"] == 100.0
    assert e["group1_mandatory_met"] is False and e["group1_verified_level"] == 1
    assert e["group2_self_mandatory_met"] is True and e["group2_mandatory_met"] is False
    assert (e["group2_self_level"], e["group2_verified_level"]) == (3, 1)
    assert (e["self_level"], e["verified_level"]) == (1, 1)
    assert indicator(scored, "31000005", "R2")["verified_score"] == 0.0  # denominator 0
    m2 = indicator(scored, "31000005", "M2")
    assert (m2["self_met"], m2["verified_met"]) == (True, False)


def test_bands_by_level(scored: Path) -> None:
    d1 = indicator(scored, "31000006", "D1")
    assert d1["measure"] == 1.5 and d1["verified_score"] == 15.0
    f = school(scored, "31000006")
    assert (f["group1_verified_score"], f["group2_verified_score"]) == (85.0, 25.0)
    assert (f["group1_verified_level"], f["group2_verified_level"], f["verified_level"]) == (
        3,
        1,
        1,
    )


def test_no_assessment_no_row_and_timeliness(scored: Path) -> None:
    assert query(
        scored,
        "select count(*) from marts.cds_maturity_school where school_code in "
        "('31000007', '31000008', '31000009')",
    ) == [(0,)]
    assert school(scored, "31000001")["on_time"] is False  # 05/03 after 28/02
    assert school(scored, "31000002")["on_time"] is True  # on the due day


def test_assumed_items_are_visible(scored: Path) -> None:
    r1 = indicator(scored, "31000001", "R1")
    assert r1["provenance"] == "assumed" and "assumed_item" in r1["flags"]
    a = school(scored, "31000001")
    assert a["verified_points_on_assumed_items"] == 10.0 and a["rests_on_assumed_items"] is True


def test_district_summary(scored: Path) -> None:
    rows = {
        r["level"]: r
        for r in query_dicts(
            scored, "select * from marts.cds_maturity_district where school_year = ?", [YEAR]
        )
    }
    assert set(rows) == {"TH", "THCS", "ALL"}  # preschool is outside the index
    th = rows["TH"]  # A, B, C, D, E, G active in scope; A2 B3 C1 D2 E1 assessed
    assert (th["n_schools"], th["n_assessed"], th["n_level1"], th["n_level2"], th["n_level3"]) == (
        6,
        5,
        2,
        2,
        1,
    )
    assert th["pct_level2_plus"] == 50.0
    assert th["avg_group1_verified"] == 71.74  # (50 + 100 + 48.7 + 60 + 100) / 5
    assert th["avg_group2_verified"] == 80.2  # (75 + 76 + 100 + 100 + 50) / 5
    all_ = rows["ALL"]
    assert (all_["n_schools"], all_["n_assessed"], all_["n_level1"]) == (7, 6, 3)
    assert all_["pct_level2_plus"] == 42.86  # 3 / 7


def test_issues_point_at_the_cell(scored: Path) -> None:
    issues = query_dicts(
        scored,
        "select * from marts.data_quality_issues where school_code = '31000004' order by \"row\"",
    )
    by_rule = {i["rule_id"]: i for i in issues}
    # title (1), blank (2), header block (3–5), blank (6), table header (7), data from row 8
    assert (
        by_rule["missing_evidence"]["row"] == 9
        and by_rule["missing_evidence"]["severity"] == "warning"
    )
    assert by_rule["self_score_above_max"]["row"] == 13
    q = by_rule["unknown_indicator"]
    assert (q["row"], q["field"], q["value"], q["severity"]) == (15, "Mã tiêu chí", "X9", "error")
    assert q["source_file"] == "cds_assessment/31000004_2024-2025.xlsx"
    assert "không có trong bộ chỉ số" in q["message_vi"]


def test_cross_checks_within_outside_and_without_a_figure(scored: Path) -> None:
    """Issue 19, item 1 (contract §6, cross-checks); hand counts in write_cross_checked_schools.
    Checked by breaking the code once: scoring a contradicted indicator from the school's
    figure (the `measured` CTE of int_cds__indicator_scores ignoring contradicts_sources)
    failed this test (K's R2 50.0, D1 30.0)."""
    cols = "self_value, source_value, source_period, verified_score, flags"

    def row(code: str, ind: str) -> tuple:
        [r] = query(
            scored,
            f"select {cols} from marts.cds_indicator_scores "
            "where school_code = ? and indicator_code = ?",
            [code, ind],
        )
        return r

    # J, within: scored from its own figures, nothing flagged
    assert row("31000010", "R2") == (0.9, 0.85, "cuoi_nam", 45.0, [])
    assert row("31000010", "D1") == (1.5, 1.9, "cuoi_nam", 30.0, [])
    # K, outside: scored from the warehouse's figures of cuoi_nam (not dau_nam's 40/40)
    assert row("31000011", "R2") == (1.0, 0.425, "cuoi_nam", 21.25, ["contradicts_sources"])
    assert row("31000011", "D1") == (1.5, 3.0, "cuoi_nam", 15.0, ["contradicts_sources"])
    # A, no export or report at all: scored from its figures (R2 1/2 → 25; D1 not answered)
    assert row("31000001", "R2") == (0.5, None, None, 25.0, ["not_cross_checked"])
    assert row("31000001", "D1") == (None, None, None, 0.0, ["no_measure", "not_cross_checked"])
    # R1 carries no cross_check: neither flag, no source figure
    assert row("31000011", "R1") == (1.0, None, None, 30.0, ["assumed_item"])
    j, k = school(scored, "31000010"), school(scored, "31000011")
    assert (j["group1_verified_score"], j["group2_verified_score"], j["verified_level"]) == (
        100.0,
        95.0,
        3,
    )
    assert (k["group1_verified_score"], k["group2_verified_score"]) == (85.0, 71.25)
    assert (k["self_level"], k["verified_level"]) == (3, 2)


def test_cross_source_warning_names_both_figures(scored: Path) -> None:
    """A contradiction is a warning at the assessment row, with both figures, in Vietnamese
    and in the follow-up list; an agreement or a missing figure is none."""
    issues = query_dicts(
        scored,
        "select * from marts.data_quality_issues where rule_id = 'cds_cross_source' "
        'order by "row"',
    )
    assert [(i["school_code"], i["school_year"], i["period"]) for i in issues] == [
        ("31000011", NEXT, "ca_nam"),
        ("31000011", NEXT, "ca_nam"),
    ]
    d1, r2 = issues  # rows 11 (D1) and 14 (R2) of the assessment
    assert (d1["row"], d1["severity"], d1["field"]) == (11, "warning", "Tử số")
    assert d1["source_file"] == "cds_assessment/31000011_2025-2026.xlsx"
    assert d1["value"] == "1,50 học sinh/máy ≠ 3,00 học sinh/máy"
    assert r2["value"] == "100,00 % ≠ 42,50 %"
    assert r2["message_vi"] == (
        "Chỉ số R2 (tỉ lệ cán bộ có chữ ký số): trường kê khai 100,00 % (20/20), nhưng theo "
        "Dữ liệu cán bộ – Cuối năm, năm học 2025-2026: 42,50 % (17/40); lệch quá mức cho phép "
        "(10,00 điểm phần trăm), điểm kiểm tra tính theo số liệu đã nộp: 21,25/50,00 điểm"
    )
    assert query(
        scored,
        "select count(*) from marts.follow_up_list where school_code = '31000011' "
        "and message_vi like 'Chỉ số % trường kê khai %'",
    ) == [(2,)]


def test_rejected_files_traced_and_asked_again_in_words(scored: Path) -> None:
    """Issue 19, items 5 and 6: a file rejected for a missing column names its school, year
    and period (ca_nam for a self-assessment), and the follow-up list asks that school to
    send it again, naming report and period by their labels, never by their codes.
    Checked by breaking the code once: the missing report's message built from the codes
    (`s.report`, `s.period` in follow_up_list) failed it ('Chưa nộp: students – dau_nam…')."""
    rejected = query(
        scored,
        "select source, school_code, school_year, period from marts.data_quality_issues "
        "where kind = 'file_rejected' order by source",
    )
    assert rejected == [
        ("cds_assessment", "31000007", YEAR, "ca_nam"),
        ("teachers", "31000010", NEXT, "dau_nam"),
    ]
    asked = dict(
        query(
            scored,
            "select school_code, message_vi from marts.follow_up_list "
            "where message_vi like 'Đề nghị trường sửa và gửi lại%'",
        )
    )
    assert asked["31000007"].startswith(
        "Đề nghị trường sửa và gửi lại: Tự đánh giá CĐS – Cả năm, năm học 2024-2025. "
        "Tệp 'cds_assessment/31000007_thieu_cot.xlsx' bị từ chối"
    )
    assert asked["31000010"].startswith(
        "Đề nghị trường sửa và gửi lại: Dữ liệu cán bộ – Đầu năm, năm học 2025-2026."
    )
    missing = query(
        scored,
        "select message_vi from marts.follow_up_list where item = 'missing_report' "
        "and school_code = '31000007' and source = 'students' and period = 'dau_nam' "
        "and school_year = ?",
        [YEAR],
    )
    assert missing and missing[0][0].startswith(
        "Chưa nộp: Dữ liệu học sinh – Đầu năm, năm học 2024-2025 (quá hạn "
    )
    codes = r"\b(dau_nam|cuoi_nam|ca_nam|students|teachers|emis_report|cds_assessment)\b"
    messages = query(scored, "select message_vi from marts.follow_up_list")
    for (message,) in messages:  # a quoted file path may name codes; the words around it not
        assert not re.search(codes, re.sub(r"'[^']*/[^']*'", "", message)), message
