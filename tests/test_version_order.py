"""Issue 14, class 14: two versions of a report with the same submission date (contract §5).

A THCS school sends its start-of-year statistical report on 01/10/2024, then twice on
05/10/2024: `31000002_dau_nam.xlsx` (6 of 12 classrooms with Internet) and, the same day,
`31000002_dau_nam_bo_sung.xlsx` (all 12). Which one is the latest must follow from the
files alone: the submission date, then path order (the order a load of raw/ reads them in),
never the order this warehouse happened to load them in.

Two warehouses: one built in a single run over all three files, one that got the
`bo_sung` file first and the other same-date file a run later. Both publish identical marts,
use `bo_sung` (100 % of classrooms with Internet, first submission 01/10/2024 for
timeliness), and list one `same_date_versions` warning naming both files.

Checked by breaking the code once: with `int_submissions__versions` ordering same-date
versions by `load_seq` again, all three tests failed: the warehouse loaded in two runs used
`31000002_dau_nam.xlsx` (loaded last there), its marts differed from the single run's, and
its warning named the other file as the one used.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.builders import cds_run, write_emis_report, write_registry_file
from tests.conftest import query, query_dicts

# starts the whole pipeline (cds run): left out of `make test-fast`
pytestmark = pytest.mark.e2e

SCHOOL = "31000002"
PLAIN = f"emis_report/{SCHOOL}_dau_nam.xlsx"
BO_SUNG = f"emis_report/{SCHOOL}_dau_nam_bo_sung.xlsx"
FIRST = "emis_report/lan_dau/bao_cao.xlsx"

REPORT = {"101": 12, "116": 3, "117": 3, "118": 3, "119": 3, "201": 420, "216": 110,
          "217": 105, "218": 100, "219": 105, "401": 12, "406": 30}  # fmt: skip


def _write(raw: Path, path: str, day: str, internet: int) -> None:
    values = {**REPORT, "402": internet}
    write_emis_report(raw, SCHOOL, "2024-2025", "Đầu năm", day, values, path.split("/", 1)[1])


def _registry(raw: Path) -> None:
    write_registry_file(
        raw,
        [
            {
                "Mã trường": SCHOOL,
                "Tên trường": "Trường THCS Bình Minh",
                "Cấp học": "THCS",
                "Mã huyện": "001",
                "Quận/Huyện": "Huyện Thử",
            },
            {
                "Mã trường": "31000004",
                "Tên trường": "Trường THCS Đồng Xanh",
                "Cấp học": "THCS",
                "Mã huyện": "001",
                "Quận/Huyện": "Huyện Thử",
            },
        ],
        "danh_muc_truong.xlsx",
        header=[("Ngày hiệu lực", "15/08/2024")],
    )


def _run(raw: Path, warehouse: Path) -> None:
    result = cds_run(raw, warehouse)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("version_order")
    # one run over everything: files are loaded in path order
    one = root / "one_run"
    _registry(one / "raw")
    _write(one / "raw", FIRST, "01/10/2024", 3)
    _write(one / "raw", PLAIN, "05/10/2024", 6)
    _write(one / "raw", BO_SUNG, "05/10/2024", 12)
    _run(one / "raw", one / "warehouse")
    # the same files, the one of the two same-date files that sorts first arriving a run later
    two = root / "two_runs"
    _registry(two / "raw")
    for path in (FIRST, BO_SUNG):
        (two / "raw" / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(one / "raw" / path, two / "raw" / path)
    _run(two / "raw", two / "warehouse")
    shutil.copy(one / "raw" / PLAIN, two / "raw" / PLAIN)
    _run(two / "raw", two / "warehouse")
    return {k: root / k / "warehouse" / "warehouse.duckdb" for k in ("one_run", "two_runs")}


def test_load_order_is_not_the_tie_break(warehouses) -> None:
    one, two = warehouses.values()
    # the load order really differs between the two warehouses
    order = (
        "select source_file from audit.ingest_files where source = 'emis_report' order by load_seq"
    )
    assert [r[0] for r in query(one, order)] == [PLAIN, BO_SUNG, FIRST]
    assert [r[0] for r in query(two, order)] == [BO_SUNG, FIRST, PLAIN]
    for db in (one, two):
        assert query(
            db,
            "select source_file, version_no, versions, is_latest, first_submitted_on::varchar "
            "from intermediate.int_submissions__versions order by version_no",
        ) == [
            (FIRST, 1, 3, False, "2024-10-01"),
            (PLAIN, 2, 3, False, "2024-10-01"),
            (BO_SUNG, 3, 3, True, "2024-10-01"),
        ], db
        assert query(
            db,
            "select pct_classrooms_internet from marts.infrastructure_school "
            "where school_code = ? and school_year = '2024-2025' and period = 'dau_nam'",
            [SCHOOL],
        ) == [(100.0,)], db


def test_both_warehouses_publish_identical_marts(warehouses) -> None:
    one, two = warehouses.values()
    tables = [
        r[0]
        for r in query(
            one, "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        )
    ]
    assert {"infrastructure_school", "reporting_status", "data_quality_issues"} <= set(tables)
    for table in tables:
        rows = [sorted(query(db, f"select * from marts.{table}"), key=repr) for db in (one, two)]
        assert rows[0] == rows[1], table


def test_the_officer_is_told_which_file_was_used(warehouses) -> None:
    for db in warehouses.values():
        [issue] = query_dicts(
            db, "select * from marts.data_quality_issues where rule_id = 'same_date_versions'"
        )
        assert issue["severity"] == "warning"
        assert (issue["source_file"], issue["value"]) == (PLAIN, BO_SUNG)
        assert (issue["school_code"], issue["school_year"], issue["period"]) == (
            SCHOOL,
            "2024-2025",
            "dau_nam",
        )
        message = issue["message_vi"]
        assert message.startswith("Hai phiên bản cùng ngày nộp 05/10/2024")
        assert f"dùng tệp '{BO_SUNG}'" in message and f"không dùng tệp '{PLAIN}'" in message
        assert "ghi rõ ngày nộp khác nhau" in message
