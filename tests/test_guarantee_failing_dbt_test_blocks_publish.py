"""A failing dbt test of severity error blocks publishing (issue 21, item 11): the run
reports the failure (exit 1, the test named), and `analytics.duckdb` stays the previous
version, byte for byte, although the run had new data to publish.

A small district (the sample's registry and two of its statistical reports) is run once and
published. Then a landed row gets an indicator code the reference does not know, as a
defect upstream of dbt would leave it (ingestion and the GX checks stop such a value in a
file, and GX validates only new loads, so it is written into `landing.emis_report`
directly), and a second school's report is dropped into raw/. The second run must fail on
dbt's `relationships` test of `stg_landing__emis_report.indicator_code` and publish nothing.

Checked by breaking the code once (in a copy of the project, never committed): with every
dbt test's severity set to warn (`data_tests: +severity: warn` in dbt_project.yml), the
second run published (the second school's report appeared, "Đã xuất bản" in its log) and
this test failed. Breaking only `dbt_models` (no `dg.Failure` when the build fails, its
checks non-blocking) did not let the run publish: `dbt build` itself skips every model below
a failing error test, so the marts publish depends on are not materialised; the test then
failed only on the missing "✗ Bước dbt_models thất bại" line.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.builders import PROJECT_ROOT, cds_run
from tests.conftest import query

# starts the whole pipeline (cds run): left out of `make test-fast`
pytestmark = pytest.mark.e2e

REGISTRY = "schools/danh_muc_truong.xlsx"
FIRST = "emis_report/2024-2025/dau_nam/31305/31305001_emis_report.xlsx"
SECOND = "emis_report/2024-2025/dau_nam/31305/31305002_emis_report.xlsx"
RECEIVED = (
    "select school_code from marts.reporting_status where report = 'emis_report' "
    "and school_year = '2024-2025' and period = 'dau_nam' and received order by 1"
)


def _copy(raw: Path, rel: str) -> None:
    (raw / rel).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(PROJECT_ROOT / "raw" / rel, raw / rel)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_failing_dbt_test_blocks_publishing(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    analytics = warehouse / "analytics.duckdb"
    _copy(raw, REGISTRY)
    _copy(raw, FIRST)
    first = cds_run(raw, warehouse)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert query(analytics, RECEIVED) == [("31305001",)]
    published = _digest(analytics)

    con = duckdb.connect(str(warehouse / "warehouse.duckdb"))
    try:
        [(changed,)] = con.execute(
            "update landing.emis_report set indicator_code = '999' where indicator_code = '406'"
        ).fetchall()
    finally:
        con.close()
    assert changed == 1
    _copy(raw, SECOND)  # new data the blocked run must not publish

    second = cds_run(raw, warehouse)
    log = second.stdout[-3000:] + second.stderr[-3000:]
    # publishing was blocked: the previous version, byte for byte, without the new report
    assert "Đã xuất bản" not in second.stdout + second.stderr, log  # publish never ran
    assert _digest(analytics) == published
    assert query(analytics, RECEIVED) == [("31305001",)]
    assert not list(warehouse.glob(".analytics.duckdb.*.tmp"))
    # and the command says so, naming the broken test
    assert second.returncode == 1, log
    assert "✗ Bước dbt_models thất bại" in second.stderr
    assert "dbt build thất bại" in second.stderr
    assert "relationships_stg_landing__emis_report_indicator_code" in second.stderr
    # the run did land the new report: only publishing was blocked
    assert query(
        warehouse / "warehouse.duckdb",
        "select count(distinct _source_file) from landing.emis_report",
    ) == [(2,)]
