"""Issue 14, class 13: the registry over time (contract §2.1).

A district's raw folder holds the current registry (`Ngày hiệu lực: 15/08/2025`), the
registry of 2023 archived in a sub-folder (dated only by `Ngày xuất dữ liệu: 15/09/2023`),
and an old copy with no date at all. Between the two dated registries one school moved to
another district and commune, one was closed (`Giải thể`) and one opened; the new school's
end-of-year report for 2024-2025 arrived anyway.

- `dim_school` shows the current registry whether the archive sorts, and so is loaded, after
  it (`luu_tru/2023.xlsx`) or before it (`2023_luu_tru.xlsx`): the two warehouses publish
  the same tables. (A registry added in a later run is the same case: nothing orders
  registries by load.)
- 2024-2025 (starting 30/09/2024 in the calendar) is rolled up with the 2023 registry, in
  force then: the moved school counts in its old district, the closed school is still owed
  its reports; 2025-2026 uses the current one.
- The new school's 2024-2025 report is loaded but, its school missing from that year's
  registry, counted nowhere in 2024-2025, with a `school_not_in_year_registry` warning.
- The undated registry is accepted with the `registry_undated` warning and, counting as
  effective from the start, is used for no year.

Checked by breaking the code once, both ways at the same time: `int_schools__current` back
to each school's latest-loaded row, and `int_reporting__expected` on that registry instead of
the year's. Three tests failed: `dim_school` of the warehouse where the archive sorts last put
the moved school back in its old district (so the two warehouses differed), and the closed
school was owed reports for 2025-2026.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import cds_run, write_emis_report, write_registry_file
from tests.conftest import query

# starts the whole pipeline (cds run): left out of `make test-fast`
pytestmark = pytest.mark.e2e

S1, S2, S3, S4, S5 = "31000001", "31000002", "31000003", "31000004", "31000005"
MOVED, CLOSED, OPENED = S2, S3, S5

BASE = {
    S1: {"Tên trường": "Trường Tiểu học An Bình", "Cấp học": "Tiểu học"},
    S2: {"Tên trường": "Trường THCS Bình Minh", "Cấp học": "THCS"},
    S3: {"Tên trường": "Trường Tiểu học Cầu Tre", "Cấp học": "Tiểu học"},
    S4: {"Tên trường": "Trường THCS Đồng Xanh", "Cấp học": "Trung học cơ sở"},
    S5: {"Tên trường": "Trường Tiểu học Hoa Sen", "Cấp học": "Tiểu học"},
}
OLD_PLACE = {"Mã xã": "00001", "Xã/Phường/Thị trấn": "Xã An Bình", "Mã huyện": "001",
             "Quận/Huyện": "Huyện Thử"}  # fmt: skip
NEW_PLACE = {"Mã xã": "00021", "Xã/Phường/Thị trấn": "Xã Bình Minh", "Mã huyện": "002",
             "Quận/Huyện": "Huyện Mới"}  # fmt: skip


def _rows(place: dict[str, dict[str, str]], status: dict[str, str] | None = None) -> list[dict]:
    status = status or {}
    return [
        {"Mã trường": code, **BASE[code], **place[code], **({"Trạng thái": status[code]}
                                                           if code in status else {})}
        for code in place
    ]  # fmt: skip


ARCHIVE = _rows({S1: OLD_PLACE, S2: OLD_PLACE, S3: OLD_PLACE, S4: NEW_PLACE})
CURRENT = _rows({S1: OLD_PLACE, S2: NEW_PLACE, S3: OLD_PLACE, S4: NEW_PLACE, S5: NEW_PLACE},
                status={CLOSED: "Giải thể"})  # fmt: skip
# an undated copy that would put S1 in district 009 if it were ever used
UNDATED = _rows({S1: {**OLD_PLACE, "Mã huyện": "009", "Quận/Huyện": "Huyện Cũ"},
                 S2: OLD_PLACE, S3: OLD_PLACE, S4: NEW_PLACE})  # fmt: skip

INFRA = {"101": 10, "201": 350, "401": 12, "402": 12, "403": 6, "406": 20}


def _reports(raw: Path) -> None:
    write_emis_report(raw, MOVED, "2024-2025", "Đầu năm", "05/10/2024", INFRA, "bc_2024.xlsx")
    write_emis_report(raw, MOVED, "2025-2026", "Đầu năm", "06/10/2025", INFRA, "bc_2025.xlsx")
    write_emis_report(raw, OPENED, "2024-2025", "Cuối năm", "02/06/2025", INFRA, "moi_2025.xlsx")


def _current(raw: Path) -> None:
    write_registry_file(
        raw,
        CURRENT,
        "danh_muc_truong.xlsx",
        header=[("Ngày hiệu lực", "15/08/2025"), ("Ngày xuất dữ liệu", "20/08/2025")],
    )


def _build(raw: Path, archive_name: str) -> None:
    _current(raw)
    write_registry_file(raw, ARCHIVE, archive_name, header=[("Ngày xuất dữ liệu", "15/09/2023")])
    write_registry_file(raw, UNDATED, "cu/khong_ngay.xlsx")
    _reports(raw)


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two fresh builds: the archive sorting (and so loaded) after the current registry, and
    before it."""
    root = tmp_path_factory.mktemp("registry_over_time")
    built = {}
    for key, archive_name in (("after", "luu_tru/2023.xlsx"), ("before", "2023_luu_tru.xlsx")):
        _build(root / key / "raw", archive_name)
        result = cds_run(root / key / "raw", root / key / "warehouse")
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
        built[key] = root / key / "warehouse" / "warehouse.duckdb"
    return built


def test_dim_school_is_the_current_registry_whatever_the_order(warehouses) -> None:
    for db in warehouses.values():
        rows = query(
            db,
            "select school_code, commune_code, district_code, district_name, status, is_active "
            "from marts.dim_school order by school_code",
        )
        assert rows == [
            (S1, "00001", "001", "Huyện Thử", "active", True),
            (S2, "00021", "002", "Huyện Mới", "active", True),
            (S3, "00001", "001", "Huyện Thử", "dissolved", False),
            (S4, "00021", "002", "Huyện Mới", "active", True),
            (S5, "00021", "002", "Huyện Mới", "active", True),
        ], db


def test_each_year_is_rolled_up_with_the_registry_in_force(warehouses) -> None:
    db = warehouses["after"]
    expected = query(
        db,
        "select school_year, district_code, n_schools_expected from "
        "marts.data_completeness_district where period = 'dau_nam' order by 1, 2",
    )
    assert expected == [
        ("2024-2025", "001", 3),  # S1, S2 (not yet moved), S3 (not yet closed)
        ("2024-2025", "002", 1),
        ("2025-2026", "001", 1),  # S1; S3 closed
        ("2025-2026", "002", 3),  # S2 moved in, S4, S5 opened
    ]
    cds = query(
        db,
        "select district_code, n_schools from marts.cds_maturity_district "
        "where school_year = '2024-2025' and level = 'ALL' order by 1",
    )
    assert cds == [("001", 3), ("002", 1)]
    owed = query(
        db,
        "select school_year, count(*) from marts.reporting_status where school_code = ? "
        "group by 1 order by 1",
        [CLOSED],
    )
    assert [y for y, _ in owed] == ["2024-2025"]
    moved = query(
        db,
        "select school_year, district_code from marts.infrastructure_school "
        "where school_code = ? and period = 'dau_nam' order by 1",
        [MOVED],
    )
    assert moved == [("2024-2025", "001"), ("2025-2026", "002")]
    infra = query(
        db,
        "select district_code, n_schools, n_reported from marts.infrastructure_district "
        "where school_year = '2024-2025' and period = 'dau_nam' order by 1",
    )
    assert infra == [("001", 3, 1), ("002", 1, 0)]
    # the new school's 2024-2025 report: loaded, counted nowhere that year, and said so
    assert query(
        db,
        "select count(*) from marts.reporting_status where school_code = ? "
        "and school_year = '2024-2025'",
        [OPENED],
    ) == [(0,)]
    [(message,)] = query(
        db,
        "select message_vi from marts.data_quality_issues "
        "where rule_id = 'school_not_in_year_registry' and source_file = 'emis_report/moi_2025.xlsx'",
    )
    assert message.startswith(f"Trường {OPENED} không có trong danh mục trường có hiệu lực cho "
                              "năm học 2024-2025 (tệp 'schools/luu_tru/2023.xlsx', hiệu lực "
                              "15/09/2023)")  # fmt: skip


def test_both_warehouses_publish_the_same_tables(warehouses) -> None:
    for table in (
        "dim_school",
        "reporting_status",
        "data_completeness_district",
        "cds_maturity_district",
        "infrastructure_district",
        "infrastructure_school",
        "data_quality_issues",
    ):
        # the one message naming the archive's path differs, as it should
        sql = f"select * from marts.{table}"
        if table == "data_quality_issues":
            sql += " where rule_id <> 'school_not_in_year_registry'"
        after, before = (sorted(query(db, sql), key=repr) for db in warehouses.values())
        assert after == before, table


def test_undated_registry_is_accepted_with_a_warning(warehouses) -> None:
    db = warehouses["after"]
    assert query(
        db,
        "select status, rows_accepted from audit.ingest_files "
        "where source_file = 'schools/cu/khong_ngay.xlsx'",
    ) == [("accepted", 4)]
    [(severity, message)] = query(
        db,
        "select severity, message_vi from marts.data_quality_issues "
        "where source_file = 'schools/cu/khong_ngay.xlsx' and rule_id = 'registry_undated'",
    )
    assert severity == "warning"
    assert "Ngày hiệu lực" in message and "coi như có hiệu lực từ đầu" in message
    # the dated registries carry no such warning, and no two registries share a date
    assert query(
        db,
        "select count(*) from marts.data_quality_issues where rule_id in "
        "('registry_undated', 'registry_same_effective_date')",
    ) == [(1,)]
    assert query(
        db,
        "select source_file, effective_on::varchar, effective_basis, registry_order, is_current "
        "from intermediate.int_schools__registries order by registry_order",
    ) == [
        ("schools/cu/khong_ngay.xlsx", None, None, 1, False),
        ("schools/luu_tru/2023.xlsx", "2023-09-15", "Ngày xuất dữ liệu", 2, False),
        ("schools/danh_muc_truong.xlsx", "2025-08-15", "Ngày hiệu lực", 3, True),
    ]
