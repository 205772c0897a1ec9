"""One school sends a corrected report: what the incremental run ingests."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import openpyxl

SUFFIX = "_nop_lai"


def write_resubmission(raw_dir: Path) -> Path:
    """Copy the last clean EMIS report (an .xlsx) next to it as `<name>_nop_lai.xlsx`, dated
    three days later with one count raised by one, as a school's correction would be."""
    candidates = sorted(
        (p for p in (raw_dir / "emis_report").rglob("*.xlsx") if SUFFIX not in p.stem),
        reverse=True,
    )
    for latest in candidates:
        target = latest.with_name(f"{latest.stem}{SUFFIX}.xlsx")
        if _corrected_copy(latest, target):
            return target
    raise ValueError(f"no EMIS report under {raw_dir} with a date and a count to correct")


def _corrected_copy(source: Path, target: Path) -> bool:
    """False when the file has no readable report date or count (a planted fault)."""
    try:
        wb = openpyxl.load_workbook(source)
    except Exception:  # a corrupt workbook among the planted faults
        return False
    ws = wb.active
    dated = last_count = None
    for row in ws.iter_rows():
        first = row[0].value
        if isinstance(first, str) and first.startswith("Ngày báo cáo:"):
            try:
                day = datetime.strptime(first.split(":", 1)[1].strip(), "%d/%m/%Y")
            except ValueError:
                return False
            row[0].value = dated = f"Ngày báo cáo: {(day + timedelta(days=3)):%d/%m/%Y}"
        elif len(row) > 2 and isinstance(row[2].value, int):
            last_count = row[2]
    if dated is None or last_count is None:
        return False
    last_count.value += 1
    wb.save(target)
    return True


def remove_resubmissions(raw_dir: Path) -> None:
    for p in (raw_dir / "emis_report").rglob(f"*{SUFFIX}.xlsx"):
        p.unlink()
