"""Partitions of the periodic sources: one per school year and reporting period.

The periodic sources (statistical report, student and staff exports) are partitioned by
`<school year>_<period>` (`2024-2025_dau_nam`), the pairs taken from the reporting calendar,
so a resubmission for one period loads only that period and the UI can backfill one period.
A full run (`cds run`, the schedule) covers every partition in one run (single-run backfill
policy). Files of a period the calendar does not know are loaded by full runs only.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from pipelines.ingest.sources import PERIODS_BY_REPORT, SOURCES
from pipelines.reference.calendar import load_calendar
from pipelines.reference.code_lists import CodeLists

# the periodic sources, as declared (`Source.partitioned`)
PARTITIONED_SOURCES = tuple(name for name, source in SOURCES.items() if source.partitioned)


def partition_key(school_year: str, period: str) -> str:
    return f"{school_year}_{period}"


def parse_partition_key(key: str) -> tuple[str, str]:
    """`2024-2025_cuoi_nam` → (`2024-2025`, `cuoi_nam`); the school year holds no `_`."""
    year, _, period = key.partition("_")
    return year, period


def period_keys(calendar: pl.DataFrame) -> list[str]:
    """The partition keys of the periodic sources, in calendar order (year, then period)."""
    rows = (
        calendar.filter(pl.col("report").is_in(PARTITIONED_SOURCES))
        .select("school_year", "period", "as_of")
        .group_by("school_year", "period")
        .agg(pl.col("as_of").min())
        .sort("as_of", "school_year", "period")
    )
    return [partition_key(y, p) for y, p in zip(rows["school_year"], rows["period"], strict=True)]


def period_partitions(calendar_path: Path) -> dg.StaticPartitionsDefinition:
    return dg.StaticPartitionsDefinition(
        period_keys(load_calendar(calendar_path, PERIODS_BY_REPORT))
    )


def full_range_tags(partitions: dg.StaticPartitionsDefinition) -> dict[str, str]:
    """Run tags that make one run cover every partition (what `cds run` does)."""
    keys = partitions.get_partition_keys()
    return {ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]}


def file_partition(path: Path, source: str, codes: CodeLists) -> str | None:
    """The partition a periodic file belongs to: from its header block, else (a file the
    reader refuses) from the header it got to read or the folders it sits in
    (`…/2024-2025/dau_nam/…`); None when nothing tells (it is then judged by a full run)."""
    from pipelines.ingest.workbook import FileRejected, read_table
    from pipelines.reference.vocab import is_school_year

    header: dict = {}
    if not path.is_symlink():
        try:
            header = read_table(path, SOURCES[source].spec, codes.markers()).header
        except FileRejected as rej:
            header = rej.header or {}
        except OSError:
            header = {}
    year = (header.get("school_year") or "").replace(" ", "")
    period = codes.lookup("period", header.get("period"))
    if not is_school_year(year):
        year = next((p for p in path.parts if is_school_year(p)), "")
    if period is None:
        period = next((c for p in path.parts if (c := codes.lookup("period", p))), None)
    if not year or period is None:
        return None
    return partition_key(year, period)
