"""Issue 19, items 2 and 3: the office's review loop on the sample district.

The sample run (`sample_run`, shared) writes a review worksheet for each assessed school and
school year, `warehouse/reports/tham_dinh/<school_year>/<school_code>.xlsx`, in the
`cds_review` format with its decision columns blank. The round trip takes one of them, fills
two decisions with openpyxl as an officer would (reject a mandatory condition the school
met, approve the assessment as a whole), drops it into `raw/cds_review/` beside a file with
a decision made before the school's submission (stale), and runs again (the one extra
pipeline run of this module): the school's reviewed level becomes 1, its status
`approved`, the roll-ups count it in n_approved, and the stale decision has no effect and is
listed as `review_stale`.

The formulas themselves (approve, reject, adjust, a return, a stale decision, a blank row)
are the dbt unit tests of `dbt_project/models/*/_review_unit_tests.yml` and
`_marts_review_unit_tests.yml`, with their values worked out by hand.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines.ingest.sources.cds_review import SPEC
from pipelines.reports.review_sheets import INFO_HEADERS, TABLE_SHEET
from tests.builders import cds_run
from tests.conftest import SAMPLE_ENV, copy_sample_run, query, query_dicts

pytestmark = pytest.mark.e2e

REVIEW_HEADERS = [c.headers[0] for c in SPEC.columns]
STALE_INDICATOR = "1.3.1"  # binary, 6 points, every sample school answers it


def _analytics(run: dict) -> Path:
    return run["warehouse"] / "analytics.duckdb"


def _sheet_rows(path: Path) -> list[dict]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames[0] == TABLE_SHEET  # the table is the first sheet, as §2.6 reads it
    rows = list(wb[TABLE_SHEET].iter_rows(values_only=True))
    wb.close()
    header = list(rows[0])
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def test_a_worksheet_for_each_assessed_school(sample_run: dict) -> None:
    """One workbook per row of cds_maturity_school, in the cds_review format: the contract's
    columns first, then what the reviewer reads; a whole-assessment row, then one row per
    indicator, pre-filled with the self and verified scores, the decision cells blank."""
    assessed = query(
        _analytics(sample_run),
        "select school_year, school_code from marts.cds_maturity_school order by all",
    )
    folder = sample_run["warehouse"] / "reports" / "tham_dinh"
    written = sorted(
        (p.parent.name, p.stem) for p in folder.glob("*/*.xlsx") if not p.name.startswith("~")
    )
    assert written == [tuple(r) for r in assessed] and len(written) > 10
    year, code = assessed[0]
    rows = _sheet_rows(folder / year / f"{code}.xlsx")
    assert list(rows[0]) == [*REVIEW_HEADERS, *INFO_HEADERS]
    scores = query_dicts(
        _analytics(sample_run),
        "select indicator_code, self_score, verified_score, rule from marts.cds_indicator_scores "
        "where school_code = ? and school_year = ? order by sort_order",
        [code, year],
    )
    whole, *indicators = rows
    assert (whole["Mã trường"], whole["Năm học"], whole["Mã tiêu chí"]) == (code, year, None)
    assert [r["Mã tiêu chí"] for r in indicators] == [s["indicator_code"] for s in scores]
    for row, s in zip(indicators, scores, strict=True):
        assert all(row[h] is None for h in REVIEW_HEADERS[3:])  # decisions blank
        if s["rule"] != "mandatory":
            assert row["Điểm tự đánh giá"] == s["self_score"]
            assert row["Điểm đã kiểm tra"] == s["verified_score"]


def test_before_any_review_every_assessment_is_not_reviewed(sample_run: dict) -> None:
    """No review file in the sample: every status is not_reviewed, reviewed = verified, and
    the roll-ups count no approval and no return (0, not unknown)."""
    db = _analytics(sample_run)
    assert query(
        db,
        "select count(*) from marts.cds_maturity_school where review_status <> 'not_reviewed' "
        "or reviewed_level is distinct from verified_level",
    ) == [(0,)]
    assert query(
        db,
        "select sum(n_approved) + sum(n_returned) from marts.cds_maturity_area "
        "union all select sum(n_approved) + sum(n_returned) from marts.cds_maturity_district",
    ) == [(0,), (0,)]


@pytest.fixture(scope="module")
def reviewed_run(sample_run: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The sample run copied; one worksheet filled (two decisions) and dropped into
    raw/cds_review/; `cds run` again."""
    raw, warehouse = copy_sample_run(sample_run, tmp_path_factory.mktemp("reviewed"))
    db = warehouse / "analytics.duckdb"
    # a school of level 2 or 3 with a mandatory condition verified met in group 1
    [target] = query_dicts(
        db,
        "select m.school_code, m.school_year, m.verified_level, i.indicator_code "
        "from marts.cds_maturity_school m join marts.cds_indicator_scores i "
        "using (school_code, school_year) "
        "where m.verified_level >= 2 and i.rule = 'mandatory' and i.verified_met "
        "and i.group_code = '1' and m.last_submitted_on is not null "
        "order by m.school_year desc, m.school_code, i.sort_order limit 1",
    )
    sheet = warehouse / "reports" / "tham_dinh" / target["school_year"]
    sheet = sheet / f"{target['school_code']}.xlsx"

    from openpyxl import load_workbook

    wb = load_workbook(sheet)
    ws = wb[TABLE_SHEET]
    col = {c.value: c.column for c in ws[1]}
    today = date.today()
    for row in range(2, ws.max_row + 1):
        indicator = ws.cell(row, col["Mã tiêu chí"]).value
        if indicator == target["indicator_code"]:
            ws.cell(row, col["Kết quả thẩm định"], "Không đồng ý")
            ws.cell(row, col["Lý do"], "Kế hoạch chưa được phê duyệt")
        elif indicator is None:
            ws.cell(row, col["Kết quả thẩm định"], "Đồng ý")
        else:
            continue
        ws.cell(row, col["Người thẩm định"], "Tổ thẩm định Phòng GD&ĐT")
        ws.cell(row, col["Ngày thẩm định"], today)  # an Excel date, as an officer types it
    dropped = raw / "cds_review" / "2026" / sheet.name
    dropped.parent.mkdir(parents=True)
    wb.save(dropped)
    # a rejection dated before the school year opened, so before any submission: stale
    stale = raw / "cds_review" / "cu.csv"
    stale.write_text(
        "Mã trường,Năm học,Mã tiêu chí,Kết quả thẩm định,Lý do,Ngày thẩm định\n"
        f"{target['school_code']},{target['school_year']},{STALE_INDICATOR},Không đồng ý,"
        f"Chưa có minh chứng,31/07/{target['school_year'][:4]}\n",
        encoding="utf-8",
    )
    result = cds_run(raw, warehouse, extra_env=SAMPLE_ENV)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"raw": raw, "warehouse": warehouse, "target": target, "dropped": dropped}


def test_round_trip_changes_the_reviewed_level(reviewed_run: dict, sample_run: dict) -> None:
    t = reviewed_run["target"]
    db = _analytics(reviewed_run)
    rel = reviewed_run["dropped"].relative_to(reviewed_run["raw"]).as_posix()
    [f] = query_dicts(
        reviewed_run["warehouse"] / "warehouse.duckdb",
        "select status, rows_read, rows_quarantined from audit.ingest_files where source_file = ?",
        [rel],
    )
    n_indicators = query(
        db,
        "select count(*) from marts.cds_indicator_scores where school_code = ? and school_year = ?",
        [t["school_code"], t["school_year"]],
    )[0][0]
    # every row read (the whole-assessment row and one per indicator), none quarantined
    assert f == {"status": "accepted", "rows_read": n_indicators + 1, "rows_quarantined": 0}
    # the reviewer's name is read, never stored (contract §3): only that a row names one
    assert query(
        reviewed_run["warehouse"] / "warehouse.duckdb",
        "select count(*) filter (where has_reviewer), count(*) filter (where decision is null) "
        "from landing.cds_review where _source_file = ?",
        [rel],
    ) == [(2, n_indicators - 1)]
    [m] = query_dicts(
        db,
        "select verified_level, reviewed_level, review_status, n_review_decisions "
        "from marts.cds_maturity_school where school_code = ? and school_year = ?",
        [t["school_code"], t["school_year"]],
    )
    # the rejected condition leaves group 1 with a condition not met: level 1 (contract §6);
    # the verified level is the school's own, untouched
    assert m == {
        "verified_level": t["verified_level"],
        "reviewed_level": 1,
        "review_status": "approved",
        "n_review_decisions": 1,
    }
    [i] = query_dicts(
        db,
        "select review_decision, reviewed_met, verified_met, review_reason "
        "from marts.cds_indicator_scores where school_code = ? and school_year = ? "
        "and indicator_code = ?",
        [t["school_code"], t["school_year"], t["indicator_code"]],
    )
    assert i == {
        "review_decision": "reject",
        "reviewed_met": False,
        "verified_met": True,
        "review_reason": "Kế hoạch chưa được phê duyệt",
    }
    # the stale rejection: no effect (no decision shown on it, its reviewed score is its
    # verified score), listed with the resubmission for the office
    [stale] = query_dicts(
        db,
        "select review_decision, reviewed_score, verified_score "
        "from marts.cds_indicator_scores where school_code = ? and school_year = ? "
        "and indicator_code = ?",
        [t["school_code"], t["school_year"], STALE_INDICATOR],
    )
    assert stale["review_decision"] is None
    assert stale["reviewed_score"] == stale["verified_score"]
    [issue] = query_dicts(
        db,
        'select rule_id, severity, school_code, "row", field, message_vi '
        "from marts.data_quality_issues where source_file = 'cds_review/cu.csv'",
    )
    assert issue["rule_id"] == "review_stale" and issue["severity"] == "warning"
    assert (issue["school_code"], issue["row"], issue["field"]) == (
        t["school_code"],
        2,
        "Ngày thẩm định",
    )
    assert "trước ngày nộp của phiếu tự đánh giá đang dùng" in issue["message_vi"]
    # the office's own work: not sent to the school in its follow-up list
    assert query(db, "select count(*) from marts.follow_up_list where source = 'cds_review'") == [
        (0,)
    ]
    # the only other school-years are as before: not reviewed
    assert query(
        db,
        "select count(*) from marts.cds_maturity_school where review_status <> 'not_reviewed'",
    ) == [(1,)]
    # the roll-ups count the one approval: in the school's district (ALL and its level) and
    # in the nation's rows
    assert query(
        db,
        "select level, n_approved, n_returned from marts.cds_maturity_area "
        "where area_level = 'nation' and school_year = ? and n_approved > 0 order by level",
        [t["school_year"]],
    ) == sorted([("ALL", 1, 0), (_level(db, t), 1, 0)])
    assert query(
        db,
        "select sum(n_approved) from marts.cds_maturity_district where level = 'ALL'",
    ) == [(1,)]
    # the worksheet written by this run shows the decision now in force
    rows = _sheet_rows(
        reviewed_run["warehouse"]
        / "reports"
        / "tham_dinh"
        / t["school_year"]
        / f"{t['school_code']}.xlsx"
    )
    [row] = [r for r in rows if r["Mã tiêu chí"] == t["indicator_code"]]
    assert row["Quyết định đang có hiệu lực"] == "Không đồng ý"
    assert row["Kết quả thẩm định"] is None  # still blank: a new worksheet to fill


def _level(db: Path, t: dict) -> str:
    return query(
        db,
        "select school_level from marts.cds_maturity_school where school_code = ? "
        "and school_year = ?",
        [t["school_code"], t["school_year"]],
    )[0][0]
