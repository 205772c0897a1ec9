"""Load and validate `reporting_calendar.csv` (contract §4)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

from pipelines.reference.csv_file import read_reference_csv
from pipelines.reference.vocab import SCHOOL_LEVELS, is_school_year

COLUMNS = ("report", "school_year", "period", "levels", "as_of", "due_school", "due_district")
DATE_COLUMNS = ("as_of", "due_school", "due_district")


class CalendarError(ValueError):
    """The calendar breaks its format; the message names the line."""


def parse_calendar(
    df: pl.DataFrame,
    periods_by_report: Mapping[str, tuple[str, ...]],
    origin: str = "reporting_calendar.csv",
) -> pl.DataFrame:
    """Validate a calendar read as strings; return it typed (dates as `pl.Date`).
    `periods_by_report`: the reports the calendar may schedule and their periods, as the
    sources declare them (`pipelines.ingest.sources.PERIODS_BY_REPORT`)."""
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise CalendarError(f"{origin}: thiếu cột {', '.join(missing)}")
    df = df.select(COLUMNS).with_columns(pl.col(c).str.strip_chars() for c in COLUMNS)
    seen: set[tuple[str, str, str]] = set()
    for n, row in enumerate(df.iter_rows(named=True), start=2):  # line 1 is the header
        where = f"{origin}, dòng {n}"
        report = row["report"]
        if report not in periods_by_report:
            raise CalendarError(f"{where}: loại báo cáo '{report}' không hợp lệ")
        if not is_school_year(row["school_year"] or ""):
            raise CalendarError(
                f"{where}: năm học '{row['school_year']}' không hợp lệ (vd 2024-2025)"
            )
        if row["period"] not in periods_by_report[report]:
            raise CalendarError(
                f"{where}: kỳ '{row['period']}' không hợp lệ cho {report} "
                f"(chỉ nhận {', '.join(periods_by_report[report])})"
            )
        for lv in (row["levels"] or "").split():
            if lv not in SCHOOL_LEVELS:
                raise CalendarError(f"{where}: cấp học '{lv}' không hợp lệ")
        key = (report, row["school_year"], row["period"])
        if key in seen:
            raise CalendarError(f"{where}: trùng mục {report} {row['school_year']} {row['period']}")
        seen.add(key)
    typed = df.with_columns(
        pl.col(c).str.to_date("%Y-%m-%d", strict=False).alias(c) for c in DATE_COLUMNS
    ).with_columns(pl.col("levels").fill_null(""))
    for c in DATE_COLUMNS:
        bad = typed.with_row_index("n", offset=2).filter(pl.col(c).is_null())
        if bad.height:
            raise CalendarError(
                f"{origin}, dòng {bad['n'][0]}: cột {c} phải là ngày dạng yyyy-mm-dd"
            )
    late = typed.with_row_index("n", offset=2).filter(pl.col("due_district") < pl.col("due_school"))
    if late.height:
        raise CalendarError(
            f"{origin}, dòng {late['n'][0]}: hạn gửi tỉnh (due_district) sớm hơn hạn trường gửi"
        )
    return typed


def load_calendar(path: Path, periods_by_report: Mapping[str, tuple[str, ...]]) -> pl.DataFrame:
    """Read and validate the calendar CSV (`parse_calendar`)."""
    df = read_reference_csv(path, CalendarError, "lịch báo cáo")
    return parse_calendar(df, periods_by_report, origin=Path(path).name)
