"""The HTML report: one static file, charts inline as SVG, figures from the marts."""

from __future__ import annotations

from pathlib import Path

import jinja2
import polars as pl

from pipelines.reference.labels import Labels
from pipelines.reports import charts
from pipelines.reports.content import SECTIONS, ReportContext

TEMPLATES = Path(__file__).with_name("templates")
BAND_CLASS = {"green": "green", "amber": "amber", "red": "red"}


def infrastructure_targets(infra: pl.DataFrame) -> pl.DataFrame:
    """Share of reporting schools that meet each target of the plan."""
    n = infra.filter(
        pl.col("students_per_computer").is_not_null()
        | pl.col("pct_classrooms_internet").is_not_null()
    ).height
    if n == 0:
        return pl.DataFrame(
            {"Chỉ tiêu": [], "Tỉ lệ trường đạt (%)": []},
            schema={"Chỉ tiêu": pl.String, "Tỉ lệ trường đạt (%)": pl.Float64},
        )
    met = {
        "≤ 2 học sinh/máy tính (Tin học)": infra["meets_computer_ratio"].fill_null(False).sum(),
        "Internet ở mọi phòng học": (infra["pct_classrooms_internet"] >= 100)
        .fill_null(False)
        .sum(),
        "100% giáo viên có chữ ký số": (infra["pct_teachers_digital_signature"] >= 100)
        .fill_null(False)
        .sum(),
        "100% học sinh có học bạ số": (infra["pct_students_digital_transcript"] >= 100)
        .fill_null(False)
        .sum(),
    }
    return pl.DataFrame(
        {
            "Chỉ tiêu": list(met),
            "Tỉ lệ trường đạt (%)": [round(100 * v / n, 1) for v in met.values()],
        }
    )


def render_html_report(frames: dict[str, pl.DataFrame], ctx: ReportContext, labels: Labels) -> str:
    completeness = frames["completeness"]
    latest_period = completeness["period"].max() if completeness.height else None
    league = completeness.filter(pl.col("period") == latest_period).sort(
        "completeness_score", descending=True, nulls_last=True
    )
    summary = frames["cds_levels"]
    targets = infrastructure_targets(frames["infrastructure"])
    reporting = frames["reporting"].with_columns(
        pl.col("report").replace(labels.values["report"]),
        pl.col("period").replace(labels.values["period"]),
        pl.col("status").replace(labels.values["status"]),
    )
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    return environment.get_template("report.html.j2").render(
        ctx=ctx,
        sections=SECTIONS,
        n_schools=summary.height,
        level_counts=summary.group_by("verified_level").len().sort("verified_level").rows(),
        district=frames["cds_summary"].to_dicts(),
        chart_levels=charts.levels_by_school_level(
            frames["cds_summary"].with_columns(pl.col("level").replace(labels.values["level"]))
        ),
        chart_on_time=charts.on_time_by_report(reporting),
        chart_targets=charts.targets_met(targets),
        targets=targets.rows(),
        league=league.to_dicts(),
        league_period=labels.values["period"].get(latest_period, latest_period),
        band_label=labels.values["band"],
        level_label=labels.values["level"],
        band_class=BAND_CLASS,
    )


def write_html_report(
    path: Path, frames: dict[str, pl.DataFrame], ctx: ReportContext, labels: Labels
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render_html_report(frames, ctx, labels), encoding="utf-8")
    tmp.replace(path)
