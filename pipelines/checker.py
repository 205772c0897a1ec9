"""`cds check`: judge files as ingestion would, without touching the warehouse."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import polars as pl

from pipelines.ingest.runner import (
    evaluate_file,
    file_sha256,
    list_source_files,
    load_ingest_context,
)
from pipelines.ingest.sources import SOURCES, IngestContext, Source
from pipelines.ingest.workbook import FileRejected, read_table
from pipelines.reference.labels import status_words
from pipelines.settings import Settings


def guess_source(path: Path) -> Source | None:
    """By the raw/<source>/ folder the file sits in, else by which table its headers fit,
    else by a source's name in the file's name (`31305051_emis_report.xlsx`), so that a
    file too broken to read is still judged, and refused with its reason. Names carry no
    meaning for ingestion (contract §1): this is only `cds check` guessing."""
    for part in path.resolve().parts:
        if part in SOURCES:
            return SOURCES[part]
    for source in SOURCES.values():
        try:
            read_table(path, source.spec)
            return source
        except FileRejected:
            continue
    named = [s for name, s in SOURCES.items() if f"_{name}_" in f"_{path.stem.lower()}_"]
    return named[0] if len(named) == 1 else None


def _registry(settings: Settings, ctx: IngestContext) -> pl.DataFrame | None:
    frames = []
    for path in list_source_files(settings.raw_dir, "schools"):
        out = evaluate_file(path, path.name, "", SOURCES["schools"], ctx)
        if out.accepted is not None:
            frames.append(out.accepted.select("school_code", "level", "is_active"))
    return pl.concat(frames).unique("school_code", keep="last") if frames else None


def check_files(
    paths: list[Path], settings: Settings, source_name: str | None, echo: Callable[[str], None]
) -> bool:
    bare = load_ingest_context(settings, registry=None, personal=True)
    ctx = replace(bare, registry=_registry(settings, bare))
    if ctx.registry is None:
        echo(
            f"(Không có danh mục trường trong {settings.raw_dir / 'schools'}: "
            "mã trường không được đối chiếu)"
        )
    statuses = status_words(settings.reference_file("labels_vi.csv"))
    all_ok = True
    for path in paths:
        source = SOURCES[source_name] if source_name else guess_source(path)
        if source is None:
            echo(f"✗ {path}: không nhận ra loại tệp (dùng --source)")
            all_ok = False
            continue
        out = evaluate_file(path, str(path), file_sha256(path), source, ctx)
        clean = out.status == "accepted" and not out.rows_quarantined
        # ✓ only for a file with nothing to say; a warning is a rule the file breaks
        mark = ("✓" if not out.n_warnings else "⚠") if clean else "✗"
        # the layout the file was read through (layouts.yaml, contract §2.8), and what it
        # cannot supply
        layout = out.meta.get("layout")
        missing = out.meta.get("fields_not_available") or ()
        said = f" — bố cục '{layout}'" if layout else ""
        if missing:
            said += " (không có: " + ", ".join(missing) + ")"  # type: ignore[arg-type]
        echo(
            f"{mark} {path} [{source.title_vi}]: {statuses.get(out.status, out.status)}, "
            f"{out.rows_read} dòng đọc, "
            f"{out.rows_accepted} nhận, {out.rows_quarantined} cách ly, {out.n_warnings} cảnh báo"
            + said
        )
        if out.status != "accepted" or out.rows_quarantined:
            all_ok = False
        if out.issues is not None:
            for issue in out.issues.sort("_row", nulls_last=False).iter_rows(named=True):
                sheet = issue.get("_sheet") or out.sheet
                where = [f"trang '{sheet}'"] if sheet else []
                if issue["_row"] is not None:
                    where.append(f"dòng {issue['_row']}")
                if issue["field"]:
                    where.append(f"cột '{issue['field']}'")
                value = f" — giá trị: '{issue['value']}'" if issue["value"] is not None else ""
                level = "LỖI" if issue["severity"] == "error" else "cảnh báo"
                echo(
                    f"    [{level}] {', '.join(where) or 'toàn tệp'}: {issue['message_vi']} "
                    f"({issue['rule_id']}){value}"
                )
    return all_ok
