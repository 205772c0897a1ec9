"""A generated district without faults, a third of its schools sending CSDL ngành's
downloads (`--layout mixed`): no rule fires, nothing is quarantined, and the reporting
status matches what the generator says was late, missing or resubmitted. (With the
downloads, this test found the cross-checks of 2.5 and 1.6.1 comparing claims with a
download's missing signatures and accounts as 0 %.)"""

from __future__ import annotations

import json

import pytest

from pipelines.generate import generate
from tests.builders import cds_run
from tests.conftest import query, query_dicts

# starts the whole pipeline (cds run): left out of `make test-fast`
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("clean")
    # three schools a level in each former district (151 files): every kind of event the
    # tests compare occurs (asserted below), at a fifth of the whole district's run time
    generate(
        root / "raw", scale="district", seed=11, workers=1, layout="mixed", schools_per_level=3
    )
    result = cds_run(root / "raw", root / "warehouse")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {
        "analytics": root / "warehouse" / "analytics.duckdb",
        "warehouse": root / "warehouse" / "warehouse.duckdb",
        "manifest": json.loads((root / "raw" / "manifest.json").read_text(encoding="utf-8")),
    }


def test_no_issue_on_clean_data(clean: dict) -> None:
    issues = query(
        clean["analytics"], 'select rule_id, source_file, "row" from marts.data_quality_issues'
    )
    assert issues == []
    assert query(
        clean["warehouse"],
        "select count(*) from audit.ingest_files "
        "where status <> 'accepted' or rows_quarantined > 0",
    ) == [(0,)]


def test_reporting_status_matches_the_events(clean: dict) -> None:
    db = clean["analytics"]
    kinds = {e["kind"] for e in clean["manifest"]["events"]}
    assert kinds == {"missing_submission", "late_submission", "resubmission"}
    for event in clean["manifest"]["events"]:
        (row,) = query_dicts(
            db,
            "select * from marts.reporting_status where school_code = ? and report = ? "
            "and school_year = ? and period = ?",
            [event["school_code"], event["source"], event["school_year"], event["period"]],
        )
        if event["kind"] == "missing_submission":
            assert (row["status"], row["received"], row["versions"]) == ("missing", False, 0)
        elif event["kind"] == "late_submission":
            assert (
                row["status"] == "late" and str(row["first_submitted_on"]) == event["submitted_on"]
            )
            assert row["days_late"] == (row["first_submitted_on"] - row["due_on"]).days > 0
        else:
            assert row["versions"] == 2
            assert str(row["first_submitted_on"]) == event["first_submitted_on"]
    late_or_missing = {
        (e["school_code"], e["source"], e["school_year"], e["period"])
        for e in clean["manifest"]["events"]
        if e["kind"] != "resubmission"
    }
    not_on_time = set(
        query(
            db,
            "select school_code, report, school_year, period "
            "from marts.reporting_status where status <> 'on_time'",
        )
    )
    assert not_on_time == late_or_missing


def test_completeness_of_clean_data(clean: dict) -> None:
    db = clean["analytics"]
    # every ID is valid and every export received is complete: where all three reports of a
    # period arrived on time, every component is 100
    rows = query_dicts(
        db,
        "select * from marts.data_completeness_school where n_received = n_expected "
        "and on_time_rate = 100",
    )
    assert rows
    for r in rows:
        assert r["student_id_coverage"] == r["staff_id_coverage"] == 100.0
        assert r["emis_field_completeness"] == 100.0
        assert r["completeness_score"] >= 90 and r["band"] == "green"
        if r["period"] == "dau_nam" or r["school_level"] == "MN":
            assert r["results_coverage"] is None
    assert (
        query(db, "select count(*) from marts.data_completeness_school where band = 'red'")[0][0]
        > 0
    )
