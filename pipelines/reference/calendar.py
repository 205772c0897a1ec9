"""Load and validate `reporting_calendar.csv` (contract §4)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.reference.vocab import PERIODS_BY_REPORT, SCHOOL_LEVELS, is_school_year

COLUMNS = ("report", "school_year", "period", "levels", "as_of", "due_school", "due_district")
DATE_COLUMNS = ("as_of", "due_school", "due_district")


class CalendarError(ValueError):
    """The calendar breaks its format; the message names the line."""


def parse_calendar(df: pl.DataFrame, origin: str = "reporting_calendar.csv") -> pl.DataFrame:
    """Validate a calendar read as strings; return it typed (dates as `pl.Date`)."""
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise CalendarError(f"{origin}: thiếu cột {', '.join(missing)}")
    df = df.select(COLUMNS).with_columns(pl.col(c).str.strip_chars() for c in COLUMNS)
    seen: set[tuple[str, str, str]] = set()
    for n, row in enumerate(df.iter_rows(named=True), start=2):  # line 1 is the header
        where = f"{origin}, dòng {n}"
        report = row["report"]
        if report not in PERIODS_BY_REPORT:
            raise CalendarError(f"{where}: loại báo cáo '{report}' không hợp lệ")
        if not is_school_year(row["school_year"] or ""):
            raise CalendarError(
                f"{where}: năm học '{row['school_year']}' không hợp lệ (vd 2024-2025)"
            )
        if row["period"] not in PERIODS_BY_REPORT[report]:
            raise CalendarError(
                f"{where}: kỳ '{row['period']}' không hợp lệ cho {report} "
                f"(chỉ nhận {', '.join(PERIODS_BY_REPORT[report])})"
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


def load_calendar(path: Path) -> pl.DataFrame:
    """Read and validate the calendar CSV."""
    try:
        df = pl.read_csv(path, infer_schema=False, encoding="utf8")
    except FileNotFoundError as exc:
        raise CalendarError(f"Không tìm thấy lịch báo cáo: {path}") from exc
    except pl.exceptions.PolarsError as exc:
        raise CalendarError(f"{Path(path).name}: không đọc được tệp CSV: {exc}") from exc
    return parse_calendar(df, origin=Path(path).name)
