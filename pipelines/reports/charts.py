"""Charts of the HTML report: Altair (Vega-Lite) specifications rendered to SVG by
vl-convert, so the report is one static file that opens offline.

vl-convert starts a JavaScript engine at its first chart of a process (0.4 s); a chart whose
specification (data included) was rendered before is read from `cache` instead, so a run
whose charts did not change never starts it."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import altair as alt
import polars as pl
import vl_convert as vlc

LEVEL_COLOURS = {"Mức 1": "#e06666", "Mức 2": "#f6b26b", "Mức 3": "#6aa84f"}
STATUS_COLOURS = {"Đúng hạn": "#6aa84f", "Nộp muộn": "#f6b26b", "Chưa nộp": "#e06666"}
FONT = "DejaVu Sans, Arial, sans-serif"


# a cached chart not rendered again for this long is removed
CACHE_DAYS = 30


def svg(chart: alt.Chart, cache: Path | None = None) -> str:
    spec = chart.configure(font=FONT).configure_view(stroke=None).to_dict()
    if cache is None:
        return vlc.vegalite_to_svg(spec)
    key = hashlib.sha256(
        json.dumps([vlc.__version__, spec], sort_keys=True, default=str).encode()
    ).hexdigest()
    path = cache / f"{key}.svg"
    try:
        text = path.read_text(encoding="utf-8")
        if text:
            os.utime(path)  # used: kept (never `touch`: a file pruned meanwhile stays gone)
            return text
    except FileNotFoundError:
        pass
    text = vlc.vegalite_to_svg(spec)
    cache.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.tmp")
    aside.write_text(text, encoding="utf-8")
    aside.replace(path)  # whole or absent: another run may be reading it
    return text


def prune_chart_cache(cache: Path, days: float = CACHE_DAYS) -> None:
    """Remove cached charts not used for `days` (old data, old versions of vl-convert)."""
    now = time.time()
    _remove_older(cache, "*.svg", now - days * 86400)
    _remove_older(cache, ".*.tmp", now - 86400)  # what a killed render left, a day old


def _remove_older(folder: Path, pattern: str, oldest: float) -> None:
    for path in folder.glob(pattern) if folder.is_dir() else []:
        try:
            if path.stat().st_mtime < oldest:
                path.unlink(missing_ok=True)
        except FileNotFoundError:  # read and pruned by another run meanwhile
            continue


def _colour(mapping: dict[str, str]) -> alt.Scale:
    return alt.Scale(domain=list(mapping), range=list(mapping.values()))


def levels_by_school_level(summary: pl.DataFrame, cache: Path | None = None) -> str:
    """Stacked bars: schools at each CĐS level, one bar per school level."""
    long = summary.select(
        pl.col("level").alias("Cấp học"),
        pl.col("n_level1").alias("Mức 1"),
        pl.col("n_level2").alias("Mức 2"),
        pl.col("n_level3").alias("Mức 3"),
    ).unpivot(index="Cấp học", variable_name="Mức", value_name="Số trường")
    chart = (
        alt.Chart(long.to_pandas(), title="Số trường theo mức CĐS và cấp học")
        .mark_bar()
        .encode(
            y=alt.Y("Cấp học:N", sort=None),
            x=alt.X("Số trường:Q", stack="zero"),
            color=alt.Color("Mức:N", scale=_colour(LEVEL_COLOURS)),
            order=alt.Order("Mức:N"),
            tooltip=["Cấp học", "Mức", "Số trường"],
        )
        .properties(width=560, height=40 * max(summary.height, 1))
    )
    return svg(chart, cache)


def on_time_by_report(reporting: pl.DataFrame, cache: Path | None = None) -> str:
    """Stacked percentages: on time, late and missing, for each report and period."""
    share = (
        reporting.group_by("report", "period", "status")
        .len("n")
        .with_columns(
            (pl.col("report") + " · " + pl.col("period")).alias("Báo cáo"),
            (100 * pl.col("n") / pl.col("n").sum().over("report", "period"))
            .round(1)
            .alias("Tỉ lệ (%)"),
        )
        .rename({"status": "Trạng thái"})
        .sort("Báo cáo")
    )
    chart = (
        alt.Chart(share.to_pandas(), title="Nộp báo cáo đúng hạn theo loại báo cáo")
        .mark_bar()
        .encode(
            y=alt.Y("Báo cáo:N", sort=None),
            x=alt.X("Tỉ lệ (%):Q", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("Trạng thái:N", scale=_colour(STATUS_COLOURS)),
            tooltip=["Báo cáo", "Trạng thái", "n", "Tỉ lệ (%)"],
        )
        .properties(width=560, height=28 * max(share["Báo cáo"].n_unique(), 1))
    )
    return svg(chart, cache)


def targets_met(targets: pl.DataFrame, cache: Path | None = None) -> str:
    """Bars: each infrastructure target of the plan, against 100 %."""
    chart = (
        alt.Chart(targets.to_pandas(), title="Chỉ tiêu hạ tầng của kế hoạch (%)")
        .mark_bar(color="#3d85c6")
        .encode(
            y=alt.Y("Chỉ tiêu:N", sort=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("Tỉ lệ (%):Q", scale=alt.Scale(domain=[0, 100])),
            tooltip=["Chỉ tiêu", "Tỉ lệ (%)"],
        )
        .properties(width=560, height=34 * max(targets.height, 1))
    )
    return svg(chart, cache)
