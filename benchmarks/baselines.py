"""The same files read two other ways, for the ratios in BENCHMARKS.md.

- `naive`: what a data officer's script does: pandas reading each file one by one (openpyxl
  for .xlsx, xlrd for .xls, pandas' CSV reader) and concatenating one DataFrame per source.
- `floor`: the fastest reading of the same bytes with no validation or transformation:
  DuckDB's `read_csv` for CSV. DuckDB's `read_xlsx` lives in its `excel` extension, which
  has no build for DuckDB 2.0.1 (neither on PyPI nor reachable from here), so workbooks are
  read by calamine through fastexcel, the fastest Excel reader there is for Python.

Unreadable files (the planted corrupt workbooks) are counted and skipped by both.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

CSV = {".csv"}


@dataclass(frozen=True)
class Baseline:
    seconds: float
    cells: int
    unreadable: int


def _source(path: Path, raw_dir: Path) -> str:
    return path.relative_to(raw_dir).parts[0]


def naive_pandas(files: list[Path], raw_dir: Path) -> Baseline:
    import pandas as pd

    started = time.perf_counter()
    frames: dict[str, list[pd.DataFrame]] = defaultdict(list)
    unreadable = 0
    for path in files:
        try:
            if path.suffix.lower() in CSV:
                df = pd.read_csv(
                    path,
                    header=None,
                    dtype=str,
                    encoding_errors="replace",
                    on_bad_lines="skip",
                    engine="python",
                )
            else:
                engine = "xlrd" if path.suffix.lower() == ".xls" else "openpyxl"
                df = pd.read_excel(path, header=None, dtype=str, engine=engine)
        except Exception:
            unreadable += 1
            continue
        frames[_source(path, raw_dir)].append(df)
    combined = {k: pd.concat(v, ignore_index=True) for k, v in frames.items()}
    cells = sum(int(df.size) for df in combined.values())
    return Baseline(time.perf_counter() - started, cells, unreadable)


def duckdb_floor(files: list[Path]) -> Baseline:
    import duckdb
    import fastexcel

    started = time.perf_counter()
    con = duckdb.connect()
    cells = 0
    unreadable = 0
    for path in files:
        try:
            if path.suffix.lower() in CSV:
                table = con.read_csv(
                    str(path),
                    header=False,
                    all_varchar=True,
                    null_padding=True,
                    strict_mode=False,
                    ignore_errors=True,
                ).fetch_arrow_table()
                cells += table.num_rows * table.num_columns
            else:
                reader = fastexcel.read_excel(str(path))
                for name in reader.sheet_names:
                    sheet = reader.load_sheet(name, header_row=None, dtypes="string")
                    table = sheet.to_arrow()
                    cells += table.num_rows * table.num_columns
        except Exception:
            unreadable += 1
    return Baseline(time.perf_counter() - started, cells, unreadable)
