"""The HTML report: one static file, charts inline as SVG, figures from the marts."""

from __future__ import annotations

from pathlib import Path

import jinja2
import polars as pl

from pipelines.reference.labels import Labels
from pipelines.reports import charts
from pipelines.reports.content import SECTIONS, ReportContext

AREA_KEYS = ("areas", "province")  # the breakdown by area, then the province-wide summary

TEMPLATES = Path(__file__).with_name("templates")
# beside the report: the SVG of each chart already rendered, by its specification
CHART_CACHE = ".charts"


def infrastructure_targets(targets: pl.DataFrame) -> pl.DataFrame:
    """The plan's infrastructure targets, as the mart computes them, one row each."""
    names = {
        "pct_schools_computer_ratio_met": "Trường đạt ≤ 2 học sinh/máy tính (Tin học)",
        "pct_schools_internet_all_classrooms": "Trường có Internet ở mọi phòng học",
        "pct_schools_all_staff_signature": "Trường có 100% giáo viên ký số",
        "avg_pct_students_digital_transcript": "Học sinh có học bạ số (trung bình)",
    }
    return (
        targets.select(list(names))
        .unpivot(variable_name="key", value_name="Tỉ lệ (%)")
        .filter(pl.col("Tỉ lệ (%)").is_not_null())
        .select(
            pl.col("key").replace_strict(names).alias("Chỉ tiêu"),
            pl.col("Tỉ lệ (%)").cast(pl.Float64).round(1),
        )
    )


FOLLOW_UP_SHOWN = 30  # the page shows the head of the list; the Excel report has it all


def area_table(df: pl.DataFrame, labels: Labels) -> dict:
    """An area section as headers and cells (numbers to one decimal, blanks for nulls)."""

    def cell(value: object) -> str:
        if value is None:
            return ""
        return f"{value:.1f}" if isinstance(value, float) else str(value)

    return {
        "headers": [labels.column(c) for c in df.columns],
        "rows": [[cell(v) for v in row] for row in df.rows()],
    }


def render_html_report(
    frames: dict[str, pl.DataFrame],
    ctx: ReportContext,
    labels: Labels,
    chart_cache: Path | None = None,
) -> str:
    league = (
        frames["completeness"]
        .filter(pl.col("period") == ctx.period)
        .sort("completeness_score", descending=True, nulls_last=True)
    )
    summary = frames["cds_levels"]
    targets = infrastructure_targets(frames["targets"])
    reporting = frames["reporting"].with_columns(
        pl.col("report").replace(labels.values["report"]),
        pl.col("period").replace(labels.values["period"]),
        pl.col("status").replace(labels.values["status"]),
    )
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    sections = [s.for_report(ctx) for s in SECTIONS]
    return environment.get_template("report.html.j2").render(
        ctx=ctx,
        sections=sections,
        area_sections=[
            (s, area_table(frames[s.key], labels)) for s in sections if s.key in AREA_KEYS
        ],
        n_schools=summary.height,
        level_counts=summary.group_by("verified_level").len().sort("verified_level").rows(),
        district=frames["cds_summary"].to_dicts(),
        chart_levels=charts.levels_by_school_level(
            frames["cds_summary"].with_columns(pl.col("level").replace(labels.values["level"])),
            chart_cache,
        ),
        chart_on_time=charts.on_time_by_report(reporting, chart_cache),
        chart_targets=charts.targets_met(targets, chart_cache),
        targets=targets.rows(),
        league=league.to_dicts(),
        league_period=labels.values["period"].get(ctx.period, ctx.period),
        band_label=labels.values["band"],
        follow_up=frames["follow_up"].head(FOLLOW_UP_SHOWN).to_dicts(),
        follow_up_total=frames["follow_up"].height,
        item_label=labels.values.get("item", {}),
        issue_counts=dict(frames["issues"].group_by("severity").len().iter_rows()),
        level_label=labels.values["level"],
        trend=frames["cds_trend"].to_dicts(),
        went_down=frames["cds_down"].to_dicts(),
        sync_section=next(s for s in sections if s.key == "sync"),
        sync=area_table(
            frames["sync"].with_columns(pl.col("batch").replace(labels.values.get("batch", {}))),
            labels,
        ),
    )


def write_html_report(
    path: Path, frames: dict[str, pl.DataFrame], ctx: ReportContext, labels: Labels
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cache = path.parent / CHART_CACHE
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render_html_report(frames, ctx, labels, cache), encoding="utf-8")
    tmp.replace(path)
    charts.prune_chart_cache(cache)
