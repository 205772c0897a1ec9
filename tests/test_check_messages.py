"""`cds check` says what to fix (issues 14 and 15): a school code one slip off gets a
"did you mean", invisible characters and look-alike dashes are named, a file-level problem
has a location ("toàn tệp") instead of an empty one. Checked by dropping `near_codes` from
the message and `or 'toàn tệp'` from the checker once: the first and last assertions failed."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from tests.builders import PROJECT_ROOT, write_assessment, write_registry


def test_check_names_the_slip_the_hidden_character_and_the_place(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_registry(
        raw, [("31305026", "Trường TH Hoà Bình", "Tiểu học"), ("31305020", "Trường A", "TH")]
    )
    row = [["1.1", "Đạt", None, None, "x"]]
    slip = write_assessment(raw, "31305926", "2024-2025", date(2025, 2, 1), row, name="slip")
    zero_width = write_assessment(
        raw, "31305026", "2024-2025\u200b", date(2025, 2, 1), row, name="zw"
    )
    en_dash = write_assessment(raw, "31305026", "2024–2025", date(2025, 2, 1), row, name="dash")
    empty = raw / "cds_assessment" / "rong.xlsx"
    empty.write_bytes(b"")
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "check", *map(str, (slip, zero_width, en_dash, empty)),
         "--raw", str(raw)],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 1, out
    assert "Mã trường '31305926' không có trong danh mục trường — có phải là '31305026'?" in out
    assert "'31305020'" not in out  # two slips away: not offered
    assert "ký tự rộng 0 (U+200B)" in out
    assert "gạch ngang ngắn – (U+2013)" in out
    assert "[LỖI] toàn tệp: Tệp '" in out and "bị từ chối: Tệp rỗng (0 byte)" in out
    assert "[LỖI] :" not in out
