"""A failing dbt test of severity error blocks publishing (issue 21, item 11): the run
reports the failure (exit 1, the test named), and `analytics.duckdb` stays the previous
version, byte for byte, although the run had new data to publish.

It starts from a copy of the shared sample run (run once and published, tests/conftest.py).
Then a landed row gets an indicator code the reference does not know, as a defect upstream
of dbt would leave it (ingestion and the GX checks stop such a value in a file, and GX
validates only new loads, so it is written into `landing.emis_report` directly), and a
corrected report of a school is dropped into raw/. The run must fail on dbt's
`relationships` test of `stg_landing__emis_report.indicator_code` and publish nothing.

Checked by breaking the code once (in a copy of the project, never committed): with every
dbt test's severity set to warn (`data_tests: +severity: warn` in dbt_project.yml), the
second run published (the corrected report appeared, "Đã xuất bản" in its log) and
this test failed. Breaking only `dbt_models` (no `dg.Failure` when the build fails, its
checks non-blocking) did not let the run publish: `dbt build` itself skips every model below
a failing error test, so the marts publish depends on are not materialised; the test then
failed only on the missing "✗ Bước dbt_models thất bại" line.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from tests.builders import cds_run
from tests.conftest import SAMPLE_ENV, copy_sample_run, query, write_resubmission

# starts the whole pipeline (cds run), from the shared sample run: left out of `make test-fast`
pytestmark = pytest.mark.e2e

RECEIVED = (
    "select versions from marts.reporting_status where report = 'emis_report' "
    "and school_code = '31305005' and school_year = '2024-2025' and period = 'cuoi_nam'"
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_failing_dbt_test_blocks_publishing(sample_run: dict, tmp_path: Path) -> None:
    raw, warehouse = copy_sample_run(sample_run, tmp_path)
    analytics = warehouse / "analytics.duckdb"
    assert query(analytics, RECEIVED) == [(1,)]
    published = _digest(analytics)

    con = duckdb.connect(str(warehouse / "warehouse.duckdb"))
    try:
        [(changed,)] = con.execute(
            "update landing.emis_report set indicator_code = '999' where rowid = "
            "(select min(rowid) from landing.emis_report where indicator_code = '406')"
        ).fetchall()
    finally:
        con.close()
    assert changed == 1
    write_resubmission(raw)  # new data the blocked run must not publish
    [(landed,)] = query(
        warehouse / "warehouse.duckdb",
        "select count(distinct _source_file) from landing.emis_report",
    )

    second = cds_run(raw, warehouse, extra_env=SAMPLE_ENV)
    log = second.stdout[-3000:] + second.stderr[-3000:]
    # publishing was blocked: the previous version, byte for byte, without the new report
    assert "Đã xuất bản" not in second.stdout + second.stderr, log  # publish never ran
    assert _digest(analytics) == published
    assert query(analytics, RECEIVED) == [(1,)]
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
    ) == [(landed + 1,)]
