"""`cds check`: every problem printed, in Vietnamese, with file, sheet, row and column; ✓
only for a file with nothing to say; exit 1 when a file is rejected or has quarantined rows;
nothing loaded, nothing written.

Issue 21, item 6: the command runs from a scratch folder, so its defaults are the folders
it really uses: `--raw raw` (the registry under raw/schools/ it compares school codes with)
and the `warehouse/` beside it that `cds run` would write. Every file under that folder is
hashed before and after, so "loads nothing" means nothing there was created or changed.
The pseudonymisation key comes from the environment (else the check would create the
project's key file on a fresh clone).

How this was checked (issue 21), in a copy of the checkout, each break alone, restored and
never committed (pipelines/checker.py):
- the issue line's location without its sheet: `test_a_bad_file_is_named_by_sheet_row_and_
  column_and_nothing_is_written` and `test_an_unknown_school_is_refused_naming_the_cell`
  failed;
- `check_files` opening `warehouse/warehouse.duckdb` (as a load would): the first test
  failed on the new files (the former test looked at a folder the command never used and
  passed);
- ✓ for every accepted file without quarantined rows, warnings or not:
  `test_warnings_are_not_a_tick` failed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from tests.builders import PROJECT_ROOT, write_assessment, write_registry
from tests.corpus import TH, student_row, students

SCHOOLS = [(TH, "Trường Tiểu học A", "Tiểu học")]
CDS_TITLE = "[Phiếu tự đánh giá chuyển đổi số]"
STUDENTS_TITLE = "[Danh sách học sinh (CSDL ngành)]"


def _check(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),  # this checkout's code, whatever the cwd
        "CDS_PSEUDONYM_KEY": "cli-check-test-secret",
    }
    env.pop("CDS_PSEUDONYM_KEY_FILE", None)
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def _tree(root: Path) -> dict[str, str]:
    """Every file and folder under `root`: its content hash (files) or 'dir'."""
    return {
        p.relative_to(root).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        )
        for p in sorted(root.rglob("*"))
    }


def _lines(out: str, start: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(start)]


def _issue_lines(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.startswith("    [")]


def _bad_assessment(raw: Path) -> Path:
    return write_assessment(
        raw,
        TH,
        "2024-2025",
        date(2025, 2, 1),
        [
            ["1.1", "Đạt", None, None, "x"],
            ["1.3.1", "nhiều", None, None, "x"],  # not a score → quarantined
            ["9.9", 3, None, None, "x"],  # not in the index → quarantined
        ],
        name="bad",
    )


def _clean_students(raw: Path) -> Path:
    path = raw / "students" / "hs.xlsx"
    students(path, [student_row(i) for i in range(1, 4)])
    return path


def _sheet_of(path: Path) -> str:
    """The sheet a workbook's table is on, read with openpyxl (not the project's reader)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        [name] = wb.sheetnames
        return name
    finally:
        wb.close()


def test_a_bad_file_is_named_by_sheet_row_and_column_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    write_registry(tmp_path / "raw", SCHOOLS)
    bad = _bad_assessment(tmp_path / "raw")
    rel = bad.relative_to(tmp_path).as_posix()
    sheet = _sheet_of(bad)
    before = _tree(tmp_path)

    result = _check(tmp_path, rel)  # --raw defaults to raw/ of the working folder

    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "Không có danh mục trường" not in out  # the registry in raw/schools/ was read
    [head] = _lines(out, "✗ ")
    assert head == (
        f"✗ {rel} {CDS_TITLE}: Nhận, 3 dòng đọc, 1 nhận, 2 cách ly, {head.rsplit(', ', 1)[1]}"
    )
    errors = [line for line in _issue_lines(out) if line.startswith("[LỖI]")]
    assert len(errors) == 2, out
    assert errors[0].startswith(f"[LỖI] trang '{sheet}', dòng 9, cột 'Điểm tự đánh giá': ")
    assert errors[0].endswith("(invalid_self_score) — giá trị: 'nhiều'")
    assert errors[1].startswith(f"[LỖI] trang '{sheet}', dòng 10, cột 'Mã tiêu chí': ")
    assert "không có trong bộ chỉ số" in errors[1] and errors[1].endswith("— giá trị: '9.9'")
    assert "✓" not in out
    # loads nothing: no warehouse/ beside raw/, no key file, no file touched or added
    assert _tree(tmp_path) == before
    assert not (tmp_path / "warehouse").exists()


def test_an_unknown_school_is_refused_naming_the_cell(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_registry(raw, SCHOOLS)
    unknown = write_assessment(
        raw, "31999999", "2024-2025", date(2025, 2, 1), [["1.1", "Đạt", None, None, "x"]]
    )
    rel = unknown.relative_to(tmp_path).as_posix()
    result = _check(tmp_path, rel)
    assert result.returncode == 1
    [head] = _lines(result.stdout, "✗ ")
    assert head.startswith(f"✗ {rel} {CDS_TITLE}: Bị từ chối, 0 dòng đọc, 0 nhận, 0 cách ly")
    [line] = _issue_lines(result.stdout)
    assert line.startswith(f"[LỖI] trang '{_sheet_of(unknown)}', cột 'Mã trường': Tệp ")
    assert "'31999999' không có trong danh mục trường" in line
    assert line.endswith("(unknown_school) — giá trị: '31999999'")
    # against an empty registry folder the code cannot be compared, and the check says so
    empty = tmp_path / "empty"
    (empty / "schools").mkdir(parents=True)
    alone = _check(tmp_path, rel, "--raw", str(empty))
    assert "Không có danh mục trường" in alone.stdout and "(unknown_school)" not in alone.stdout


def test_warnings_are_not_a_tick(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_registry(raw, SCHOOLS)
    good = write_assessment(
        raw, TH, "2024-2025", date(2025, 2, 1), [["1.1", "Đạt", None, None, "x"]], name="good"
    )
    ok = _check(tmp_path, str(good))
    assert ok.returncode == 0, ok.stdout
    # accepted, but it reports one indicator of the index: a warning, so no ✓ (issue 15)
    assert "⚠" in ok.stdout and "✓" not in ok.stdout
    assert "[cảnh báo] trang" in ok.stdout and "(indicators_not_reported)" in ok.stdout


def test_only_a_clean_file_gets_a_tick(tmp_path: Path) -> None:
    """A clean pupil export: ✓, no issue line, exit 0; beside a bad file the run exits 1,
    and the ✓ stays on the clean file's line only."""
    raw = tmp_path / "raw"
    write_registry(raw, SCHOOLS)
    clean = _clean_students(raw)
    rel = clean.relative_to(tmp_path).as_posix()
    result = _check(tmp_path, rel)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"✓ {rel} {STUDENTS_TITLE}: Nhận, 3 dòng đọc, 3 nhận, 0 cách ly, 0 cảnh báo"
        " — bố cục 'contract'"
    ]
    bad = _bad_assessment(raw).relative_to(tmp_path).as_posix()
    both = _check(tmp_path, rel, bad)
    assert both.returncode == 1
    ticked = [line for line in both.stdout.splitlines() if "✓" in line]
    assert ticked == [result.stdout.strip()]
    assert _lines(both.stdout, f"✗ {bad} ")


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = _check(tmp_path, "raw/khong_co.xlsx")
    assert result.returncode == 2
    assert "khong_co.xlsx" in result.stderr and not result.stdout


def test_a_truncated_workbook_outside_raw_is_judged_by_its_name(tmp_path: Path) -> None:
    """A file outside raw/<source>/ too broken to read its headers (cut short in a mail) is
    judged as the source its name says, and refused with its reason; before, the check only
    said it could not tell the file's kind. A name that says nothing still says so."""
    raw = tmp_path / "raw"
    write_registry(raw, SCHOOLS)
    whole = _clean_students(raw).read_bytes()
    outside = tmp_path / "thu_gui"
    outside.mkdir()
    cut = outside / f"{TH}_students.xlsx"
    cut.write_bytes(whole[: len(whole) // 2])
    result = _check(tmp_path, str(cut.relative_to(tmp_path)))
    assert result.returncode == 1
    [head] = _lines(result.stdout, "✗ ")
    assert f"{STUDENTS_TITLE}: Bị từ chối" in head, result.stdout
    assert "BadZipFile" in result.stdout or "tệp hỏng" in result.stdout
    unnamed = outside / "tep_dinh_kem.xlsx"
    unnamed.write_bytes(whole[: len(whole) // 2])
    result = _check(tmp_path, str(unnamed.relative_to(tmp_path)))
    assert "không nhận ra loại tệp" in result.stdout and result.returncode == 1
