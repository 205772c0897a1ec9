"""`cds run --reference` on a hand-built district with a made-up index.

Every expected value below is computed by hand in the comments, from the contract's
formulas (§6) and the index in tests/fixtures/made_up_index.yaml:
group 1 = M1 (mandatory) + B1 (binary 40) + R1 (ratio 30, assumed) + D1 (bands 30);
group 2 = M2 (mandatory) + B2 (binary 50) + R2 (ratio 50); bounds 50 / 75.
The calendar is the shipped one: cds_assessment 2024-2025 due from schools 28/02/2025.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from tests.builders import cds_run, write_assessment, write_registry
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
    shutil.copy(FIXTURES / "made_up_index.yaml", ref / "cds_index.yaml")
    write_registry(
        raw,
        [
            ("31000001", "Trường Tiểu học A", "Tiểu học"),
            ("31000002", "Trường Tiểu học B", "TH"),
            ("31000003", "Trường Tiểu học C", "Tiểu học"),
            ("31000004", "Trường Tiểu học D", "Tiểu học"),
            ("31000005", "Trường Tiểu học E", "Tiểu học"),
            ("31000006", "Trường THCS F", "Trung học cơ sở"),
            ("31000007", "Trường Tiểu học G", "Tiểu học"),
            ("31000008", "Trường Mầm non H", "Mầm non"),
            ("31000009", "Trường Tiểu học I", "Tiểu học"),
        ],
        status={"31000009": "Tạm dừng"},
    )
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
    # G sends nothing; H (preschool) is outside the index; I is paused.
    result = cds_run(raw, root / "warehouse", reference=ref)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root / "warehouse" / "analytics.duckdb"


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
