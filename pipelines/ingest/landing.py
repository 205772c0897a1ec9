"""The landing and audit schemas of `warehouse.duckdb`, and how one file's outcome is
written there: in a single transaction, so a crash never leaves half a file loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

LINEAGE_SCHEMA: dict[str, pl.DataType] = {
    "_source_file": pl.String,
    "_file_sha256": pl.String,
    "_sheet": pl.String,
    "_row": pl.Int64,
    "_loaded_at": pl.Datetime("us"),
    "_load_seq": pl.Int64,
}

_DUCK_TYPES = {
    pl.String: "varchar",
    pl.Int64: "bigint",
    pl.Float64: "double",
    pl.Boolean: "boolean",
    pl.Date: "date",
    pl.Datetime("us"): "timestamp",
}

AUDIT_DDL = """
create schema if not exists landing;
create schema if not exists audit;
create schema if not exists reference;
create sequence if not exists audit.load_seq start 1;
create table if not exists audit.ingest_files (
    load_seq bigint primary key,
    source varchar not null,
    source_file varchar not null,
    file_sha256 varchar not null,
    file_size bigint,
    status varchar not null,          -- accepted | rejected | duplicate
    duplicate_of varchar,
    sheet varchar,
    header_row integer,
    school_code varchar,
    school_year varchar,
    period varchar,
    submitted_on date,
    rows_read bigint not null,
    rows_accepted bigint not null,
    rows_quarantined bigint not null,
    n_warnings bigint not null,
    extra_columns varchar[],
    reject_rule varchar,
    reject_message_vi varchar,
    loaded_at timestamp not null
);
create table if not exists audit.ingest_issues (
    load_seq bigint not null,
    source varchar not null,
    source_file varchar not null,
    file_sha256 varchar not null,
    sheet varchar,
    "row" bigint,
    field varchar,
    rule_id varchar not null,
    severity varchar not null,        -- error | warning
    kind varchar not null,            -- file_rejected | row_quarantined | row_warning | file_warning
    message_vi varchar not null,
    value varchar,
    school_code varchar,
    school_year varchar,
    period varchar,
    loaded_at timestamp not null
);
create table if not exists audit.quarantined_rows (
    load_seq bigint not null,
    source varchar not null,
    source_file varchar not null,
    file_sha256 varchar not null,
    sheet varchar,
    "row" bigint not null,
    reasons varchar[] not null,
    raw_values json not null,
    loaded_at timestamp not null
);
create or replace view audit.rejected_files as
    select * from audit.ingest_files where status = 'rejected';
"""


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(AUDIT_DDL)


def ensure_landing_table(
    con: duckdb.DuckDBPyConnection, source: str, schema: dict[str, pl.DataType]
) -> None:
    cols = {**schema, **LINEAGE_SCHEMA}
    ddl = ", ".join(f'"{name}" {_DUCK_TYPES[dtype]}' for name, dtype in cols.items())
    con.execute(f"create table if not exists landing.{source} ({ddl})")


def accepted_hashes(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    """sha256 → first source_file, for every file of `source` already accepted."""
    rows = con.execute(
        "select file_sha256, min(source_file) from audit.ingest_files "
        "where source = ? and status = 'accepted' group by 1",
        [source],
    ).fetchall()
    return dict(rows)


def recorded_duplicates(con: duckdb.DuckDBPyConnection, source: str) -> set[tuple[str, str]]:
    rows = con.execute(
        "select file_sha256, source_file from audit.ingest_files "
        "where source = ? and status = 'duplicate'",
        [source],
    ).fetchall()
    return set(rows)


@dataclass
class FileOutcome:
    source: str
    source_file: str
    file_sha256: str
    file_size: int
    status: str
    meta: dict[str, object]
    sheet: str | None = None
    header_row: int | None = None
    rows_read: int = 0
    accepted: pl.DataFrame | None = None
    quarantined: pl.DataFrame | None = None
    issues: pl.DataFrame | None = None  # _row, field, rule_id, severity, message_vi, value
    extra_columns: tuple[str, ...] = ()
    reject_rule: str | None = None
    reject_message_vi: str | None = None
    duplicate_of: str | None = None

    @property
    def rows_accepted(self) -> int:
        return 0 if self.accepted is None else self.accepted.height

    @property
    def rows_quarantined(self) -> int:
        return 0 if self.quarantined is None else self.quarantined.height

    @property
    def n_warnings(self) -> int:
        if self.issues is None:
            return 0
        return self.issues.filter(pl.col("severity") == "warning").height


def write_outcome(
    con: duckdb.DuckDBPyConnection,
    outcome: FileOutcome,
    landing_schema: dict[str, pl.DataType],
    loaded_at: datetime,
) -> int:
    """Record one file atomically; return its load sequence number."""
    con.execute("begin transaction")
    try:
        # A rejected file is tried again on every run: forget its previous rejection.
        con.execute(
            "delete from audit.ingest_issues where source = ? and file_sha256 = ? and load_seq in "
            "(select load_seq from audit.ingest_files where status = 'rejected' and source = ? "
            " and file_sha256 = ? and source_file = ?)",
            [
                outcome.source,
                outcome.file_sha256,
                outcome.source,
                outcome.file_sha256,
                outcome.source_file,
            ],
        )
        con.execute(
            "delete from audit.ingest_files where status = 'rejected' and source = ? "
            "and file_sha256 = ? and source_file = ?",
            [outcome.source, outcome.file_sha256, outcome.source_file],
        )
        seq = con.execute("select nextval('audit.load_seq')").fetchone()[0]
        m = outcome.meta
        con.execute(
            "insert into audit.ingest_files values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                seq,
                outcome.source,
                outcome.source_file,
                outcome.file_sha256,
                outcome.file_size,
                outcome.status,
                outcome.duplicate_of,
                outcome.sheet,
                outcome.header_row,
                m.get("school_code"),
                m.get("school_year"),
                m.get("period"),
                m.get("submitted_on"),
                outcome.rows_read,
                outcome.rows_accepted,
                outcome.rows_quarantined,
                outcome.n_warnings,
                list(outcome.extra_columns),
                outcome.reject_rule,
                outcome.reject_message_vi,
                loaded_at,
            ],
        )
        lineage = [
            pl.lit(outcome.source_file).alias("_source_file"),
            pl.lit(outcome.file_sha256).alias("_file_sha256"),
            pl.lit(outcome.sheet).alias("_sheet"),
            pl.lit(loaded_at, pl.Datetime("us")).alias("_loaded_at"),
            pl.lit(seq, pl.Int64).alias("_load_seq"),
        ]
        if outcome.accepted is not None and outcome.accepted.height:
            rows = outcome.accepted.with_columns(*lineage).select(
                [pl.col(c).cast(t) for c, t in {**landing_schema, **LINEAGE_SCHEMA}.items()]
            )
            con.register("__rows", rows.to_arrow())
            con.execute(f"insert into landing.{outcome.source} by name select * from __rows")
            con.unregister("__rows")
        if outcome.issues is not None and outcome.issues.height:
            kind = (
                pl.when(pl.lit(outcome.status == "rejected"))
                .then(pl.lit("file_rejected"))
                .when(pl.col("_row").is_null())
                .then(pl.lit("file_warning"))
                .when(pl.col("severity") == "error")
                .then(pl.lit("row_quarantined"))
                .otherwise(pl.lit("row_warning"))
            )
            issues = outcome.issues.select(
                pl.lit(seq, pl.Int64).alias("load_seq"),
                pl.lit(outcome.source).alias("source"),
                pl.lit(outcome.source_file).alias("source_file"),
                pl.lit(outcome.file_sha256).alias("file_sha256"),
                pl.lit(outcome.sheet, pl.String).alias("sheet"),
                pl.col("_row").alias("row"),
                "field",
                "rule_id",
                "severity",
                kind.alias("kind"),
                "message_vi",
                "value",
                pl.lit(m.get("school_code"), pl.String).alias("school_code"),
                pl.lit(m.get("school_year"), pl.String).alias("school_year"),
                pl.lit(m.get("period"), pl.String).alias("period"),
                pl.lit(loaded_at, pl.Datetime("us")).alias("loaded_at"),
            )
            con.register("__issues", issues.to_arrow())
            con.execute("insert into audit.ingest_issues by name select * from __issues")
            con.unregister("__issues")
        if outcome.quarantined is not None and outcome.quarantined.height:
            errors = outcome.issues.filter(pl.col("severity") == "error")  # type: ignore[union-attr]
            reasons = errors.group_by("_row").agg(
                pl.col("rule_id").unique().sort().alias("reasons")
            )
            raw_cols = [c for c in outcome.quarantined.columns if c != "_row"]
            q = outcome.quarantined.join(reasons, on="_row", how="left").select(
                pl.lit(seq, pl.Int64).alias("load_seq"),
                pl.lit(outcome.source).alias("source"),
                pl.lit(outcome.source_file).alias("source_file"),
                pl.lit(outcome.file_sha256).alias("file_sha256"),
                pl.lit(outcome.sheet, pl.String).alias("sheet"),
                pl.col("_row").alias("row"),
                pl.col("reasons"),
                pl.struct(raw_cols).struct.json_encode().alias("raw_values"),
                pl.lit(loaded_at, pl.Datetime("us")).alias("loaded_at"),
            )
            con.register("__q", q.to_arrow())
            con.execute("insert into audit.quarantined_rows by name select * from __q")
            con.unregister("__q")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return seq
