"""python -m benchmarks.hostile: the peak memory of judging hostile files (issue 14).

Each file is judged (read, rules) by `evaluate_file` in a fresh process, which reports its
own peak RSS; the bound stated is HOSTILE_BOUND_MB for every file. Printed as a table, and
part of `make bench`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.corpus import big_export, far_cell, zip_bomb

HOSTILE_BOUND_MB = 1024

CHILD = """
import json, resource, sys, time
from pathlib import Path
from pipelines.ingest.runner import evaluate_file, load_ingest_context
from pipelines.ingest.sources import SOURCES
from pipelines.settings import Settings
path, source = Path(sys.argv[1]), sys.argv[2]
ctx = load_ingest_context(Settings(path.parent, path.parent), registry=None,
                          personal=SOURCES[source].personal)
start = time.perf_counter()
out = evaluate_file(path, path.name, "0" * 64, SOURCES[source], ctx)
print(json.dumps({"status": out.status, "rule": out.reject_rule, "rows": out.rows_read,
                  "seconds": round(time.perf_counter() - start, 2),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""

FILES = [
    ("stray cell at XFD1048576", "emis_report", "xfd.xlsx", far_cell(1048575, 16383)),
    ("stray cell at CV1048576", "emis_report", "cv.xlsx", far_cell(1048575, 99)),
    ("zip bomb: 450 MB of XML", "emis_report", "bomb.xlsx", zip_bomb),
    ("100,000-row students CSV (the largest real file)", "students", "big.csv", big_export),
]


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, source, name, build in FILES:
            path = Path(tmp) / name
            build(path)
            size = path.stat().st_size
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(path), source],
                capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            if out.returncode != 0:
                rows.append((label, size, {"status": f"crashed ({out.returncode})"}))
                continue
            rows.append((label, size, json.loads(out.stdout.strip().splitlines()[-1])))
    print(f"| hostile file | size | outcome | seconds | peak RSS | ≤ {HOSTILE_BOUND_MB} MB |")
    print("|---|---:|---|---:|---:|---|")
    ok = True
    for label, size, r in rows:
        peak = r.get("peak_mb")
        within = peak is not None and peak <= HOSTILE_BOUND_MB
        ok &= within
        outcome = f"{r['status']} {r.get('rule') or ''}".strip()
        print(f"| {label} | {size / 1024:,.0f} KB | {outcome} | {r.get('seconds', '—')} | "
              f"{peak if peak is not None else '—'} MB | {'yes' if within else 'NO'} |")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
