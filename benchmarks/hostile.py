"""python -m benchmarks.hostile: the peak memory of judging hostile files (issue 14).

Each file is judged (read, rules) by `evaluate_file` in a fresh process, which reports its
own peak RSS (VmHWM: `ru_maxrss` would count this process's RSS at the fork); the bound
stated is HOSTILE_BOUND_MB for every file. The workbooks cover each way past the guard that
a review found (issue 14), and one at every bound of `file_guard` at once. Printed as a
table, and part of `make bench`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from pipelines.ingest import file_guard
from tests.corpus import big_export, far_cell, zip_bomb
from tests.test_hostile_files import REPORT, sheet_xml, workbook_zip

HOSTILE_BOUND_MB = 1024

CHILD = """
import json, sys, time
from pathlib import Path
from pipelines.ingest.runner import evaluate_file, load_ingest_context
from pipelines.ingest.sources import SOURCES
from pipelines.settings import Settings
path, source = Path(sys.argv[1]), sys.argv[2]
ctx = load_ingest_context(Settings(path.parent, path.parent), registry=None,
                          personal=SOURCES[source].personal)
start = time.perf_counter()
out = evaluate_file(path, path.name, "0" * 64, SOURCES[source], ctx)
# VmHWM: this process image's own peak (ru_maxrss would count the bench's RSS at the fork)
peak_kb = int(next(line.split()[1] for line in open("/proc/self/status")
                   if line.startswith("VmHWM:")))
print(json.dumps({"status": out.status, "rule": out.reject_rule, "rows": out.rows_read,
                  "seconds": round(time.perf_counter() - start, 2), "peak_mb": peak_kb // 1024}))
"""

SST = '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def _stream(head: bytes, unit: bytes, count: int, tail: bytes, block: int = 1 << 16):
    """head, `count` × unit, tail: in chunks, never whole."""
    yield head
    for start in range(0, count, block):
        yield unit * min(block, count - start)
    yield tail


def _sheet_stream(rows: bytes, count: int, before: str = ""):
    head, tail = sheet_xml("\x00", before).split(b"\x00")
    return _stream(head + REPORT.encode(), rows, count, tail)


def _far(cell: str, row: str = "") -> bytes:
    return sheet_xml(REPORT + f"<row{row}>{cell}</row>")


def single_quotes(path: Path) -> None:
    workbook_zip(path, _far("<c r='XFD1048576'><v>1</v></c>", " r='1048576'"))


def cells_without_r(path: Path) -> None:
    workbook_zip(path, _far("<c/>" * 16383 + "<c><v>1</v></c>", ' r="1048576"'))


def sheet_elsewhere(path: Path) -> None:
    far = _far('<c r="XFD1048576"><v>1</v></c>', ' r="1048576"')
    workbook_zip(path, sheets=(("Báo cáo", "/data/bang.bin"),), parts={"data/bang.bin": far})


def shared_string_copied(path: Path) -> None:
    """One 32 KB shared string, pointed at by 200,000 cells (6 GB once copied per cell)."""
    row = b"<row>" + b'<c t="s"><v>0</v></c>' * 10 + b"</row>"
    sst = (SST + "<si><t>" + "x" * 32767 + "</t></si></sst>").encode()
    workbook_zip(path, _sheet_stream(row, 20_000), parts={"xl/sharedStrings.xml": sst})


def many_shared_strings(path: Path) -> None:
    """23 million empty shared strings (1.3 GB in calamine before the bound)."""
    sst = _stream(SST.encode(), b"<si><t>x</t></si>", 23_000_000, b"</sst>")
    workbook_zip(path, sheet_xml(REPORT), parts={"xl/sharedStrings.xml": sst})


def cells_on_a1(path: Path) -> None:
    """17 million cells all at A1 (0.7 GB in calamine before the bound)."""
    workbook_zip(path, _sheet_stream(b'<row r="7"><c r="A1"><v>1</v></c></row>', 17_000_000))


def longer_than_declared(path: Path) -> None:
    """The stream goes on past its declared size, where the far cell is."""
    from tests.test_hostile_files import _declare_size

    workbook_zip(path, _far('<c r="XFD1048576"><v>1</v></c>', ' r="1048576"'))
    _declare_size(path, "xl/worksheets/sheet1.xml", 200)


def at_the_bounds(path: Path) -> None:
    """The most the guard lets through: 199,990 rows × 30 cells (MAX_CELLS), 2 million
    shared strings (MAX_SHARED_STRINGS), every cell a copy of the first: 100 MB of text once
    read (MAX_TEXT_BYTES)."""
    per_cell = (file_guard.MAX_TEXT_BYTES - 4096) // file_guard.MAX_CELLS
    row = b"<row>" + b'<c t="s"><v>0</v></c>' * 30 + b"</row>"
    first = (SST + "<si><t>" + "x" * per_cell + "</t></si>").encode()
    sst = _stream(first, b"<si><t/></si>", file_guard.MAX_SHARED_STRINGS - 1, b"</sst>")
    workbook_zip(path, _sheet_stream(row, 199_990), parts={"xl/sharedStrings.xml": sst})


FILES = [
    ("stray cell at XFD1048576", "emis_report", "xfd.xlsx", far_cell(1048575, 16383)),
    ("stray cell at CV1048576", "emis_report", "cv.xlsx", far_cell(1048575, 99)),
    ("r='XFD1048576' (single quotes)", "emis_report", "quotes.xlsx", single_quotes),
    ("16,384 cells without r on row 1048576", "emis_report", "no_r.xlsx", cells_without_r),
    ("far cell in a sheet at /data/bang.bin", "emis_report", "elsewhere.xlsx", sheet_elsewhere),
    ("far cell past the member's declared size", "emis_report", "lie.xlsx", longer_than_declared),
    ("zip bomb: 450 MB of XML", "emis_report", "bomb.xlsx", zip_bomb),
    ("23 million shared strings", "emis_report", "sst.xlsx", many_shared_strings),
    (
        "one 32 KB shared string in 200,000 cells",
        "emis_report",
        "copies.xlsx",
        shared_string_copied,
    ),
    ("17 million cells at A1", "emis_report", "a1.xlsx", cells_on_a1),
    ("at the bounds: 6M cells, 2M strings, 100 MB text", "emis_report", "max.xlsx", at_the_bounds),
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
