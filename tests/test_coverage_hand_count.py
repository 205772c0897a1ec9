"""Coverage figures (contract §6) against a hand count on a tiny fixture."""

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

STUDENT_COLUMNS = COLUMNS["students"]
STAFF_COLUMNS = [
    "Mã cán bộ",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Nhóm chức vụ",
    "Trình độ chuẩn",
    "Trạng thái",
    "Số định danh cá nhân",
    "Chữ ký số",
]
DONE = "Đã cập nhật"


def _export(raw: Path, source: str, school: str, columns: list[str], rows: list[list]) -> None:
    header = [
        ("Mã trường", school),
        ("Năm học", "2024-2025"),
        ("Kỳ báo cáo", "Cuối năm"),
        ("Ngày xuất dữ liệu", date(2025, 6, 1)),
    ]
    write_table(
        raw / source / f"{school}.xlsx",
        header=header,
        columns=columns,
        rows=rows,
        layout=Layout(title="DANH SÁCH"),
    )


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("coverage")
    raw = root / "raw"
    write_registry(
        raw, [("31000001", "Trường A", "Tiểu học"), ("31000002", "Trường B", "Tiểu học")]
    )
    d15, d16 = date(2015, 3, 1), date(2016, 4, 2)
    _export(
        raw,
        "students",
        "31000001",
        STUDENT_COLUMNS,
        [
            # s1: valid form, but school B has a record with the same ID → not valid
            [
                "S1",
                "Nguyễn Văn An",
                d15,
                "Nam",
                "Kinh",
                4,
                "4A1",
                "Đang học",
                "031215000001",
                "Đã ký",
                DONE,
                DONE,
            ],
            [
                "S2",
                "Trần Thị Bình",
                d15,
                "Nữ",
                "Kinh",
                4,
                "4A1",
                "Đang học",
                "031315000002",
                "Đã ký",
                DONE,
                DONE,
            ],
            [
                "S3",
                "Lê Văn Cường",
                d16,
                "Nam",
                "Tày",
                3,
                "3A1",
                "Đang học",
                "031216000003",
                "Chưa ký",
                DONE,
                DONE,
            ],
            [
                "S4",
                "Phạm Thị Dung",
                d16,
                "Nữ",
                "Kinh",
                3,
                "3A1",
                "Chuyển đến",
                "031316000004",
                "Chưa ký",
                DONE,
                None,
            ],
            # s5: born 2015, ID says 16 → not valid
            [
                "S5",
                "Hoàng Văn Em",
                d15,
                "Nam",
                "Kinh",
                4,
                "4A1",
                "Đang học",
                "031216000005",
                None,
                None,
                None,
            ],
            # s6: transferred out → not counted at all
            [
                "S6",
                "Vũ Văn Giang",
                date(2014, 1, 1),
                "Nam",
                "Kinh",
                5,
                "5A1",
                "Chuyển đi",
                "031214000006",
                "Đã ký",
                DONE,
                DONE,
            ],
        ],
    )
    _export(
        raw,
        "students",
        "31000002",
        STUDENT_COLUMNS,
        [
            [
                "S7",
                "Đỗ Văn Hải",
                d15,
                "Nam",
                "Kinh",
                4,
                "4A1",
                "Đang học",
                "031215000001",
                "Đã ký",
                DONE,
                DONE,
            ],
            [
                "S8",
                "Ngô Thị Lan",
                d15,
                "Nữ",
                "Kinh",
                4,
                "4A1",
                "Đang học",
                "031315000008",
                "Đã ký",
                DONE,
                DONE,
            ],
        ],
    )
    _export(
        raw,
        "teachers",
        "31000001",
        STAFF_COLUMNS,
        [
            [
                "T1",
                "Bùi Văn Khoa",
                date(1980, 5, 5),
                "Nam",
                "Cán bộ quản lý",
                None,
                "Đang làm việc",
                "031080000011",
                "Có",
            ],
            [
                "T2",
                "Đặng Thị Mai",
                date(1985, 6, 6),
                "Nữ",
                "Giáo viên",
                "Đạt chuẩn",
                "Đang làm việc",
                None,
                "Có",
            ],
            [
                "T3",
                "Hồ Thị Ngọc",
                date(1990, 7, 7),
                "Nữ",
                "Giáo viên",
                "Trên chuẩn",
                "Đang làm việc",
                "031190000013",
                "Không",
            ],
            [
                "T4",
                "Dương Văn Phúc",
                date(1965, 8, 8),
                "Nam",
                "Giáo viên",
                "Đạt chuẩn",
                "Nghỉ hưu",
                "031065000014",
                "Có",
            ],
        ],
    )
    result = cds_run(raw, root / "warehouse")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root / "warehouse" / "analytics.duckdb"


def _row(db: Path, table: str, school: str) -> dict:
    (row,) = query_dicts(
        db,
        f"select * from marts.{table} where school_code = ? and "
        "school_year = '2024-2025' and period = 'cuoi_nam'",
        [school],
    )
    return row


def test_student_and_staff_coverage(counted: Path) -> None:
    a = _row(counted, "data_completeness_school", "31000001")
    assert a["student_id_coverage"] == 60.0  # active S1–S5; valid S2, S3, S4
    assert a["results_coverage"] == 60.0  # both terms entered: S1, S2, S3
    assert a["staff_id_coverage"] == 66.67  # active T1–T3; valid T1, T3
    assert a["emis_field_completeness"] == 0.0  # no statistical report received
    b = _row(counted, "data_completeness_school", "31000002")
    assert b["student_id_coverage"] == 50.0  # S7 shares S1's ID
    assert b["staff_id_coverage"] == 0.0  # no staff export received


def test_signatures_and_transcripts(counted: Path) -> None:
    a = _row(counted, "infrastructure_school", "31000001")
    assert a["pct_teachers_digital_signature"] == 66.67  # T1, T2 of T1–T3
    assert a["pct_students_digital_transcript"] == 40.0  # S1, S2 of S1–S5


def test_shared_id_is_reported_for_both_schools(counted: Path) -> None:
    rows = query_dicts(
        counted,
        'select school_code, rule_id, "row", message_vi from '
        "marts.data_quality_issues where rule_id = 'id_shared_by_people' "
        "order by school_code",
    )
    assert [r["school_code"] for r in rows] == ["31000001", "31000002"]
    assert all("31000001, 31000002" in r["message_vi"] for r in rows)
    assert "031215000001" not in " ".join(r["message_vi"] for r in rows)
