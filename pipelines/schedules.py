"""Refreshes timed by the reporting calendar, not by dates in code.

Every morning at 06:00 (Asia/Ho_Chi_Minh) the schedule reads `reporting_calendar.csv` and
refreshes the whole warehouse when a school or district deadline (`due_school`,
`due_district`) falls within the next `WINDOW_DAYS` days, the deadline morning included;
otherwise only on Mondays. Editing the calendar changes the next tick, with no code change.
"""

from __future__ import annotations

from datetime import date

import dagster as dg
import polars as pl

from pipelines.ingest.sources import PERIODS_BY_REPORT
from pipelines.partitions import full_range_tags
from pipelines.reference.calendar import load_calendar
from pipelines.resources import CdsPaths

WINDOW_DAYS = 14
WEEKLY_ON = 0  # Monday
TIMEZONE = "Asia/Ho_Chi_Minh"
DEADLINE_KINDS = {"due_school": "hạn trường nộp", "due_district": "hạn gửi tỉnh"}


def refresh_reason(calendar: pl.DataFrame, day: date) -> str | None:
    """Why the warehouse refreshes on `day`, or None when it does not."""
    deadlines = (
        calendar.unpivot(
            index=["report", "school_year", "period"],
            on=list(DEADLINE_KINDS),
            variable_name="kind",
            value_name="due",
        )
        .with_columns(days_left=(pl.col("due") - pl.lit(day)).dt.total_days())
        .filter(pl.col("days_left").is_between(0, WINDOW_DAYS))
        .sort("days_left", "due", "report", "kind")
    )
    if deadlines.height:
        first = deadlines.row(0, named=True)
        what = (
            f"{DEADLINE_KINDS[first['kind']]} {first['report']} {first['school_year']} "
            f"{first['period']} ({first['due']:%d/%m/%Y})"
        )
        if first["days_left"] == 0:
            return f"Sáng ngày {what}"
        return f"Còn {first['days_left']} ngày đến {what}"
    if day.weekday() == WEEKLY_ON:
        return "Làm mới hằng tuần (không có hạn nộp trong 14 ngày tới)"
    return None


def deadline_schedule(
    job: dg.UnresolvedAssetJobDefinition,
    periods: dg.StaticPartitionsDefinition,
    default_status: dg.DefaultScheduleStatus,
) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="deadline_refresh",
        cron_schedule="0 6 * * *",
        execution_timezone=TIMEZONE,
        job=job,
        default_status=default_status,
        description=(
            "6 giờ sáng mỗi ngày (giờ Việt Nam): chạy lại toàn bộ khi còn 14 ngày hoặc ít hơn "
            "đến một hạn nộp trong reporting_calendar.csv (kể cả sáng ngày hạn), ngoài ra chỉ "
            "chạy vào thứ Hai. Lý do của mỗi lần chạy ghi ở nhãn cds/reason."
        ),
    )
    def _schedule(context: dg.ScheduleEvaluationContext, paths: CdsPaths):
        day = context.scheduled_execution_time.date()
        calendar = load_calendar(
            paths.settings.reference_file("reporting_calendar.csv"), PERIODS_BY_REPORT
        )
        reason = refresh_reason(calendar, day)
        if reason is None:
            return dg.SkipReason(f"{day:%d/%m/%Y}: không có hạn nộp trong {WINDOW_DAYS} ngày tới")
        return dg.RunRequest(
            run_key=f"refresh-{day.isoformat()}",
            tags={**full_range_tags(periods), "cds/trigger": "schedule", "cds/reason": reason},
        )

    return _schedule
