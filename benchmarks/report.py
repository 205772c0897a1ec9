"""The table `make bench` prints and writes to BENCHMARKS.md, with the targets of issue 9 and
the fitted growth."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np

from benchmarks.baselines import Baseline
from benchmarks.measure import Measured
from benchmarks.scales import Scale

STAGES = ("ingest", "validation", "dbt", "publish", "overhead")
PROFILING_NOTES = Path(__file__).with_name("profiling.md")
# written by `python -m benchmarks.parallel` (provinces in parallel, issue 17)
PARALLEL_RESULTS = Path(__file__).with_name("parallel.md")


@dataclass
class ScaleResult:
    scale: Scale
    files: int
    size_mb: float
    rows_read: int
    files_recorded: int
    full: Measured
    full_stages: dict[str, float]
    incremental: Measured
    incremental_stages: dict[str, float]
    floor: Baseline
    naive: Baseline | None

    @property
    def ingest_rows_per_s(self) -> float:
        return self.rows_read / self.full_stages["ingest"]

    @property
    def floor_ratio(self) -> float:
        return self.full_stages["ingest"] / self.floor.seconds


def _machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        disk = subprocess.run(
            ["df", "-h", "."], capture_output=True, text=True
        ).stdout.splitlines()[-1]
    except OSError:
        disk = "?"
    libs = ", ".join(
        f"{p} {version(p)}"
        for p in (
            "dagster",
            "dbt-core",
            "dbt-duckdb",
            "duckdb",
            "polars",
            "great-expectations",
            "fastexcel",
            "pandas",
            "openpyxl",
        )
    )
    return (
        f"- CPU: {cpu}, {os.cpu_count()} logical cores; RAM {mem_gb:.0f} GB\n"
        f"- OS: {platform.platform()}; Python {platform.python_version()}\n"
        f"- Disk (`df -h .`): `{disk}`\n"
        f"- Libraries: {libs}\n"
        "- OS page cache warm (the generator has just written or read the files); "
        "Python and dbt start cold in a new process for every run."
    )


def _row(r: ScaleResult) -> str:
    s = r.full_stages
    naive = f"{r.naive.seconds:.1f} ({r.naive.seconds / s['ingest']:.1f}×)" if r.naive else "—"
    return (
        f"| {r.scale.name} | {r.files:,} | {r.size_mb:,.0f} | {r.rows_read:,} | "
        f"**{r.full.seconds:.1f}** | "
        + " | ".join(f"{s[k]:.1f}" for k in STAGES)
        + f" | {r.full.peak_rss_mb:,.0f} | {r.ingest_rows_per_s:,.0f} | "
        f"**{r.incremental.seconds:.1f}** | {r.incremental.peak_rss_mb:,.0f} | "
        f"{r.floor.seconds:.1f} | {r.floor_ratio:.1f}× | {naive} |"
    )


def _fit(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """Least-squares y = a + b·x, and the exponent k of y ∝ x^k on a log-log fit."""
    b, a = np.polyfit(xs, ys, 1)
    k = float(np.polyfit(np.log(xs), np.log(ys), 1)[0]) if len(xs) > 1 else float("nan")
    return float(a), float(b), k


def _growth(results: list[ScaleResult]) -> tuple[str, dict[str, float] | None]:
    if len(results) < 2:
        return "Growth needs at least two scales.", None
    rows = [float(r.rows_read) for r in results]
    a_t, b_t, k_t = _fit(rows, [r.full.seconds for r in results])
    a_m, b_m, k_m = _fit(rows, [r.full.peak_rss_mb for r in results])
    text = (
        f"Fitted over {len(results)} sizes ({', '.join(r.scale.name for r in results)}), "
        "x = rows read by the ingest:\n\n"
        f"- time: {a_t:.1f} s + {b_t * 1e6:.1f} s per million rows; log-log exponent "
        f"**{k_t:.2f}** (1.00 = linear)\n"
        f"- peak memory: {a_m:,.0f} MB + {b_m * 1e6:,.0f} MB per million rows; log-log "
        f"exponent **{k_m:.2f}**\n"
    )
    fraction = next((r for r in reversed(results) if r.scale.national_fraction), None)
    if fraction is None:
        return text, None
    national_rows = fraction.rows_read / fraction.scale.national_fraction
    # Memory is bounded by design (DuckDB's memory_limit, batches and validation chunks of
    # fixed size), so it is extrapolated from the two largest sizes, where the bounds hold,
    # not from the fit through the district, where they do not bind yet.
    big = sorted(results, key=lambda r: r.rows_read)[-2:]
    slope = (big[1].full.peak_rss_mb - big[0].full.peak_rss_mb) / max(
        big[1].rows_read - big[0].rows_read, 1
    )
    est = {
        "rows": national_rows,
        "seconds": a_t + b_t * national_rows,
        "peak_mb": big[1].full.peak_rss_mb + max(slope, 0) * (national_rows - big[1].rows_read),
        "peak_mb_fit": a_m + b_m * national_rows,
        "from": fraction.scale.name,
    }
    text += (
        f"\n**National extrapolation** (rows of `{fraction.scale.name}` × "
        f"{1 / fraction.scale.national_fraction:.0f}: {national_rows:,.0f} rows): "
        f"{est['seconds'] / 60:,.0f} min by the linear fit of time; peak memory "
        f"{est['peak_mb'] / 1024:.1f} GB from the slope between {big[0].scale.name} and "
        f"{big[1].scale.name} ({slope * 1e6:,.0f} MB per million rows; the fit through all "
        f"sizes, which memory's bounds do not follow, would say "
        f"{est['peak_mb_fit'] / 1024:.1f} GB). "
        "The full national run is `cds generate --scale national --out .bench/national/raw "
        "--faults` then `cds run --raw .bench/national/raw --warehouse .bench/national/warehouse`"
        " (about 27 GB of files; not run in a session).\n"
    )
    return text, est


def _targets(results: list[ScaleResult], national: dict[str, float] | None) -> str:
    by = {r.scale.name: r for r in results}
    lines = ["| target | measured | met |", "|---|---|---|"]

    def add(name: str, value: str, ok: bool) -> None:
        lines.append(f"| {name} | {value} | {'yes' if ok else '**no**'} |")

    if d := by.get("district"):
        add(
            "district full run ≤ 60 s from cold, Python start-up included",
            f"{d.full.seconds:.1f} s",
            d.full.seconds <= 60,
        )
        add(
            "incremental one-school run ≤ 15 s",
            f"{d.incremental.seconds:.1f} s",
            d.incremental.seconds <= 15,
        )
    if p := by.get("province"):
        add("province full run ≤ 5 min", f"{p.full.seconds / 60:.1f} min", p.full.seconds <= 300)
    if national:
        add(
            f"national full run ≤ 45 min (extrapolated from {national['from']})",
            f"{national['seconds'] / 60:.0f} min",
            national["seconds"] <= 2700,
        )
        add(
            "national peak memory ≤ 8 GB (extrapolated)",
            f"{national['peak_mb'] / 1024:.1f} GB",
            national["peak_mb"] <= 8192,
        )
    for r in results:
        add(
            f"{r.scale.name}: ingest within 3× of the DuckDB floor",
            f"{r.floor_ratio:.1f}×",
            r.floor_ratio <= 3,
        )
    return "\n".join(lines)


def write_report(results: list[ScaleResult], out: Path, argv: list[str]) -> str:
    header = (
        "| scale | files | MB | rows read | full run s | ingest | validation | dbt | publish "
        "| overhead | peak RSS MB | ingest rows/s | incremental s | incr. peak MB | floor s "
        "| ingest ÷ floor | pandas+openpyxl s (÷ ingest) |\n"
        "|---|" + "---:|" * 16
    )
    table = "\n".join([header, *(_row(r) for r in results)])
    growth, national = _growth(results)
    command = "python -m benchmarks " + " ".join(argv) if argv else "make bench"
    notes = PROFILING_NOTES.read_text(encoding="utf-8") if PROFILING_NOTES.exists() else ""
    if PARALLEL_RESULTS.exists():
        notes = PARALLEL_RESULTS.read_text(encoding="utf-8") + "\n" + notes
    text = f"""# Benchmarks

Written by `make bench` ({command}) on {datetime.now():%Y-%m-%d %H:%M}. Do not edit by hand:
run it again. Hand-written notes come from `benchmarks/profiling.md`.

## Machine

{_machine()}

## How it is measured

- Inputs: `cds generate --scale <scale> --seed 20241 --faults` (planted faults included),
  generated once into `.bench/<scale>/raw` and reused while the command is unchanged.
- Full run: `cds run --raw .bench/<scale>/raw --warehouse .bench/<scale>/warehouse --timings …`
  from an empty warehouse, in a new process; wall time from outside, so Python start-up counts.
- Incremental run: one school's corrected EMIS report (`*_nop_lai.xlsx`, dated three days later,
  one count +1) is added, then the same `cds run` over the same warehouse. It builds only the
  dbt nodes downstream of what changed; that its marts equal a full rebuild's, row for row, is
  `tests/test_sample_district.py::test_incremental_dbt_build_equals_a_full_rebuild`.
- Stages come from the run's Dagster step events (`--timings`): ingest = reference + landing
  assets, validation = Great Expectations checks, dbt = `dbt build` (models and tests),
  publish = analytics.duckdb, Parquet, Excel, HTML and docs; overhead = the rest (Python
  start-up, loading definitions, Dagster).
- Peak RSS: the sum over `cds run` and all its children (dbt), sampled every 50 ms (psutil).
- Ingest rows/s: rows read (`audit.ingest_files.rows_read`) ÷ the ingest stage.
- Floor: DuckDB `read_csv` of every CSV and calamine (fastexcel) of every workbook, no
  validation or transformation (DuckDB's `read_xlsx` extension has no build for DuckDB 2.0.1).
  pandas + openpyxl: each file read one by one into one DataFrame per source.

## Results

{table}

Seconds unless marked. Stage columns are of the full run.

## Targets (issue 9)

{_targets(results, national)}

## Growth

{growth}
{notes}
"""
    out.write_text(text, encoding="utf-8")
    return f"{table}\n\n{_targets(results, national)}\n\n{growth}\nwritten to {out}"
