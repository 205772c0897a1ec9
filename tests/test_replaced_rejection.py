"""A rejected file replaced at its path is no longer listed (found in review, 2026-12-03).

A school's statistical report first lands unreadable (a copy read half-written, or a broken
file), then the whole file lands under the same name. The rejection of the first content
stayed in `marts.data_quality_issues` and the follow-up list for ever: rejected content is
judged again only while it is in raw/, and it no longer was. Now a rejection whose path
holds later content is not listed; the replacing report counts as received.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import cds_run, write_emis_report, write_registry_file
from tests.conftest import query

# starts the whole pipeline (cds run): left out of `make test-fast`
pytestmark = pytest.mark.e2e

SCHOOL = "31000002"
NAME = f"{SCHOOL}_dau_nam.xlsx"
REPORT = {"101": 12, "116": 3, "117": 3, "118": 3, "119": 3, "201": 420, "216": 110,
          "217": 105, "218": 100, "219": 105, "401": 12, "402": 12, "406": 30}  # fmt: skip


def _run(raw: Path, warehouse: Path) -> None:
    result = cds_run(raw, warehouse)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]


def test_a_rejection_replaced_at_its_path_is_not_listed(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    write_registry_file(
        raw,
        [{"Mã trường": SCHOOL, "Tên trường": "Trường THCS Bình Minh", "Cấp học": "THCS",
          "Mã huyện": "001", "Quận/Huyện": "Huyện Thử"}],
        "danh_muc_truong.xlsx",
    )  # fmt: skip
    path = raw / "emis_report" / NAME
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK\x03\x04 half of a workbook")
    _run(raw, warehouse)
    db = warehouse / "warehouse.duckdb"
    rejected = "select count(*) from marts.data_quality_issues where rule_id = 'file_unreadable'"
    assert query(db, rejected) == [(1,)]

    path.unlink()
    write_emis_report(raw, SCHOOL, "2024-2025", "Đầu năm", "05/10/2024", REPORT, NAME)
    _run(raw, warehouse)
    assert query(db, rejected) == [(0,)]
    files = (
        "select status, count(*) from audit.ingest_files where source = 'emis_report' group by 1"
    )
    assert dict(query(db, files)) == {"accepted": 1, "rejected": 1}  # nothing is lost
    received = (
        "select versions from marts.reporting_status where school_code = ? "
        "and report = 'emis_report' and school_year = '2024-2025' and period = 'dau_nam'"
    )
    assert query(db, received, [SCHOOL]) == [(1,)]
