"""Issue 15: a run that loads bad files is not all green. Each landing asset's
`tep_moi_hop_le` check and the issue list's `quy_tac_tep_moi` check fail with WARN (the run
and the asset turn yellow, nothing is blocked) and name school, file and rule in Vietnamese;
`cds run` prints them. A second run that loads nothing new passes both: a run shows what
it loaded, no more. Checked by returning `passed=True` from `problems_result` once: the
first test failed."""

from __future__ import annotations

import pytest

from tests.builders import cds_run, write_registry
from tests.conftest import query
from tests.corpus import EMIS_ROWS, REGISTRY, THCS, emis

pytestmark = pytest.mark.e2e


def _check_lines(out: str, check: str) -> str:
    """The line `cds run` prints for a warned check and the indented lines under it."""
    lines = out.splitlines()
    [start] = [i for i, line in enumerate(lines) if check in line]
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("    - "):
            break
        block.append(line)
    return "\n".join(block)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("run_problems")
    raw, warehouse = base / "raw", base / "warehouse"
    write_registry(raw, REGISTRY)
    emis(raw / "emis_report" / "tot.xlsx", school="31000001")
    emis(raw / "emis_report" / "so_am.xlsx", school=THCS,
         rows=[*EMIS_ROWS[:2], ["201", "Tổng số học sinh", -300, 150, 12]])  # fmt: skip
    emis(raw / "emis_report" / "nu_qua_tong.xlsx", school="31000002", period="Cuối năm",
         day="25/05/2025", rows=[["201", "Tổng số học sinh", 300, 350, 12]])  # fmt: skip
    late = (
        "select sum(days_late) from marts.reporting_status where status = 'missing' "
        "and due_on < date '2025-12-01'"
    )
    first = cds_run(raw, warehouse, extra_env={"CDS_RUN_DATE": "2025-12-01"})
    late_first = query(warehouse / "analytics.duckdb", late)[0][0]
    missing = query(
        warehouse / "analytics.duckdb",
        "select count(*) from marts.reporting_status where status = 'missing' "
        "and due_on < date '2025-12-01'",
    )[0][0]
    second = cds_run(raw, warehouse, extra_env={"CDS_RUN_DATE": "2025-12-11"})
    late_second = query(warehouse / "analytics.duckdb", late)[0][0]
    return {"first": first, "second": second, "late": (late_first, late_second, missing)}


def test_bad_files_turn_their_checks_yellow_naming_school_file_and_rule(runs: dict) -> None:
    out = runs["first"].stdout
    assert runs["first"].returncode == 0, runs["first"].stderr[-3000:]  # warnings block nothing
    files = _check_lines(out, "landing/emis_report / tep_moi_hop_le")
    assert files.startswith("⚠ landing/emis_report / tep_moi_hop_le: 1 tệp")
    assert (
        "trường 31000003, tệp 'emis_report/so_am.xlsx', quy tắc invalid_count (lỗi, 1 lần)" in files
    )
    assert "'Tổng số' phải là số nguyên không âm" in files
    assert "tot.xlsx" not in files  # a clean file is not named
    rules = _check_lines(out, "marts/data_quality_issues / quy_tac_tep_moi")
    assert "trường 31000002, tệp 'emis_report/nu_qua_tong.xlsx', quy tắc female_le_total" in rules
    assert "Số nữ lớn hơn tổng số" in rules


def test_a_run_that_loads_nothing_new_says_nothing_old(runs: dict) -> None:
    second = runs["second"]
    assert second.returncode == 0, second.stderr[-3000:]
    assert "tep_moi_hop_le" not in second.stdout
    assert "quy_tac_tep_moi" not in second.stdout


def test_days_late_count_to_the_run_date(runs: dict) -> None:
    """Issue 21: marts count days late to the run's date (CDS_RUN_DATE, which `cds run` pins
    once at its start), never to whatever day DuckDB's current_date says mid-run."""
    late_first, late_second, missing = runs["late"]
    assert missing > 0
    assert late_second - late_first == 10 * missing
