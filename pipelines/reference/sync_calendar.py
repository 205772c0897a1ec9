"""Load and validate `sync_calendar.csv`: the push windows of each term (contract §2.7).

One row per school year, term (1, 2) and batch (`students`, `teachers`, `classes`,
`results`): the levels it applies to (space-separated, blank = all), the day the window
opens (`opens_on`: from then on, an active school with no push of that batch and term is a
missing push), the day pushes are due (`due_on`), and the reporting period whose exports and
statistical report the term's pushes are compared with (`period`: `dau_nam`, `cuoi_nam`). A sibling of `reporting_calendar.csv`:
pushes are not reports, and counting them there would change the reporting rates.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.reference.csv_file import read_reference_csv
from pipelines.reference.vocab import SCHOOL_LEVELS, is_school_year

COLUMNS = ("school_year", "term", "batch", "levels", "opens_on", "due_on", "period")
PERIODS = ("dau_nam", "cuoi_nam")
TERMS = ("1", "2")
BATCHES = ("students", "teachers", "classes", "results")


class SyncCalendarError(ValueError):
    """The push calendar breaks its format; the message names the line."""


def parse_sync_calendar(df: pl.DataFrame, origin: str = "sync_calendar.csv") -> pl.DataFrame:
    """Validate a push calendar read as strings; return it typed (term as an integer,
    dates as `pl.Date`)."""
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise SyncCalendarError(f"{origin}: thiếu cột {', '.join(missing)}")
    df = df.select(COLUMNS).with_columns(pl.col(c).str.strip_chars() for c in COLUMNS)
    seen: set[tuple[str, str, str]] = set()
    for n, row in enumerate(df.iter_rows(named=True), start=2):  # line 1 is the header
        where = f"{origin}, dòng {n}"
        if not is_school_year(row["school_year"] or ""):
            raise SyncCalendarError(
                f"{where}: năm học '{row['school_year']}' không hợp lệ (vd 2024-2025)"
            )
        if row["term"] not in TERMS:
            raise SyncCalendarError(f"{where}: học kỳ '{row['term']}' không hợp lệ (1 hoặc 2)")
        if row["batch"] not in BATCHES:
            raise SyncCalendarError(
                f"{where}: đợt đẩy '{row['batch']}' không hợp lệ (chỉ nhận {', '.join(BATCHES)})"
            )
        if row["period"] not in PERIODS:
            raise SyncCalendarError(
                f"{where}: kỳ '{row['period']}' không hợp lệ (chỉ nhận {', '.join(PERIODS)})"
            )
        for lv in (row["levels"] or "").split():
            if lv not in SCHOOL_LEVELS:
                raise SyncCalendarError(f"{where}: cấp học '{lv}' không hợp lệ")
        key = (row["school_year"], row["term"], row["batch"])
        if key in seen:
            raise SyncCalendarError(f"{where}: trùng mục {' '.join(key)}")
        seen.add(key)
    typed = df.with_columns(
        pl.col("term").cast(pl.Int64),
        pl.col("levels").fill_null(""),
        *[pl.col(c).str.to_date("%Y-%m-%d", strict=False) for c in ("opens_on", "due_on")],
    ).with_row_index("n", offset=2)
    for c in ("opens_on", "due_on"):
        bad = typed.filter(pl.col(c).is_null())
        if bad.height:
            raise SyncCalendarError(
                f"{origin}, dòng {bad['n'][0]}: cột {c} phải là ngày dạng yyyy-mm-dd"
            )
    early = typed.filter(pl.col("due_on") < pl.col("opens_on"))
    if early.height:
        raise SyncCalendarError(
            f"{origin}, dòng {early['n'][0]}: hạn đẩy (due_on) sớm hơn ngày mở đợt (opens_on)"
        )
    return typed.drop("n")


def load_sync_calendar(path: Path) -> pl.DataFrame:
    """Read and validate the push calendar CSV (`parse_sync_calendar`)."""
    df = read_reference_csv(path, SyncCalendarError, "lịch đẩy dữ liệu")
    return parse_sync_calendar(df, origin=Path(path).name)
