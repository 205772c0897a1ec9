"""Judge one file without touching the warehouse: read it, apply its source's rules, and
say what becomes of it (accepted with its rows, quarantined rows and issues, or rejected
with the reason). Used by ingestion (in this process or in workers, `parallel.py`) and by
`cds check`; it knows nothing of DuckDB or of the run around it."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from pipelines.ingest.landing import FileOutcome
from pipelines.ingest.layouts import LayoutApplied, apply_layout, read_through_layouts
from pipelines.ingest.rules import ISSUE_SCHEMA
from pipelines.ingest.sources import IngestContext, Shaped, Source
from pipelines.ingest.sources.base import file_issue
from pipelines.ingest.trace import trace_school
from pipelines.ingest.workbook import FileRejected, TableRead

# Issues recorded per file and rule; beyond it one summary line says how many more there were
# (a zip bomb once published 5.2 million issue rows).
MAX_ISSUES_PER_RULE = 200


def cap_issues(issues: pl.DataFrame, limit: int = MAX_ISSUES_PER_RULE) -> pl.DataFrame:
    """At most `limit` issues of each rule, then one line: "và N lỗi khác cùng loại"."""
    if issues.height <= limit:
        return issues
    ranked = issues.with_columns(pl.int_range(pl.len()).over("rule_id").alias("__n"))
    extra = (
        ranked.filter(pl.col("__n") >= limit)
        .group_by("rule_id", maintain_order=True)
        .agg(pl.len().alias("n"), pl.first("field"), pl.first("severity"))
    )
    if extra.height == 0:
        return issues
    summary = extra.select(
        pl.lit(None, pl.Int64).alias("_row"),
        "field",
        "rule_id",
        "severity",
        pl.format("… và {} lỗi khác cùng loại (chỉ ghi {} lỗi đầu tiên)", "n", pl.lit(limit)).alias(
            "message_vi"
        ),
        pl.col("n").cast(pl.String).alias("value"),
        pl.lit(None, pl.String).alias("_sheet"),
    )
    return pl.concat([ranked.filter(pl.col("__n") < limit).drop("__n"), summary])


# A value an issue may not show as it is: a run of 9 or more digits (a personal ID, whatever
# column it was written in), and, in a people export, text that reads like a person's name.
_ID_LIKE = r"\d(?:[ .]?\d){8,}"
_NAME_LIKE = r"^\p{Lu}\p{Ll}*(?:\s+\p{Lu}\p{Ll}*){1,5}$"


# In a people export, the columns whose text may be a person's name: the name itself, and
# the person's code (a signature line or a name typed in the code column lands there).
_PERSON_TEXT_KEYS = ("full_name", "student_code", "staff_code")


def safe_issue_values(issues: pl.DataFrame, name_fields: frozenset[str]) -> pl.DataFrame:
    """Issue values with personal data masked (issue 14): `031… (12 ký tự)` for anything
    that looks like an ID; a name-like text of a people export as `(văn bản, N ký tự)`."""
    v = pl.col("value")
    digits = v.str.replace_all(r"[ .\-]", "")
    masked = (
        pl.when(v.str.contains(_ID_LIKE))
        .then(pl.format("{}… ({} chữ số)", digits.str.slice(0, 3), digits.str.len_chars()))
        .otherwise(v)
    )
    if name_fields:
        masked = (
            pl.when(pl.col("field").is_in(list(name_fields)) & v.str.contains(_NAME_LIKE))
            .then(pl.format("(văn bản, {} ký tự)", v.str.len_chars()))
            .otherwise(masked)
        )
    return issues.with_columns(masked.alias("value"))


def _name_fields(source: Source) -> frozenset[str]:
    if not source.personal:
        return frozenset()
    return frozenset(
        label
        for c in source.spec.columns
        if c.key in _PERSON_TEXT_KEYS
        for label in (c.key, *c.headers)
    )


def _reader_notes(notes: list[tuple[str, str | None, str, str | None]]) -> list[pl.DataFrame]:
    """The reader's own warnings as file-level issues."""
    return [file_issue(f, r, "warning", m, v) for r, f, m, v in notes]


def _file_base(path: Path, rel: str, sha: str, source: Source) -> dict[str, object]:
    """What every outcome of a file says about the file itself."""
    try:
        size = path.lstat().st_size
    except OSError:
        size = None
    return dict(source=source.name, source_file=rel, file_sha256=sha, file_size=size)


def evaluate_file(
    path: Path, rel: str, sha: str, source: Source, ctx: IngestContext
) -> FileOutcome:
    """Read and judge one file without touching the warehouse (also used by `cds check`)."""
    base = _file_base(path, rel, sha, source)
    if path.is_symlink():
        return _rejected(base, {}, _symlink_rejection(path), rows_read=0)
    by_name = _trace(rel, None, ctx, source)  # a file refused unread: its name and folders
    try:
        layout, read = read_through_layouts(path, source, ctx)
    except FileRejected as rej:  # its header block, where it was read, else its name
        traced = _trace(rel, rej.header, ctx, source) if rej.header else by_name
        return _rejected(base, traced, rej, rows_read=0)
    except OSError as exc:  # permissions, a file locked or removed while being read
        rej = FileRejected(
            "file_unreadable", f"Không đọc được tệp: {exc.strerror or type(exc).__name__}"
        )
        return _rejected(base, by_name, rej, rows_read=0)
    header = read.header
    try:
        applied = apply_layout(read, layout, rel, source, ctx)
        header = applied.read.header
        shaped = _with_layout(source.shape(applied.read, ctx), applied, source)
    except FileRejected as rej:
        rej.sheet = rej.sheet or read.sheet
        return _rejected(
            base,
            {**_trace(rel, header, ctx, source), "layout": layout.name},
            rej,
            rows_read=read.data.height,
            sheet=read.sheet,
            header_row=read.header_row,
        )
    shaped.meta.update(layout=layout.name, fields_not_available=applied.not_available)
    return _accepted(base, read, shaped, source)


def _with_layout(shaped: Shaped, applied: LayoutApplied, source: Source) -> Shaped:
    """The source's outcome with the layout's own: rows it quarantined for a value it
    does not list, and the landing columns of fields it cannot supply set to null."""
    nulls = [
        pl.lit(None, source.landing_schema[col]).alias(col)
        for key in applied.not_available
        for col in source.optional_fields[key]
        if col in shaped.accepted.columns
    ]
    accepted = shaped.accepted.with_columns(nulls) if nulls else shaped.accepted
    if applied.quarantined.height:
        quarantined = pl.concat([shaped.quarantined, applied.quarantined], how="diagonal_relaxed")
    else:
        quarantined = shaped.quarantined
    issues = pl.concat([applied.issues, shaped.issues]).select(list(ISSUE_SCHEMA))
    return Shaped(meta=shaped.meta, accepted=accepted, quarantined=quarantined, issues=issues)


def _trace(
    rel: str, header: dict[str, str | None] | None, ctx: IngestContext, source: Source
) -> dict[str, object]:
    """The school, year and period of a rejected file (trace.py); a source due in one period
    only (the CĐS self-assessment: `ca_nam`) has that period once its school year is known."""
    traced = trace_school(rel, header, ctx)
    if traced["period"] is None and traced["school_year"] and len(source.periods) == 1:
        traced["period"] = source.periods[0]
    return traced


def _symlink_rejection(path: Path) -> FileRejected:
    return FileRejected(
        "file_symlink",
        f"Tệp là liên kết (symlink) tới '{os.readlink(path)}', không phải tệp thật: "
        "không đọc — chép tệp thật vào thư mục raw/",
        value=os.readlink(path)[:200],
    )


def _accepted(base: dict, read: TableRead, shaped: Shaped, source: Source) -> FileOutcome:
    """A file its rules accepted: its rows, its quarantined rows with every reason, and
    its issues (the reader's own included), capped and with personal data masked."""
    keys = [
        "_row",
        "_sheet",
        *[c.key for c in source.spec.columns if c.key in shaped.quarantined.columns],
    ]
    all_issues = pl.concat(
        [shaped.issues, *_reader_notes(read.notes), *_duplicate_column_issues(read)]
    )
    # every quarantined row keeps all its reasons, even where the issue list is capped
    reasons = (
        all_issues.filter(pl.col("severity") == "error")
        .group_by("_sheet", "_row")
        .agg(pl.col("rule_id").unique().sort().alias("_reasons"))
    )
    quarantined = shaped.quarantined.select(keys).join(
        reasons, on=["_sheet", "_row"], how="left", nulls_equal=True
    )
    meta = dict(shaped.meta)
    if read.kind is not None:
        meta["file_kind"] = read.kind
    return FileOutcome(
        **base,
        status="accepted",
        meta=meta,
        sheet=read.sheet,
        header_row=read.header_row,
        rows_read=read.data.height,
        accepted=shaped.accepted,
        quarantined=quarantined,
        issues=safe_issue_values(cap_issues(all_issues), _name_fields(source)),
        extra_columns=tuple(read.extra_columns),
    )


def _duplicate_column_issues(read: TableRead) -> list[pl.DataFrame]:
    """A warning naming the columns the table has twice (only the first is read)."""
    if not read.duplicate_columns:
        return []
    return [
        pl.DataFrame(
            [
                {
                    "_row": read.header_row,
                    "_sheet": read.sheet,
                    "field": ", ".join(read.duplicate_columns),
                    "rule_id": "duplicate_column",
                    "severity": "warning",
                    "message_vi": "Cột bị lặp lại: chỉ dùng cột đầu tiên",
                    "value": None,
                }
            ],
            schema=ISSUE_SCHEMA,
        )
    ]


def _rejected(
    base: dict,
    meta: dict,
    rej: FileRejected,
    *,
    rows_read: int,
    sheet: str | None = None,
    header_row: int | None = None,
) -> FileOutcome:
    message = f"Tệp '{base['source_file']}' bị từ chối: {rej.message_vi}"
    issue = pl.DataFrame(
        [
            {
                "_row": rej.row,
                "_sheet": rej.sheet,
                "field": rej.field,
                "rule_id": rej.rule_id,
                "severity": "error",
                "message_vi": message,
                "value": rej.value,
            }
        ],
        schema=ISSUE_SCHEMA,
    )
    issue = safe_issue_values(issue, frozenset())
    return FileOutcome(
        **base,
        status="rejected",
        meta=meta,
        sheet=rej.sheet or sheet,
        header_row=header_row,
        rows_read=0,
        issues=issue,
        reject_rule=rej.rule_id,
        reject_message_vi=message,
    )


def crashed_outcome(
    path: Path,
    rel: str,
    sha: str,
    source: Source,
    *,
    how: str,
    limit_mb: int,
    earlier: tuple[str, str] | None,
) -> FileOutcome:
    """A file whose reader died even alone in a child with a memory limit: rejected."""
    base = _file_base(path, rel, sha, source)
    first = (
        f"Tệp làm chương trình đọc bị dừng đột ngột ở lần chạy trước (lúc {earlier[1]})"
        if earlier is not None
        else "Tệp làm tiến trình đọc bị dừng đột ngột"
    )
    rej = FileRejected(
        "file_crashed_reader",
        f"{first}; đọc lại riêng trong một tiến trình giới hạn {limit_mb:,} MB bộ nhớ thì "
        f"tiến trình đó cũng bị dừng ({how}): kiểm tra lại tệp — mở bằng Excel, lưu lại rồi "
        "nộp lại; nếu vẫn bị, báo cho quản trị hệ thống",
        value=how,
    )
    return _rejected(base, {}, rej, rows_read=0)
