"""Which school a rejected file belongs to (issues 15 and 19): a file refused for a missing
column or a bad cell still names its school, school year and period when its header block,
its name or its folders show them, so the follow-up list can ask that school to send it
again. Only a code of the registry is taken; nothing here is trusted as data."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from pipelines.ingest.sources.base import IngestContext
from pipelines.reference.vocab import is_school_year

_CODE = re.compile(r"(?<![0-9A-Z])[0-9A-Z]{6,12}(?![0-9A-Z])")


def trace_school(
    rel: str, header: dict[str, str | None] | None, ctx: IngestContext
) -> dict[str, object]:
    """school_code, school_year, period of a rejected file, each None where unknown: the
    header block first, then the file's name and folders (`emis_report/2024-2025/dau_nam/…/
    31305026_emis_report.xlsx`)."""
    header = header or {}
    known = set() if ctx.registry is None else set(ctx.registry["school_code"].to_list())
    parts = PurePosixPath(rel).parts
    code = (header.get("school_code") or "").strip().upper()
    if code not in known:
        found = [c for part in reversed(parts) for c in _CODE.findall(part.upper()) if c in known]
        code = found[0] if found else ""
    year = (header.get("school_year") or "").replace(" ", "")
    if not is_school_year(year):
        year = next((p for p in parts if is_school_year(p)), "")
    period = ctx.codes.lookup("period", header.get("period")) if header.get("period") else None
    if period is None:
        period = next((c for p in parts if (c := ctx.codes.lookup("period", p))), None)
    return {
        "school_code": code or None,
        "school_year": year or None,
        "period": period,
        "submitted_on": None,
    }
