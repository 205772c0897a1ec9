"""What every source shares: the context its rules need and the header-block checks."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from pipelines.ingest.pseudonym import Pseudonymizer
from pipelines.ingest.rules import ISSUE_SCHEMA, RowRule
from pipelines.ingest.text import parse_date_expr
from pipelines.ingest.workbook import FileRejected, HeaderField, TableRead, TableSpec
from pipelines.reference.cds_index import CdsIndex, load_index
from pipelines.reference.code_lists import CodeLists
from pipelines.reference.layouts import Layout
from pipelines.reference.vocab import SCHOOL_YEAR_RE, is_school_year
from pipelines.settings import run_date

SCHOOL_CODE_RE = re.compile(r"^[0-9A-Z]{6,12}$")


# The columns school_code_rules(in_registry=True) reads, added by with_registry
IN_REGISTRY = "in_registry"
NEAR_HINT = "near_school_hint"


def with_registry(df: pl.DataFrame, ctx: IngestContext) -> pl.DataFrame:
    """`df` with whether each row's school is in the registry (every school is when the
    registry is not known: `cds check`) and, for a code the registry lacks, the registry's
    codes one slip away (`near_hint`), found once per distinct unknown code."""
    if ctx.registry is None:
        return df.with_columns(pl.lit(True).alias(IN_REGISTRY), pl.lit("").alias(NEAR_HINT))
    known = ctx.registry["school_code"]
    code = pl.col("school_code")
    df = df.with_columns(code.is_in(known.implode()).alias(IN_REGISTRY))
    unknown = df.filter(~pl.col(IN_REGISTRY) & code.is_not_null())["school_code"].unique()
    hints = {c: near_hint(c, known) for c in unknown.to_list()}
    return df.with_columns(
        code.replace_strict(hints, default="", return_dtype=pl.String).alias(NEAR_HINT)
    )


def school_year_valid(col: str = "school_year") -> pl.Expr:
    """`is_school_year` over a column: two consecutive years, `2024-2025`."""
    years = pl.col(col).str.extract_groups(SCHOOL_YEAR_RE.pattern)
    first, second = (years.struct.field(n).cast(pl.Int32) for n in ("1", "2"))
    return (first + 1 == second).fill_null(False)


def school_code_rules(
    in_registry: bool = False, unknown: str = "Mã trường không có trong danh mục trường"
) -> list[RowRule]:
    """The row rules of a source that names its school on every row (the registry, the
    office's review decisions, the push history): a code given, of the right shape, and,
    with `in_registry` (the columns `with_registry` adds), a school the registry has, the
    message naming the registry's codes one slip away."""
    code = pl.col("school_code")
    rules = [
        RowRule("required_missing", "school_code", code.is_null(), "Thiếu mã trường"),
        RowRule(
            "invalid_school_code",
            "school_code",
            code.is_not_null() & ~code.str.contains(SCHOOL_CODE_RE.pattern),
            "Mã trường phải gồm 6–12 chữ số hoặc chữ in hoa",
        ),
    ]
    if in_registry:
        rules.append(
            RowRule(
                "unknown_school",
                "school_code",
                code.str.contains(SCHOOL_CODE_RE.pattern) & ~pl.col(IN_REGISTRY),
                pl.concat_str(pl.lit(unknown), pl.col(NEAR_HINT)),
            )
        )
    return rules


def school_year_rules() -> list[RowRule]:
    """A school year on every row: given, and two consecutive years."""
    year = pl.col("school_year")
    return [
        RowRule("required_missing", "school_year", year.is_null(), "Thiếu năm học"),
        RowRule(
            "invalid_school_year",
            "school_year",
            year.is_not_null() & ~school_year_valid(),
            "Năm học không hợp lệ (vd 2024-2025)",
        ),
    ]


HF_SCHOOL = HeaderField("school_code", ("Mã trường",))
HF_YEAR = HeaderField("school_year", ("Năm học",))
HF_PERIOD = HeaderField("period", ("Kỳ báo cáo",))
HF_REPORT_DATE = HeaderField("submitted_on", ("Ngày báo cáo",))
HF_EXPORT_DATE = HeaderField("submitted_on", ("Ngày xuất dữ liệu",))


@dataclass(frozen=True)
class IngestContext:
    """Reference data and registry the rules of a source may consult."""

    codes: CodeLists
    index: CdsIndex | None  # None: read from `index_file` when a rule first asks (cds_index())
    registry: pl.DataFrame | None  # school_code, level, is_active; None: not known (cds check)
    emis_codes: pl.DataFrame | None = None  # emis_indicators.csv
    pseudonymizer: Pseudonymizer | None = None  # needed for personal data
    # (school_year, period) of reporting_calendar.csv; None: not checked (cds check)
    calendar_periods: frozenset[tuple[str, str]] | None = None
    today: date = field(default_factory=run_date)  # the run's date (CDS_RUN_DATE)
    index_file: Path | None = None  # cds_index.yaml, when `index` is not given
    # layouts.yaml: source → its layouts in the order they are tried (contract §2.8);
    # None or a source absent: the source's contract layout from its spec
    layouts: dict[str, tuple[Layout, ...]] | None = None

    def cds_index(self) -> CdsIndex:
        """The CĐS index, read from `index_file` the first time a source asks (only
        cds_assessment does, `Source.reads_index`): a broken cds_index.yaml never stops the
        ingestion of the other sources."""
        if self.index is None:
            if self.index_file is None:
                raise ValueError("IngestContext has neither an index nor an index file")
            object.__setattr__(self, "index", load_index(self.index_file))  # read once
        assert self.index is not None
        return self.index


def near_codes(code: str, known: pl.Series, limit: int = 3) -> list[str]:
    """Registry codes one slip away from `code`: one character changed, or two neighbours
    swapped (`31305926` → `31305026`). A typo is far likelier than a new school."""

    def one_slip(other: str) -> bool:
        if len(other) != len(code):
            return False
        diff = [i for i, (a, b) in enumerate(zip(code, other, strict=True)) if a != b]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and code[diff[0]] == other[diff[1]]
            and code[diff[1]] == other[diff[0]]
        )

    same_length = known.filter(known.str.len_chars() == len(code)).unique().sort()
    return [c for c in same_length.to_list() if one_slip(c)][:limit]


def near_hint(code: str, known: pl.Series) -> str:
    """` — có phải là '31305026'?` after an unknown school code, or nothing."""
    near = near_codes(code, known)
    return f" — có phải là {' hoặc '.join(repr(c) for c in near)}?" if near else ""


# Characters a person cannot see in a cell, and dashes that look like a hyphen.
_INVISIBLE = {
    "\u200b": "ký tự rộng 0 (U+200B)",
    "\u200c": "ký tự rộng 0 (U+200C)",
    "\u200d": "ký tự rộng 0 (U+200D)",
    "\ufeff": "BOM (U+FEFF)",
    "\u00a0": "dấu cách không ngắt (U+00A0)",
    "\u2010": "gạch nối Unicode (U+2010)",
    "\u2011": "gạch nối không ngắt (U+2011)",
    "\u2012": "gạch ngang (U+2012)",
    "\u2013": "gạch ngang ngắn – (U+2013)",
    "\u2014": "gạch ngang dài — (U+2014)",
    "\u2212": "dấu trừ − (U+2212)",
}


def show_invisible(text: str | None) -> str:
    """A message tail naming the invisible or look-alike characters of a value, which a data
    officer cannot see in Excel and would otherwise never find."""
    found = sorted({name for ch, name in _INVISIBLE.items() if text and ch in text})
    return f" (giá trị có ký tự ẩn hoặc dễ nhầm: {', '.join(found)})" if found else ""


@dataclass
class Shaped:
    """A file after its rules: typed rows, quarantined rows, every issue found."""

    meta: dict[str, object]  # school_code, school_year, period, submitted_on
    accepted: pl.DataFrame
    quarantined: pl.DataFrame
    issues: pl.DataFrame  # ISSUE_SCHEMA; `_row` null for file-level issues


@dataclass(frozen=True)
class Source:
    """A raw source, declared once: `pipelines.ingest.sources.SOURCES` lists them, and the
    landing assets, GX checks, partitions, sensor and CLI read that list
    (docs/adding-a-source.md; tests/test_source_registry.py checks each declared source
    has every part it needs: GX suite, dbt source and staging model, labels, sample)."""

    name: str  # the folder under raw/, the landing table, expectations/landing_<name>.json
    title_vi: str
    spec: TableSpec
    shape: Callable[[TableRead, IngestContext], Shaped]
    landing_schema: dict[str, pl.DataType] = field(default_factory=dict)
    personal: bool = False  # carries personal data (names, IDs)
    reads_index: bool = False  # its rules consult the CĐS index (IngestContext.cds_index)
    # what the landing asset reads besides the files: asset keys as "group/name"
    upstream: tuple[str, ...] = ("landing/schools", "reference/code_lists")
    # the reporting periods it is due in (contract vocabulary, checked in the calendar);
    # () for a source the calendar does not schedule (the school registry)
    periods: tuple[str, ...] = ()
    # periodic: one partition per school year and period of the reporting calendar
    partitioned: bool = False
    description_vi: str = ""  # the landing asset's description in the UI
    checks_vi: str = ""  # what its GX suite checks (the asset check's description)
    # field → the landing columns made from it: where a file's layout has no column for
    # the field (contract §2.8), those columns land null ("not available"), never 0/false
    optional_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)


def file_issue(
    field_label: str | None, rule_id: str, severity: str, message_vi: str, value: str | None = None
) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "_row": None,
                "_sheet": None,
                "field": field_label,
                "rule_id": rule_id,
                "severity": severity,
                "message_vi": message_vi,
                "value": value,
            }
        ],
        schema=ISSUE_SCHEMA,
    )


def _parse_date(text: str | None, today: date) -> date | None:
    if not text:
        return None
    return pl.DataFrame({"d": [text]}).select(parse_date_expr("d", today)).item()


# A school year's files cannot be dated before its summer: reports of 2024-2025 are made
# from 1 August 2024 on (the year opens in early September).
SCHOOL_YEAR_OPENS = (8, 1)


def plausible_dates(school_year: str, today: date) -> tuple[date, date]:
    """The window a submission date of `school_year` must fall in: from the summer before
    the year opens to the run's date."""
    month, day = SCHOOL_YEAR_OPENS
    return date(int(school_year[:4]), month, day), today


def _submission_date(
    text: str | None, year: str, today: date, label: str
) -> tuple[date | None, pl.DataFrame | None]:
    """The header's submission date, or None with the warning that says why it is not used.
    A date outside the plausible window (a typo in the year, a future date) would make a
    late report look on time: it is not used, and the report counts as late until fixed."""
    submitted = _parse_date(text, today)
    if submitted is None:
        return None, file_issue(
            label,
            "missing_submission_date",
            "warning",
            f"Thiếu hoặc sai '{label}': không xác định được ngày nộp, tính là nộp muộn",
            text,
        )
    start, end = plausible_dates(year, today)
    if start <= submitted <= end:
        return submitted, None
    why = "sau ngày chạy" if submitted > end else f"trước năm học {year}"
    return None, file_issue(
        label,
        "implausible_submission_date",
        "warning",
        f"'{label}' là {submitted:%d/%m/%Y} ({why}; hợp lệ từ {start:%d/%m/%Y} đến "
        f"{end:%d/%m/%Y}): ngày này không được dùng, báo cáo tính là nộp muộn cho đến khi "
        "ghi đúng ngày",
        text,
    )


def report_header(
    read: TableRead,
    ctx: IngestContext,
    *,
    fixed_period: str | None = None,
    date_label: str = "Ngày báo cáo",
) -> tuple[dict[str, object], pl.DataFrame]:
    """Check the header block of a per-school report; raise FileRejected where the contract
    rejects the file, and return its metadata with any file-level warnings."""
    h = read.header
    code, level = _header_school(read, ctx)
    year = _header_year(read)
    period = fixed_period if fixed_period is not None else _header_period(read, ctx)
    warnings = []
    submitted, date_issue = _submission_date(h.get("submitted_on"), year, ctx.today, date_label)
    if date_issue is not None:
        warnings.append(date_issue)
    if ctx.calendar_periods is not None and (year, period) not in ctx.calendar_periods:
        warnings.append(
            file_issue(
                "Năm học",
                "period_not_in_calendar",
                "warning",
                f"Năm học {year}, kỳ '{period}' không có trong lịch báo cáo "
                "(reporting_calendar.csv): dữ liệu được nạp nhưng không thuộc hạn nộp nào",
                f"{year} {period}",
            )
        )
    meta = {
        "school_code": code,
        "school_year": year,
        "period": period,
        "submitted_on": submitted,
        "school_level": level,
    }
    issues = pl.concat(warnings) if warnings else pl.DataFrame(schema=ISSUE_SCHEMA)
    return meta, issues


def _header_school(read: TableRead, ctx: IngestContext) -> tuple[str, str | None]:
    """The header's school code and the registry's level for it (None: no registry, as
    in `cds check`); a missing or unknown code rejects the file."""
    raw_code = read.header.get("school_code")
    code = (raw_code or "").strip().upper()
    if not code:
        raise FileRejected(
            "header_missing_school_code",
            "Thiếu 'Mã trường' ở phần đầu tệp",
            sheet=read.sheet,
            field="Mã trường",
        )
    if ctx.registry is None:  # `cds check` without a registry: the school cannot be checked
        return code, None
    known = ctx.registry.filter(pl.col("school_code") == code)
    if known.height == 0:
        raise FileRejected(
            "unknown_school",
            f"Mã trường '{code}' không có trong danh mục trường"
            + near_hint(code, ctx.registry["school_code"])
            + show_invisible(raw_code),
            sheet=read.sheet,
            field="Mã trường",
            value=code,
        )
    return code, known["level"][0]


def _header_year(read: TableRead) -> str:
    """The header's school year; missing or malformed, the file is rejected."""
    year = (read.header.get("school_year") or "").replace(" ", "")
    if not year:
        raise FileRejected(
            "header_missing_school_year",
            "Thiếu 'Năm học' ở phần đầu tệp",
            sheet=read.sheet,
            field="Năm học",
        )
    if not is_school_year(year):
        raise FileRejected(
            "invalid_school_year",
            f"Năm học '{year}' không hợp lệ (vd 2024-2025)" + show_invisible(year),
            sheet=read.sheet,
            field="Năm học",
            value=year,
        )
    return year


def _header_period(read: TableRead, ctx: IngestContext) -> str:
    """The header's period as a code (`dau_nam`, `cuoi_nam`); otherwise the file is rejected."""
    raw_period = read.header.get("period")
    if not raw_period:
        raise FileRejected(
            "header_missing_period",
            "Thiếu 'Kỳ báo cáo' ở phần đầu tệp",
            sheet=read.sheet,
            field="Kỳ báo cáo",
        )
    period = ctx.codes.lookup("period", raw_period)
    if period not in ("dau_nam", "cuoi_nam"):
        raise FileRejected(
            "invalid_period",
            f"Kỳ báo cáo '{raw_period}' không hợp lệ (Đầu năm hoặc Cuối năm)",
            sheet=read.sheet,
            field="Kỳ báo cáo",
            value=raw_period,
        )
    return period
