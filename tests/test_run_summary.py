"""The summary `cds run` prints at the end (pipelines/summary.py), on a hand-made
analytics.duckdb: a province's run rejects hundreds of files, and the console names the
first 20 and says where the rest are (it printed 193 lines for 4 small provinces)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.settings import Settings
from pipelines.summary import SHOWN_REJECTED, run_summary


def _analytics(warehouse: Path, rejected: int) -> Settings:
    settings = Settings(raw_dir=warehouse / "raw", warehouse_dir=warehouse)
    warehouse.mkdir(parents=True)
    with duckdb.connect(str(settings.analytics_db)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.dim_school as select '31305001' as school_code, true as is_active"
        )
        con.execute(
            "create table marts.cds_maturity_area as select '2024-2025' as school_year, "
            "'nation' as area_level, 'ALL' as level, 1 as n_schools, 1 as n_assessed, "
            "1 as n_level1, 0 as n_level2, 0 as n_level3"
        )
        con.execute(
            "create table marts.data_quality_issues as select "
            "format('raw/f{:03d}.xlsx', i) as source_file, 'file_rejected' as kind, "
            "'error' as severity, format('Tệp f{:03d}.xlsx bị từ chối', i) as message_vi "
            "from range(?) t(i)",
            [rejected],
        )
    return settings


@pytest.mark.parametrize("rejected", [3, SHOWN_REJECTED, 193])
def test_rejected_files_are_named_up_to_a_limit_then_counted(tmp_path: Path, rejected: int):
    text = run_summary(_analytics(tmp_path / "wh", rejected))
    assert f"Tệp bị từ chối: {rejected}" in text
    named = [line for line in text.splitlines() if line.startswith("    - ")]
    assert len(named) == min(rejected, SHOWN_REJECTED)
    assert named[0] == "    - Tệp f000.xlsx bị từ chối"  # in file order
    rest = [line for line in text.splitlines() if line.startswith("    … và ")]
    if rejected > SHOWN_REJECTED:
        assert rest == [
            f"    … và {rejected - SHOWN_REJECTED} tệp khác: xem trang 'Lỗi dữ liệu' của báo "
            "cáo Excel, hoặc bảng marts.data_quality_issues (kind = 'file_rejected')"
        ]
    else:
        assert rest == []
    assert f"Vấn đề dữ liệu: {rejected} lỗi, 0 cảnh báo" in text
