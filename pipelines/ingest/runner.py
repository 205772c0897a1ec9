"""Ingest one source folder: find files, skip what is already loaded, read, apply the
source's rules, record every outcome. Pure orchestration: judging one file is `judge.py`,
the rules live in `sources/`."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.ingest.journal import Journal
from pipelines.ingest.judge import evaluate_file
from pipelines.ingest.landing import (
    FileOutcome,
    accepted_hashes,
    ensure_landing_table,
    ensure_schemas,
    recorded_duplicates,
    write_outcomes,
)
from pipelines.ingest.parallel import evaluate_in_order, ingest_workers
from pipelines.ingest.provinces import ProvinceShare
from pipelines.ingest.pseudonym import load_pseudonymizer
from pipelines.ingest.sources import (
    LAYOUT_COLUMNS,
    LAYOUT_FIELDS,
    PERIODS_BY_REPORT,
    IngestContext,
    Source,
)
from pipelines.reference.calendar import load_calendar
from pipelines.reference.code_lists import load_code_lists
from pipelines.reference.emis_codes import load_emis_codes
from pipelines.reference.layouts import Layout, load_layouts
from pipelines.settings import Settings

# `cds check` and the tests judge a file through this module, as ingestion does
__all__ = [
    "FileIngestError",
    "IngestSummary",
    "current_registry",
    "evaluate_file",
    "file_sha256",
    "ingest_source",
    "list_source_files",
    "load_ingest_context",
]

# Files written per transaction, or fewer when their rows reach BATCH_ROWS: one commit per
# file was the second largest cost of ingestion (BENCHMARKS.md), one per source would hold a
# province's rows in memory.
BATCH_FILES = 500
BATCH_ROWS = 1_000_000

# Lock files and editor droppings that sit next to real files in a shared folder: Excel's
# `~$…`, and every hidden file (LibreOffice's `.~lock…#` among them).
_IGNORED_PREFIXES = ("~$", ".")


def file_sha256(path: Path) -> str:
    """The file's content hash. A symbolic link is never followed (its hash is that of the
    link itself), and a file that cannot be read gets a hash of its name and state, so it is
    judged (and rejected) like any unreadable file and judged again once it can be read."""
    if path.is_symlink():
        return hashlib.sha256(f"symlink:{os.readlink(path)}".encode()).hexdigest()
    h = hashlib.sha256()
    try:
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        st = path.lstat()
        state = f"unreadable:{path}:{st.st_size}:{st.st_mtime_ns}:{st.st_mode}:{exc.errno}"
        return hashlib.sha256(state.encode()).hexdigest()
    return h.hexdigest()


def list_source_files(raw_dir: Path, source: str) -> list[Path]:
    """Every candidate file under raw/<source>/ (sub-folders included), in a stable order.
    Symbolic links are listed (and then refused), never followed into other folders."""
    folder = raw_dir / source
    if not folder.is_dir():
        return []
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        base = Path(root)
        # a linked folder is listed as one entry, never walked
        found += [base / d for d in dirs if (base / d).is_symlink()]
        found += [base / f for f in files]
    return sorted(
        p
        for p in found
        if not p.name.startswith(_IGNORED_PREFIXES) and (p.is_symlink() or p.is_file())
    )


class FileIngestError(RuntimeError):
    """An unexpected error while judging one file: the run stops and names the file."""

    def __init__(self, rel: str, title_vi: str, exc: Exception) -> None:
        self.source_file = rel
        self.error = f"{type(exc).__name__}: {exc}"
        super().__init__(f"Lỗi khi nạp tệp '{rel}' ({title_vi}): {self.error}")


@dataclass
class IngestSummary:
    source: str
    files_seen: int = 0
    files_unchanged: int = 0
    files_other_period: int = 0  # periodic files left for their own partition's run
    outcomes: list[FileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rows_read(self) -> int:
        return sum(o.rows_read for o in self.outcomes)

    @property
    def rows_accepted(self) -> int:
        return sum(o.rows_accepted for o in self.outcomes)

    @property
    def rows_quarantined(self) -> int:
        return sum(o.rows_quarantined for o in self.outcomes)

    def as_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            [
                {
                    "tệp": o.source_file,
                    "kết quả": o.status,
                    "trường": o.meta.get("school_code"),
                    "bố cục": o.meta.get("layout"),  # layouts.yaml (contract §2.8)
                    "dòng đọc": o.rows_read,
                    "nhận": o.rows_accepted,
                    "cách ly": o.rows_quarantined,
                    "cảnh báo": o.n_warnings,
                    "lý do": o.reject_message_vi or "",
                }
                for o in self.outcomes
            ],
            schema={
                "tệp": pl.String,
                "kết quả": pl.String,
                "trường": pl.String,
                "bố cục": pl.String,
                "dòng đọc": pl.Int64,
                "nhận": pl.Int64,
                "cách ly": pl.Int64,
                "cảnh báo": pl.Int64,
                "lý do": pl.String,
            },
        )


def ingest_source(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    raw_dir: Path,
    ctx: IngestContext,
    loaded_at: datetime,
    periods: set[tuple[str, str]] | None = None,
    workers: int | None = None,
    share: ProvinceShare | None = None,
) -> IngestSummary:
    """Load every new file of `source` into landing; already accepted files are skipped.

    With `periods` (a partitioned run), a file of another (school year, period) is left
    unrecorded for its partition's run; a rejected file whose period cannot be told is
    recorded by every run. Files are judged in worker processes (`CDS_INGEST_WORKERS`), and
    recorded here in order; a file an earlier run died on (the source's journal) is judged
    alone in a child with a memory limit, and rejected if it kills that child too. With a
    province's `share` (`--parallel`): only its files, its load numbers, appends only."""
    if source.reads_index:
        ctx.cds_index()  # a broken index stops its source here, before any file is judged
    listing, journal = _prepare(con, raw_dir, source, share)
    done = accepted_hashes(con, source.name)
    dup_seen = recorded_duplicates(con, source.name)
    summary = IngestSummary(source.name)
    batch = _Batch(con, source.landing_schema, loaded_at, share.numbers if share else None)
    known = set(done)  # files judged in earlier runs are not read again
    judged = evaluate_in_order([item for item in listing if item[2] not in known], source, ctx,
                               workers or ingest_workers(), journal)  # fmt: skip
    for path, rel, sha in listing:
        summary.files_seen += 1
        # in step with `judged`; a copy of a file accepted earlier in this run is judged
        # too, and then recorded as a duplicate like any other copy
        result = next(judged)[1] if sha not in known else None
        if sha in done:
            if done[sha] != rel and (sha, rel) not in dup_seen:
                outcome = _duplicate(source, path, rel, sha, first=done[sha])
                batch.add(outcome)
                summary.outcomes.append(outcome)
            else:
                summary.files_unchanged += 1
            continue
        if isinstance(result, Exception):  # a bug, not bad data: stop, but say which file
            raise FileIngestError(rel, source.title_vi, result) from result
        outcome = result
        period = (outcome.meta.get("school_year"), outcome.meta.get("period"))
        # a file of another period waits for that period's run, a rejected one too when its
        # header, name or folders tell its period: a run shows what it loaded, no more
        if periods is not None and None not in period and period not in periods:
            summary.files_other_period += 1
            continue
        batch.add(outcome)
        if outcome.status == "accepted":
            done[sha] = rel
        summary.outcomes.append(outcome)
        if batch.full():
            batch.flush()
    batch.flush()
    return summary


def _prepare(
    con: duckdb.DuckDBPyConnection, raw_dir: Path, source: Source, share: ProvinceShare | None
) -> tuple[list[tuple[Path, str, str]], Journal | None]:
    """The tables made ready, the files to consider and their journal. A province's step
    (`share`) creates nothing (others write beside it; the plan made the tables), takes its
    own files and keeps its own journal (provinces are judged side by side)."""
    if share is None:
        ensure_schemas(con)
        ensure_landing_table(con, source.name, source.landing_schema)
        return _listing(raw_dir, source.name), Journal.for_connection(con, source.name)
    journal = Journal.for_connection(con, f"{source.name}.{share.province}")
    return share.items[source.name], journal


def _listing(raw_dir: Path, source: str) -> list[tuple[Path, str, str]]:
    """(path, path relative to raw/, sha256) of every file of the source's folder."""
    return [
        (path, path.relative_to(raw_dir).as_posix(), file_sha256(path))
        for path in list_source_files(raw_dir, source)
    ]


def _duplicate(source: Source, path: Path, rel: str, sha: str, *, first: str) -> FileOutcome:
    """A copy of the accepted file `first`, under another name: recorded, not loaded
    (listed in marts.data_quality_issues as `duplicate_file`)."""
    return FileOutcome(
        source=source.name,
        source_file=rel,
        file_sha256=sha,
        file_size=path.stat().st_size,
        status="duplicate",
        meta={},
        duplicate_of=first,
    )


class _Batch:
    """Outcomes written to landing together: one transaction per BATCH_FILES files, or
    fewer when their rows read reach BATCH_ROWS."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        schema: dict,
        loaded_at: datetime,
        reserved: Iterator[int] | None = None,
    ) -> None:
        self.con, self.schema, self.loaded_at, self.reserved = con, schema, loaded_at, reserved
        self.outcomes: list[FileOutcome] = []
        self.rows = 0

    def add(self, outcome: FileOutcome) -> None:
        self.outcomes.append(outcome)
        self.rows += outcome.rows_read

    def full(self) -> bool:
        return len(self.outcomes) >= BATCH_FILES or self.rows >= BATCH_ROWS

    def flush(self) -> None:
        write_outcomes(self.con, self.outcomes, self.schema, self.loaded_at, self.reserved)
        for o in self.outcomes:
            o.release()
        self.outcomes.clear()
        self.rows = 0


def load_ingest_context(
    settings: Settings, *, registry: pl.DataFrame | None, personal: bool
) -> IngestContext:
    """The reference data a source's rules consult, loaded and validated from `settings`;
    the pseudonymizer only where personal data is read."""
    return IngestContext(
        codes=load_code_lists(settings.reference_file("code_lists.csv")),
        index=None,  # read when a source that uses it asks: a broken one stops no other
        index_file=settings.reference_file("cds_index.yaml"),
        registry=registry,
        emis_codes=load_emis_codes(settings.reference_file("emis_indicators.csv")),
        pseudonymizer=load_pseudonymizer() if personal else None,
        layouts=load_source_layouts(settings.reference_file("layouts.yaml")),
        calendar_periods=frozenset(
            load_calendar(settings.reference_file("reporting_calendar.csv"), PERIODS_BY_REPORT)
            .select("school_year", "period")
            .iter_rows()
        ),
    )


def load_source_layouts(path: Path) -> dict[str, tuple[Layout, ...]]:
    """layouts.yaml, checked against the fields the sources declare."""
    return load_layouts(path, LAYOUT_COLUMNS, LAYOUT_FIELDS)


def current_registry(
    con: duckdb.DuckDBPyConnection, columns: str = "school_code, level, is_active", *, ensure=True
) -> pl.DataFrame:
    """The latest accepted registry row of every school (without `ensure`, the tables are
    taken to exist: a province step creates nothing)."""
    if ensure:
        ensure_schemas(con)
        from pipelines.ingest.sources.schools import LANDING_SCHEMA

        ensure_landing_table(con, "schools", LANDING_SCHEMA)
    return con.sql(
        f"select {columns} from landing.schools "
        # the newest registry by effective date, then by the files alone (as dbt orders them)
        "qualify row_number() over (partition by school_code order by effective_on desc "
        "nulls last, _source_file desc, _file_sha256 desc, _row) = 1"
    ).pl()
