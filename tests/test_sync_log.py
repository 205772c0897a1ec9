"""The push history (contract §2.7, issue 20 items 1–3): a file read through the one reader
and the source's rules, without a warehouse; the push calendar's checks; the generator's
push logs agree with its exports and locate each fault in the manifest.

The pushes' marts (current push, success rate, missing pushes, area roll-up, pushed pupils
and staff against the exports and the report) are dbt unit tests on hand-built push logs:
dbt_project/models/marts/_marts_sync_unit_tests.yml, run by every `dbt build`.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from pipelines.generate.geography import School
from pipelines.generate.people import Population
from pipelines.generate.sync import COLUMNS, SYNC_FAULTS, district_pushes, write_sync_logs
from pipelines.generate.writers import Layout, write_table
from pipelines.ingest.judge import evaluate_file
from pipelines.ingest.runner import load_ingest_context
from pipelines.ingest.sources import SOURCES
from pipelines.reference.sync_calendar import SyncCalendarError, parse_sync_calendar
from pipelines.settings import Settings

A, B = "31000001", "31000002"
REGISTRY = pl.DataFrame({"school_code": [A, B], "level": ["TH", "MN"], "is_active": [True, True]})

# (row in the sheet, values): the title line, a blank line, the header on row 3, data from 4
ROWS = [
    [A, "SMAS", "2024-2025", "HK1", "GK1", "Học sinh", "Đẩy thành công", 120, 120, 120, 0, "20/09/2024 10:15"],
    [A, "SMAS", "2024-2025", "Học kỳ 1", "GK1", "Giáo viên", "Tổng hợp lỗi", 40, 40, 36, 4, "21/09/2024 09:00"],
    [A, "SMAS", "2024-2025", "I", "GK1", "Lớp học", "Đẩy lỗi", 12, 12, 0, 12, "2024-09-22 08:30:00"],
    ["31000010", "SMAS", "2024-2025", "1", "GK1", "Học sinh", "Đẩy thành công", 5, 5, 5, 0, None],
    [B, "VNPT_TNN", "2024-2025", "3", "GK1", "Học sinh", "Đẩy thành công", 5, 5, 5, 0, None],
    [B, "VNPT_TNN", "2024-2025", "II", "GK2", "Điểm danh", "Đẩy thành công", 5, 5, 5, 0, None],
    [B, "VNPT_TNN", "2024-2025", "2", "GK2", "Học sinh", "Đã đẩy", 5, 5, 5, 0, None],
    [B, "VNPT_TNN", "2024-2025", "2", "GK2", "Giáo viên", "Đẩy thành công", 9, "chín", 9, 0, None],
    [B, "VNPT_TNN", "2024-2025", "HK II", "GK2", "Lớp học", "Tổng hợp lỗi", 9, 9, 5, 3, "hôm qua"],
]  # fmt: skip


@pytest.fixture
def judged(tmp_path: Path):
    raw = tmp_path / "raw"
    path = raw / "sync_log" / "lich_su_day.xlsx"
    write_table(path, header=[], columns=COLUMNS, rows=ROWS, layout=Layout(title="LỊCH SỬ ĐẨY"))
    settings = Settings(raw, tmp_path / "wh")
    ctx = load_ingest_context(settings, registry=REGISTRY, personal=False)
    return evaluate_file(path, "sync_log/lich_su_day.xlsx", "0" * 64, SOURCES["sync_log"], ctx)


def _issues(out, rule: str) -> list[tuple[int, str, str]]:
    rows = out.issues.filter(pl.col("rule_id") == rule)
    return [(r["_row"], r["field"], r["message_vi"]) for r in rows.iter_rows(named=True)]


def test_pushes_land_typed_and_bad_rows_are_quarantined_with_their_cell(judged) -> None:
    out = judged
    assert out.status == "accepted"
    assert out.rows_read == 9 == out.rows_accepted + out.rows_quarantined
    landed = out.accepted.select(
        "_row", "school_code", "term", "batch", "status", "pushed", "succeeded", "failed"
    ).rows()
    assert landed == [
        (4, A, 1, "students", "success", 120, 120, 0),
        (5, A, 1, "teachers", "partial", 40, 36, 4),
        (6, A, 1, "classes", "error", 12, 0, 12),
        (12, B, 2, "classes", "partial", 9, 5, 3),
    ]
    assert out.accepted["pushed_at"].to_list()[:3] == [
        datetime(2024, 9, 20, 10, 15),
        datetime(2024, 9, 21, 9, 0),
        datetime(2024, 9, 22, 8, 30),
    ]
    # a code with two digits swapped: the row names the registry's code it likely meant
    assert _issues(out, "unknown_school") == [
        (
            7,
            "Mã trường",
            "Mã trường không có trong danh mục trường: dòng đẩy dữ liệu bị cách ly"
            " — có phải là '31000001'?",
        )
    ]
    assert [(r, f) for r, f, _ in _issues(out, "invalid_term")] == [(8, "Học kỳ")]
    assert [(r, f) for r, f, _ in _issues(out, "invalid_batch")] == [(9, "Đợt đẩy")]
    assert _issues(out, "invalid_sync_status") == [
        (
            10,
            "Trạng thái",
            "Trạng thái đẩy trống hoặc không hợp lệ (Đẩy thành công, Đẩy lỗi, Tổng hợp lỗi)",
        )
    ]
    assert _issues(out, "invalid_count") == [
        (11, "Đẩy lên bộ", "'Đẩy lên bộ' phải là số nguyên không âm")
    ]


def test_counts_that_do_not_add_up_and_unreadable_times_are_warnings(judged) -> None:
    mismatch = judged.issues.filter(pl.col("rule_id") == "sync_counts_mismatch").row(0, named=True)
    assert (mismatch["_row"], mismatch["severity"], mismatch["value"]) == (
        12,
        "warning",
        "5 + 3 ≠ 9",
    )
    assert mismatch["message_vi"] == "'Thành công' + 'Thất bại' khác 'Đẩy lên bộ'"
    [(row, field, message)] = _issues(judged, "invalid_pushed_at")
    assert (row, field) == (12, "Thời gian đẩy")
    assert "không đọc được" in message


def test_push_calendar_is_checked_line_by_line() -> None:
    good = {
        "school_year": ["2024-2025"],
        "term": ["1"],
        "batch": ["students"],
        "levels": [""],
        "opens_on": ["2024-09-05"],
        "due_on": ["2024-10-15"],
        "period": ["dau_nam"],
    }
    typed = parse_sync_calendar(pl.DataFrame(good))
    assert typed.row(0) == (
        "2024-2025",
        1,
        "students",
        "",
        date(2024, 9, 5),
        date(2024, 10, 15),
        "dau_nam",
    )
    for column, bad, words in (
        ("term", "3", "học kỳ '3' không hợp lệ"),
        ("batch", "diem_danh", "đợt đẩy 'diem_danh' không hợp lệ"),
        ("due_on", "2024-09-01", "sớm hơn ngày mở đợt"),
        ("period", "ca_nam", "kỳ 'ca_nam' không hợp lệ"),
    ):
        with pytest.raises(SyncCalendarError, match=words):
            parse_sync_calendar(pl.DataFrame({**good, column: [bad]}))


def _school(code: str, level: str) -> School:
    return School(
        code=code,
        name=f"Trường {code}",
        level=level,
        province_code="31",
        province_name="Thành phố Hải Phòng",
        birth_province="031",
        district_code="001",
        district_name="Huyện Một",
        commune=("00001", "Xã Một"),
        ownership="Công lập",
        status="Đang hoạt động",
        maturity=0.5,
        minority_share=0.0,
        index_in_province=int(code[-2:]),
    )


def _population(school: School, year: str, period: str) -> Population:
    """10 pupils in 2 classes (one has left), 3 staff (one retired)."""
    students = pl.DataFrame(
        {
            "status": ["Đang học"] * 8 + ["Chuyển đến", "Chuyển đi"],
            "class_name": ["1A"] * 5 + ["1B"] * 5,
        }
    )
    staff = pl.DataFrame({"status": ["Đang làm việc", "Đang làm việc", "Nghỉ hưu"]})
    return Population(students=students, staff=staff, classes={"1": 2})


def test_generated_pushes_agree_with_the_exports_and_faults_are_located(tmp_path: Path) -> None:
    schools = [_school(A, "TH"), _school(B, "MN")]
    [pushes] = district_pushes(schools, ("2024-2025",), 7, _population).values()
    counts = {(p.school, p.term, p.batch): p.n for p in pushes}
    assert counts[(A, 1, "students")] == 9  # active pupils: 8 + the one who came
    assert counts[(A, 1, "teachers")] == 2
    assert counts[(A, 2, "classes")] == 2
    assert counts[(A, 2, "results")] == 9
    assert (B, 1, "results") not in counts  # a kindergarten has no learning results
    assert len(pushes) == 8 + 6
    assert all(p.status == "Đẩy thành công" and p.succeeded == p.n for p in pushes)

    files, faults = write_sync_logs(
        tmp_path, schools, ("2024-2025",), 7, frozenset(SYNC_FAULTS), _population
    )
    [f] = files
    assert f["rows"] == 14 - 1 + 1  # one push left out, one earlier attempt added
    by_kind = {x["kind"]: x for x in faults}
    assert set(by_kind) == set(SYNC_FAULTS)
    table = pl.read_excel(
        tmp_path / f["file"], sheet_name="LichSuDay", read_options={"header_row": 2}
    )
    # the cell data_quality_issues names for each: the status of a failed push, the failed
    # count of a partial one (a repeated push is no issue: its current push succeeded)
    for kind, status, column in (
        ("sync_push_failed", "Đẩy lỗi", "Trạng thái"),
        ("sync_push_partial", "Tổng hợp lỗi", "Thất bại"),
        ("sync_push_repeated", "Đẩy thành công", "Trạng thái"),
    ):
        x = by_kind[kind]
        row = table.row(x["row"] - f["first_data_row"], named=True)
        assert (row["Mã trường"], row["Trạng thái"], x["column"], x["sheet"]) == (
            x["school_code"],
            status,
            column,
            "LichSuDay",
        )
        assert row["Thành công"] + row["Thất bại"] == row["Đẩy lên bộ"]
    assert by_kind["sync_push_partial"]["value"] == by_kind["sync_push_partial"]["failed"] > 0
    missing = by_kind["sync_push_missing"]
    assert (missing["sheet"], missing["row"], missing["column"]) == (None, None, "Đợt đẩy")
    same_key = table.filter(
        (pl.col("Mã trường") == missing["school_code"])
        & (pl.col("Học kỳ") == f"HK{missing['term']}")
        & (pl.col("Giai đoạn") == missing["stage"])
    )
    assert missing["value"] not in same_key["Đợt đẩy"].to_list()
    repeated = by_kind["sync_push_repeated"]
    attempts = table.filter(
        (pl.col("Mã trường") == repeated["school_code"])
        & (pl.col("Học kỳ") == f"HK{repeated['term']}")
        & (pl.col("Giai đoạn") == repeated["stage"])
        & (
            pl.col("Đợt đẩy")
            == table.row(repeated["row"] - f["first_data_row"], named=True)["Đợt đẩy"]
        )
    )
    assert attempts["Trạng thái"].to_list() == ["Đẩy lỗi", "Đẩy thành công"]
