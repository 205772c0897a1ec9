"""Issue 14: no file can stop or swell a run. Any stray cell, anywhere on the sheet, gives
either a read table or a rejection naming the cell, never a runaway allocation (a cell at
XFD1048576 used to abort the process asking for 512 GiB); a file the process cannot open is
rejected like any unreadable file; limits hold for CSV too.

Checked by breaking the code once: with `check_xlsx` returning at once, the first example
with a far cell aborted the test process ("memory allocation of … bytes failed")."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.generate.build import COLUMNS
from pipelines.ingest import file_guard
from pipelines.ingest.runner import evaluate_file, load_ingest_context
from pipelines.ingest.sources import SOURCES
from pipelines.ingest.workbook import FileRejected, read_table
from pipelines.settings import Settings

SPEC = SOURCES["emis_report"].spec


def _report_with_stray_cell(path: Path, row: int, col: int) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Báo cáo")
    for i, text in enumerate(["Mã trường: 31000001", "Năm học: 2024-2025", "Kỳ báo cáo: Đầu năm"]):
        ws.write_string(i, 0, text)
    ws.write_row(4, 0, COLUMNS["emis_report"])
    ws.write_row(5, 0, ["101", "Tổng số lớp", 10])
    ws.write_string(row, col, "x")
    wb.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row=st.integers(6, 1_048_575), col=st.integers(0, 16_383))
def test_any_stray_cell_is_read_or_refused_by_name(row: int, col: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.xlsx"
        _report_with_stray_cell(path, row, col)
        rows, cols = row + 1, max(col + 1, len(COLUMNS["emis_report"]))
        too_big = (
            rows > file_guard.MAX_ROWS
            or cols > file_guard.MAX_COLUMNS
            or rows * cols > file_guard.MAX_CELLS
        )
        if too_big:
            with pytest.raises(FileRejected) as err:
                read_table(path, SPEC)
            assert err.value.rule_id == "sheet_too_large"
            assert f"{file_guard.column_letters(col + 1)}{row + 1}" in err.value.message_vi
        else:
            read = read_table(path, SPEC)
            assert read.data["_row"].to_list()[0] == 6


def test_cell_reference_letters_round_trip() -> None:
    for n in (1, 26, 27, 52, 702, 703, 16384):
        assert file_guard.column_number(file_guard.column_letters(n)) == n
    assert file_guard.column_letters(16384) == "XFD"


def test_unreadable_file_is_rejected_not_raised(tmp_path: Path, monkeypatch) -> None:
    """Permissions (root reads anything, so the refusal is simulated at the OS call)."""
    path = tmp_path / "khoa.xlsx"
    _report_with_stray_cell(path, 7, 0)
    real_open = Path.open

    def refuse(self: Path, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    ctx = load_ingest_context(Settings(tmp_path, tmp_path), registry=None, personal=False)
    out = evaluate_file(path, "emis_report/khoa.xlsx", "0" * 64, SOURCES["emis_report"], ctx)
    assert (out.status, out.reject_rule) == ("rejected", "file_unreadable")
    assert "không có quyền đọc" in out.reject_message_vi


def test_wide_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rong.csv"
    path.write_text("Mã số,Chỉ tiêu,Tổng số\n" + "," * 5000 + "\n", encoding="utf-8")
    with pytest.raises(FileRejected) as err:
        read_table(path, SPEC)
    assert err.value.rule_id == "sheet_too_large"
