"""Run a command and measure it from outside: wall time, exit code, and the peak of the
summed resident memory of the process and every descendant (dbt runs as a child of
`cds run`), sampled every 50 ms with psutil."""

from __future__ import annotations

import contextlib
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_mb: float
    returncode: int


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total


def run_measured(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> Measured:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        started = time.perf_counter()
        popen = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        proc = psutil.Process(popen.pid)
        peak = 0
        while popen.poll() is None:
            try:
                peak = max(peak, _tree_rss(proc))
            except psutil.NoSuchProcess:
                break
            time.sleep(0.05)
        returncode = popen.wait()
        seconds = time.perf_counter() - started
    return Measured(seconds, peak / 2**20, returncode)
