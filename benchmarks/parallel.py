"""Provinces in parallel, measured (issue 17): national-4 on a lake with a PostgreSQL
catalog, `cds run --parallel 1` against `--parallel 2`, each from an empty lake.

    python -m benchmarks.parallel                   # national-4 (4 provinces, ~80,000 files)
    python -m benchmarks.parallel --districts 2     # a quick look: 2 districts per province

Prints, and writes to `benchmarks/parallel.md` (which BENCHMARKS.md includes), for each N:
wall time, speed-up over N = 1, the largest peak RSS of one worker (a step process of the
province job with its children) and the peak RSS of the whole tree (`cds run`, its step
processes, dbt). Each province's files are judged by one process (`CDS_INGEST_WORKERS=1`
unless set): a worker is one core, as another machine or pod adds one. A throwaway
PostgreSQL server (`tests/pg_server.py`) holds the catalogs; it runs on the same cores, as a
province's database server would not.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psutil

from benchmarks.scales import BENCH_DIR, Scale, ensure_raw
from pipelines.settings import PROJECT_ROOT

# Processes judging one province's files in the measured runs.
JUDGES = os.environ.get("CDS_INGEST_WORKERS") or "1"

CDS = str(Path(sys.executable).parent / "cds")
REPORT = Path(__file__).with_name("parallel.md")


@dataclass(frozen=True)
class Measured:
    parallel: int
    seconds: float
    worker_peak_mb: float
    workers: int
    tree_peak_mb: float
    returncode: int


def _rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total


def step_processes(run: psutil.Process) -> list[psutil.Process]:
    """The step processes of a `cds run --parallel`: Dagster's multiprocess executor forks
    them from its fork server, a child of the run (pipelines/parallel_run.py)."""
    steps = []
    for server in run.children():
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            if any("multiprocessing.forkserver" in part for part in server.cmdline()):
                steps.extend(server.children())
    return steps


def run_measured(cmd: list[str], log: Path, env: dict[str, str], parallel: int) -> Measured:
    """Run `cmd`, sampling every 100 ms the tree's RSS and each step process's own tree."""
    workers: dict[int, int] = {}
    tree = 0
    with log.open("wb") as out:
        started = time.perf_counter()
        popen = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        root = psutil.Process(popen.pid)
        while popen.poll() is None:
            with contextlib.suppress(psutil.NoSuchProcess):
                tree = max(tree, _rss(root))
                for step in step_processes(root):
                    with contextlib.suppress(psutil.NoSuchProcess):
                        workers[step.pid] = max(workers.get(step.pid, 0), _rss(step))
            time.sleep(0.1)
        code = popen.wait()
        seconds = time.perf_counter() - started
    mb = 2**20
    return Measured(
        parallel, seconds, max(workers.values(), default=0) / mb, len(workers), tree / mb, code
    )


def _run_from_empty(
    raw: Path, work: Path, label: str, lake: bool, parallel: int = 0, judges: str | None = None
) -> Measured:
    """`cds run` over `raw` into an emptied `work` folder, on a lake with a throwaway
    PostgreSQL catalog (`lake`) or embedded, with `--parallel N` when `parallel` is set and
    `judges` processes judging a province's files when given."""
    from tests.pg_server import throwaway_postgres

    subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)
    env = {**os.environ, "CDS_PSEUDONYM_KEY": os.environ.get("CDS_PSEUDONYM_KEY", "bench")}
    if judges:
        env["CDS_INGEST_WORKERS"] = judges
    cmd = [CDS, "run", "--raw", str(raw), "--warehouse", str(work / "warehouse")]
    with throwaway_postgres() if lake else contextlib.nullcontext() as dsn:
        if lake:
            cmd += ["--lake", f"ducklake:postgres:{dsn}", "--lake-data", str(work / "lake")]
        if parallel:
            cmd += ["--parallel", str(parallel)]
        print(f"· {label}", flush=True)
        result = run_measured(cmd, work / "run.log", env, parallel)
    if result.returncode != 0:
        raise SystemExit(f"cds run ({label}) exited {result.returncode}: {work}/run.log")
    return result


def measure(scale: Scale, parallels: list[int]) -> list[Measured]:
    raw = ensure_raw(scale)
    return [
        _run_from_empty(
            raw,
            BENCH_DIR / scale.name / f"parallel-{n}",
            f"{scale.name} --parallel {n}",
            True,
            n,
            judges=JUDGES,
        )
        for n in parallels
    ]


def measure_lake_overhead() -> tuple[float, float]:
    """The district (`benchmarks.scales`), from empty, embedded and then on a lake with a
    PostgreSQL catalog (no --parallel): the wall seconds of each."""
    from benchmarks.scales import SCALES

    raw = ensure_raw(SCALES["district"])
    seconds = [
        _run_from_empty(
            raw, BENCH_DIR / "district" / f"lake-{mode}", f"district, {mode}", mode == "lake"
        ).seconds
        for mode in ("embedded", "lake")
    ]
    return seconds[0], seconds[1]


def lake_report(embedded: float, lake: float) -> str:
    from benchmarks.scales import SCALES

    ratio = lake / embedded
    return f"""
### The district on a lake (target ≤ 1.3× embedded)

The scale `district` (`{" ".join(SCALES["district"].command())}`), from empty, `cds run`
embedded and then with `--lake ducklake:postgres:…` (a throwaway PostgreSQL on the same
cores): **{embedded:,.0f} s** embedded, **{lake:,.0f} s** on the lake, **{ratio:.2f}×**
({"met" if ratio <= 1.3 else "not met"}).
"""


def _judges() -> str:
    if JUDGES == "1":
        return (
            "one (`CDS_INGEST_WORKERS=1`, unless set otherwise: a worker on one core, the "
            "unit another machine adds; by default a province's files are judged by one "
            "process per core, and on 2 cores `--parallel 1` already keeps both busy)"
        )
    from pipelines.ingest.parallel import MIN_FILES_PER_WORKER

    return (
        f"up to {JUDGES} (`CDS_INGEST_WORKERS`, one per {MIN_FILES_PER_WORKER} files of a source)"
    )


def report(scale: Scale, results: list[Measured], command: str) -> str:
    base = results[0].seconds
    rows = "\n".join(
        f"| {r.parallel} | {r.seconds:,.0f} | {base / r.seconds:.2f}× | {r.worker_peak_mb:,.0f} "
        f"| {r.workers} | {r.tree_peak_mb:,.0f} |"
        for r in results
    )
    load = os.getloadavg()
    return f"""## Provinces in parallel (issue 17)

Written by `{command}` on {datetime.now():%Y-%m-%d %H:%M}
({platform.node()}, {os.cpu_count()} cores; load average at the end {load[0]:.1f} /
{load[1]:.1f} / {load[2]:.1f}, this benchmark's own processes included). Input: `{" ".join(scale.command())}`.
Each run from an empty lake on a throwaway PostgreSQL catalog (same machine), with
`cds run --lake … --parallel N`; wall time from outside. A worker is one step process of
the province job with its children; the tree is `cds run` with every descendant. RSS counts
the pages a step shares with the fork server it was forked from (in each step and again in the
tree). Processes judging a province's files: {_judges()}.

| N | wall s | speed-up | peak RSS of one worker MB | step processes | peak RSS of the tree MB |
|---:|---:|---:|---:|---:|---:|
{rows}
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provinces", type=int, default=4)
    parser.add_argument("--districts", type=int, default=None)
    parser.add_argument("--parallel", default="1,2")
    parser.add_argument(
        "--no-lake-overhead",
        action="store_true",
        help="skip the district embedded against lake comparison",
    )
    args = parser.parse_args(argv)
    gen = ["--scale", "national", "--provinces", str(args.provinces)]
    name = f"national-{args.provinces}"
    if args.districts:
        gen += ["--districts", str(args.districts)]
        name += f"-d{args.districts}"
    scale = Scale(name, tuple(gen), f"{args.provinces} provinces")
    results = measure(scale, [int(n) for n in args.parallel.split(",")])
    command = "python -m benchmarks.parallel " + " ".join(argv or sys.argv[1:])
    text = report(scale, results, command.strip())
    if not args.no_lake_overhead:
        text += lake_report(*measure_lake_overhead())
    REPORT.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {REPORT.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
