"""A warehouse built by an earlier version keeps working (issue 14, class 13 added the
registry's effective date): the landing table gains the new columns, null for the rows it
already holds. Before, `stg_landing__schools` failed on the missing column (this test failed)."""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.ingest.landing import ensure_landing_table, ensure_schemas
from pipelines.ingest.sources.schools import LANDING_SCHEMA


def test_an_old_landing_table_gains_the_new_columns() -> None:
    con = duckdb.connect()
    ensure_schemas(con)
    old = {k: v for k, v in LANDING_SCHEMA.items() if k not in ("effective_on", "effective_basis")}
    assert len(old) < len(LANDING_SCHEMA)
    ensure_landing_table(con, "schools", old)
    con.execute("insert into landing.schools (school_code, school_name) values ('31000001', 'A')")
    ensure_landing_table(con, "schools", LANDING_SCHEMA)
    columns = {r[0] for r in con.execute("describe landing.schools").fetchall()}
    assert set(LANDING_SCHEMA) <= columns
    rows = con.sql("select school_code, effective_on from landing.schools").pl()
    assert rows.to_dicts() == [{"school_code": "31000001", "effective_on": None}]
    assert rows.schema["effective_on"] == pl.Date


def test_an_old_audit_record_gains_the_layout_columns() -> None:
    """Issue 18 added audit.ingest_files.layout and fields_not_available: a warehouse whose
    record lacks them gains them, null for the files already recorded (which were read
    through the contract layout). Checked by removing the two `alter table` lines of
    AUDIT_DDL: this test failed (no column `layout`)."""
    con = duckdb.connect()
    ensure_schemas(con)
    con.execute("alter table audit.ingest_files drop column layout")
    con.execute("alter table audit.ingest_files drop column fields_not_available")
    con.execute(
        "insert into audit.ingest_files (load_seq, source, source_file, file_sha256, status, "
        "rows_read, rows_accepted, rows_quarantined, n_warnings, loaded_at) "
        "values (1, 'students', 'a.xlsx', 'x', 'accepted', 1, 1, 0, 0, now())"
    )
    ensure_schemas(con)
    assert con.sql("select layout, fields_not_available from audit.ingest_files").fetchall() == [
        (None, None)
    ]
