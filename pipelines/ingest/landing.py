"""The landing and audit schemas of `warehouse.duckdb`, and how file outcomes are written
there: a batch of files in a single transaction, so a crash never leaves half a file (or half
a batch) loaded, and the next run reads again whatever was not committed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import polars as pl

from pipelines.lake import in_lake

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

_SEQUENCE_DDL = "create sequence if not exists audit.load_seq start 1;\n"
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
    loaded_at timestamp not null,
    layout varchar,                   -- the layout the file was read through (layouts.yaml)
    fields_not_available varchar[]    -- the source's fields that layout cannot supply
);
alter table audit.ingest_files add column if not exists layout varchar;
alter table audit.ingest_files add column if not exists fields_not_available varchar[];
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
    if in_lake(con):  # DuckLake has neither sequences nor PRIMARY KEY (see next_load_seqs)
        con.execute(
            AUDIT_DDL.replace(_SEQUENCE_DDL, "").replace(
                "load_seq bigint primary key", "load_seq bigint not null"
            )
        )
    else:
        con.execute(AUDIT_DDL)


def next_load_seqs(con: duckdb.DuckDBPyConnection, n: int) -> list[int]:
    """`n` new load sequence numbers, inside the caller's transaction. DuckLake has no
    sequences: there they follow the largest recorded, which only a rejected file's
    forgotten record can free again (its rows never landed, so nothing validated under
    that number is ever taken for another load's)."""
    if in_lake(con):
        top = con.execute("select coalesce(max(load_seq), 0) from audit.ingest_files").fetchone()[0]
        return list(range(top + 1, top + 1 + n))
    rows = con.execute("select nextval('audit.load_seq') from range(?)", [n]).fetchall()
    return sorted(r[0] for r in rows)


def ensure_landing_table(
    con: duckdb.DuckDBPyConnection, source: str, schema: dict[str, pl.DataType]
) -> None:
    cols = {**schema, **LINEAGE_SCHEMA}
    ddl = ", ".join(f'"{name}" {_DUCK_TYPES[dtype]}' for name, dtype in cols.items())
    con.execute(f"create table if not exists landing.{source} ({ddl})")
    # A warehouse built by an earlier version lacks the columns a source has gained since
    # (the registry's effective_on, …): they are added, null for the rows already landed.
    for name, dtype in cols.items():
        con.execute(
            f'alter table landing.{source} add column if not exists "{name}" {_DUCK_TYPES[dtype]}'
        )


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

    _counts: tuple[int, int, int] | None = field(default=None, repr=False)

    @property
    def rows_accepted(self) -> int:
        if self._counts is not None:
            return self._counts[0]
        return 0 if self.accepted is None else self.accepted.height

    @property
    def rows_quarantined(self) -> int:
        if self._counts is not None:
            return self._counts[1]
        return 0 if self.quarantined is None else self.quarantined.height

    @property
    def n_warnings(self) -> int:
        if self._counts is not None:
            return self._counts[2]
        if self.issues is None:
            return 0
        return self.issues.filter(pl.col("severity") == "warning").height

    def release(self) -> None:
        """Drop the row frames once written, keeping their counts: a province's run would
        otherwise hold every accepted row in memory until the end."""
        self._counts = (self.rows_accepted, self.rows_quarantined, self.n_warnings)
        self.accepted = self.quarantined = self.issues = None


_FILES_SCHEMA: dict[str, pl.DataType] = {
    "load_seq": pl.Int64,
    "source": pl.String,
    "source_file": pl.String,
    "file_sha256": pl.String,
    "file_size": pl.Int64,
    "status": pl.String,
    "duplicate_of": pl.String,
    "sheet": pl.String,
    "header_row": pl.Int32,
    "school_code": pl.String,
    "school_year": pl.String,
    "period": pl.String,
    "submitted_on": pl.Date,
    "rows_read": pl.Int64,
    "rows_accepted": pl.Int64,
    "rows_quarantined": pl.Int64,
    "n_warnings": pl.Int64,
    "extra_columns": pl.List(pl.String),
    "reject_rule": pl.String,
    "reject_message_vi": pl.String,
    "loaded_at": pl.Datetime("us"),
    "layout": pl.String,
    "fields_not_available": pl.List(pl.String),
}


def write_outcomes(
    con: duckdb.DuckDBPyConnection,
    outcomes: list[FileOutcome],
    landing_schema: dict[str, pl.DataType],
    loaded_at: datetime,
    reserved: Iterator[int] | None = None,
) -> list[int]:
    """Record a batch of files in one transaction (all of them or none); return their load
    sequence numbers, in order. One insert per table for the whole batch: a commit per file
    cost more than reading the file at province scale.

    With `reserved` load numbers (a province's share, `pipelines.ingest.provinces`) the batch
    is only appended: concurrent writers of one DuckLake table may append, not delete, so an
    earlier rejection of the same file is forgotten afterwards by a single writer
    (`forget_superseded_rejections`)."""
    if not outcomes:
        return []
    con.execute("begin transaction")
    try:
        if reserved is None:
            _forget_rejections(con, outcomes)
            seqs = next_load_seqs(con, len(outcomes))
        else:
            seqs = [next(reserved) for _ in outcomes]
        _insert(con, "audit.ingest_files", _files_frame(outcomes, seqs, loaded_at))
        pairs = list(zip(outcomes, seqs, strict=True))
        _insert(
            con,
            f"landing.{outcomes[0].source}",
            _concat(_landing_rows(o, seq, landing_schema, loaded_at) for o, seq in pairs),
        )
        _insert(
            con, "audit.ingest_issues", _concat(_issue_rows(o, seq, loaded_at) for o, seq in pairs)
        )
        _insert(
            con,
            "audit.quarantined_rows",
            _concat(_quarantine_rows(o, seq, loaded_at) for o, seq in pairs),
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return seqs


def _forget_rejections(con: duckdb.DuckDBPyConnection, outcomes: list[FileOutcome]) -> None:
    """A rejected file is tried again on every run: forget its previous rejection."""
    keys = pl.DataFrame(
        {
            "source": [o.source for o in outcomes],
            "file_sha256": [o.file_sha256 for o in outcomes],
            "source_file": [o.source_file for o in outcomes],
        }
    )
    con.register("__batch_files", keys.to_arrow())
    try:
        con.execute(
            "delete from audit.ingest_issues where load_seq in ("
            " select f.load_seq from audit.ingest_files f"
            " join __batch_files b using (source, file_sha256, source_file)"
            " where f.status = 'rejected')"
        )
        con.execute(
            "delete from audit.ingest_files where status = 'rejected' and "
            "(source, file_sha256, source_file) in "
            "(select (source, file_sha256, source_file) from __batch_files)"
        )
    finally:
        con.unregister("__batch_files")


def forget_superseded_rejections(con: duckdb.DuckDBPyConnection) -> int:
    """Delete every rejection of a file that a later load of the same file (same source,
    content and path) recorded again: what `write_outcomes` does before each batch, done
    once by a single writer after province steps that only appended. Returns how many."""
    superseded = (
        "select f.load_seq from audit.ingest_files f where f.status = 'rejected' and exists ("
        " select 1 from audit.ingest_files g where g.source = f.source and"
        " g.file_sha256 = f.file_sha256 and g.source_file = f.source_file and"
        " g.load_seq > f.load_seq)"
    )
    con.execute("begin transaction")
    try:
        doomed = [r[0] for r in con.execute(superseded).fetchall()]
        if doomed:
            con.execute(
                "delete from audit.ingest_issues where list_contains(?, load_seq)", [doomed]
            )
            con.execute("delete from audit.ingest_files where list_contains(?, load_seq)", [doomed])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return len(doomed)


def _files_frame(outcomes: list[FileOutcome], seqs: list[int], loaded_at: datetime) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "load_seq": seq,
                "source": o.source,
                "source_file": o.source_file,
                "file_sha256": o.file_sha256,
                "file_size": o.file_size,
                "status": o.status,
                "duplicate_of": o.duplicate_of,
                "sheet": o.sheet,
                "header_row": o.header_row,
                "school_code": o.meta.get("school_code"),
                "school_year": o.meta.get("school_year"),
                "period": o.meta.get("period"),
                "submitted_on": o.meta.get("submitted_on"),
                "rows_read": o.rows_read,
                "rows_accepted": o.rows_accepted,
                "rows_quarantined": o.rows_quarantined,
                "n_warnings": o.n_warnings,
                "extra_columns": list(o.extra_columns),
                "reject_rule": o.reject_rule,
                "reject_message_vi": o.reject_message_vi,
                "loaded_at": loaded_at,
                "layout": o.meta.get("layout"),
                "fields_not_available": (
                    list(o.meta["fields_not_available"])  # type: ignore[call-overload]
                    if o.meta.get("fields_not_available") is not None
                    else None
                ),
            }
            for o, seq in zip(outcomes, seqs, strict=True)
        ],
        schema=_FILES_SCHEMA,
    )


def _landing_rows(
    o: FileOutcome, seq: int, landing_schema: dict[str, pl.DataType], loaded_at: datetime
) -> pl.DataFrame | None:
    if o.accepted is None or not o.accepted.height:
        return None
    lineage = [
        pl.lit(o.source_file).alias("_source_file"),
        pl.lit(o.file_sha256).alias("_file_sha256"),
        _sheet_of(o, "_sheet"),
        pl.lit(loaded_at, pl.Datetime("us")).alias("_loaded_at"),
        pl.lit(seq, pl.Int64).alias("_load_seq"),
    ]
    return o.accepted.with_columns(*lineage).select(
        [pl.col(c).cast(t) for c, t in {**landing_schema, **LINEAGE_SCHEMA}.items()]
    )


def _sheet_of(o: FileOutcome, name: str) -> pl.Expr:
    """Each row's own sheet where the table spans several, else the file's sheet."""
    return pl.coalesce(pl.col("_sheet"), pl.lit(o.sheet, pl.String)).alias(name)


def _file_columns(o: FileOutcome, seq: int) -> list[pl.Expr]:
    """The columns that tie an audit row to its file and load (its sheet: `_sheet_of`)."""
    return [
        pl.lit(seq, pl.Int64).alias("load_seq"),
        pl.lit(o.source).alias("source"),
        pl.lit(o.source_file).alias("source_file"),
        pl.lit(o.file_sha256).alias("file_sha256"),
    ]


def _issue_rows(o: FileOutcome, seq: int, loaded_at: datetime) -> pl.DataFrame | None:
    if o.issues is None or not o.issues.height:
        return None
    m = o.meta
    kind = (
        pl.when(pl.lit(o.status == "rejected"))
        .then(pl.lit("file_rejected"))
        .when(pl.col("_row").is_null())
        .then(pl.lit("file_warning"))
        .when(pl.col("severity") == "error")
        .then(pl.lit("row_quarantined"))
        .otherwise(pl.lit("row_warning"))
    )
    return o.issues.select(
        *_file_columns(o, seq),
        _sheet_of(o, "sheet"),
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


def _quarantine_rows(o: FileOutcome, seq: int, loaded_at: datetime) -> pl.DataFrame | None:
    if o.quarantined is None or not o.quarantined.height:
        return None
    q = o.quarantined
    if "_reasons" not in q.columns:
        errors = o.issues.filter(pl.col("severity") == "error")  # type: ignore[union-attr]
        reasons = errors.group_by("_sheet", "_row").agg(
            pl.col("rule_id").unique().sort().alias("_reasons")
        )
        q = q.join(reasons, on=["_sheet", "_row"], how="left", nulls_equal=True)
    raw_cols = [c for c in q.columns if c not in ("_row", "_sheet", "_reasons")]
    return q.select(
        *_file_columns(o, seq),
        _sheet_of(o, "sheet"),
        pl.col("_row").alias("row"),
        pl.col("_reasons").alias("reasons"),
        pl.struct(raw_cols).struct.json_encode().alias("raw_values"),
        pl.lit(loaded_at, pl.Datetime("us")).alias("loaded_at"),
    )


def _concat(frames) -> pl.DataFrame | None:
    present = [f for f in frames if f is not None]
    return pl.concat(present, how="vertical_relaxed") if present else None


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame | None) -> None:
    if frame is None or not frame.height:
        return
    con.register("__batch_rows", frame.to_arrow())
    try:
        con.execute(f"insert into {table} by name select * from __batch_rows")
    finally:
        con.unregister("__batch_rows")
