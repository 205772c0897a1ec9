"""python -m benchmarks [--scales district,province,national-1] [--baselines district,province]

Measures every scale asked for (generating it once into .bench/ if needed), prints the table
and writes BENCHMARKS.md. See `make bench`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

import duckdb

from benchmarks.baselines import duckdb_floor, naive_pandas
from benchmarks.measure import run_measured
from benchmarks.report import ScaleResult, write_report
from benchmarks.resubmit import remove_resubmissions, write_resubmission
from benchmarks.scales import BENCH_DIR, SCALES, Scale, ensure_raw, raw_files
from pipelines.settings import PROJECT_ROOT

CDS = str(Path(sys.executable).parent / "cds")


def _cds_run(scale: Scale, warehouse: Path, label: str):
    timings = BENCH_DIR / scale.name / f"{label}.timings.json"
    cmd = [
        CDS,
        "run",
        "--raw",
        str(scale.raw_dir),
        "--warehouse",
        str(warehouse),
        "--timings",
        str(timings),
    ]
    measured = run_measured(cmd, BENCH_DIR / scale.name / f"{label}.log")
    if measured.returncode != 0:
        raise SystemExit(
            f"cds run ({scale.name}, {label}) exited {measured.returncode}: "
            f"see {BENCH_DIR / scale.name / f'{label}.log'}"
        )
    return measured, json.loads(timings.read_text())["stages"]


def _ingest_counts(warehouse: Path) -> tuple[int, int]:
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        files, rows = con.execute(
            "select count(*), coalesce(sum(rows_read), 0) from audit.ingest_files"
        ).fetchall()[0]
    return int(files), int(rows)


def measure_scale(scale: Scale, baselines: bool) -> ScaleResult:
    raw = ensure_raw(scale)
    remove_resubmissions(raw)
    files = raw_files(raw)
    size_mb = sum(p.stat().st_size for p in files) / 2**20
    warehouse = BENCH_DIR / scale.name / "warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    print(f"· {scale.name}: full run over {len(files)} files ({size_mb:.0f} MB)", flush=True)
    full, full_stages = _cds_run(scale, warehouse, "full")
    n_files, rows_read = _ingest_counts(warehouse)
    print(f"  {full.seconds:.1f} s, peak {full.peak_rss_mb:.0f} MB", flush=True)
    resubmitted = write_resubmission(raw)
    try:
        print(f"· {scale.name}: incremental run after {resubmitted.name}", flush=True)
        incr, incr_stages = _cds_run(scale, warehouse, "incremental")
    finally:
        remove_resubmissions(raw)
    print(f"  {incr.seconds:.1f} s, peak {incr.peak_rss_mb:.0f} MB", flush=True)
    floor = duckdb_floor(files)
    print(f"  floor read {floor.seconds:.1f} s", flush=True)
    naive = naive_pandas(files, raw) if baselines else None
    if naive:
        print(f"  pandas + openpyxl read {naive.seconds:.1f} s", flush=True)
    return ScaleResult(
        scale=scale,
        files=len(files),
        size_mb=size_mb,
        rows_read=rows_read,
        files_recorded=n_files,
        full=full,
        full_stages=full_stages,
        incremental=incr,
        incremental_stages=incr_stages,
        floor=floor,
        naive=naive,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--scales", default="district,province,national-1")
    parser.add_argument(
        "--baselines",
        default="district,province",
        help="scales where the pandas + openpyxl baseline is measured too",
    )
    parser.add_argument("--out", default=str(PROJECT_ROOT / "BENCHMARKS.md"))
    args = parser.parse_args(argv)
    names = [s for s in args.scales.split(",") if s]
    unknown = set(names) - set(SCALES)
    if unknown:
        parser.error(f"unknown scales {sorted(unknown)}; known: {', '.join(SCALES)}")
    with_naive = set(args.baselines.split(","))
    results = [measure_scale(SCALES[n], n in with_naive) for n in names]
    (BENCH_DIR / "results.json").write_text(
        json.dumps([{**asdict(r), "scale": r.scale.name} for r in results], indent=1, default=str)
    )
    print(write_report(results, Path(args.out), argv=sys.argv[1:]))


if __name__ == "__main__":
    main()
