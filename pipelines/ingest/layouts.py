"""Reading a file through its source's layouts (contract §2.8, `reference/layouts.yaml`).

A file is parsed once; the source's layouts are tried in order against its sheets, and the
first whose required headers are all found is the file's layout. Then the layout supplies
what the table lacks (school, school year, period, date: from the header block, a fixed
value or a folder of the path), turns the export's own labels and codes into the
contract's values (a value it does not list quarantines its row, naming the value), and
says which fields of the source it cannot supply: those are *not available* for the file
and land as null, never as 0 or "no".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

import polars as pl

from pipelines.ingest.errors import FileRejected
from pipelines.ingest.rules import ISSUE_SCHEMA
from pipelines.ingest.sources.base import (
    SCHOOL_CODE_RE,
    IngestContext,
    Source,
    near_hint,
    show_invisible,
)
from pipelines.ingest.sources.people import mask_id_expr
from pipelines.ingest.text import fold_expr
from pipelines.ingest.workbook import (
    ColumnSpec,
    HeaderField,
    TableRead,
    TableSpec,
    read_grids,
    table_from_grids,
)
from pipelines.reference.layouts import CONTRACT, FieldSource, Layout

# How messages name a field outside the table, and what an example folder is called.
FIELD_LABELS = {
    "school_code": "Mã trường",
    "school_year": "Năm học",
    "period": "Kỳ báo cáo",
    "submitted_on": "Ngày xuất dữ liệu",
}
# without one of these a per-school report is rejected (contract §5)
FILE_KEYS = ("school_code", "school_year", "period")
UNKNOWN_VALUE = "layout_unknown_value"
FOLDER_MISSING = "layout_folder_missing"


def builtin_layout(source: Source) -> Layout:
    """The source's contract layout from its code spec: used when no layouts.yaml is given
    (tests, tools); tests/test_layouts.py checks the shipped file says the same."""
    return Layout(
        source=source.name,
        name=CONTRACT,
        title_vi=source.title_vi,
        columns={c.key: c.headers for c in source.spec.columns},
        required=tuple(c.key for c in source.spec.required),
        fields={
            h.key: (FieldSource("header", labels=h.labels),) for h in source.spec.header_fields
        },
    )


def layouts_for(source: Source, ctx: IngestContext) -> tuple[Layout, ...]:
    if ctx.layouts and ctx.layouts.get(source.name):
        return ctx.layouts[source.name]
    return (builtin_layout(source),)


def layout_spec(layout: Layout, base: TableSpec) -> TableSpec:
    """The reader's spec for a layout: its columns, and the header-block labels of the
    fields it reads there."""
    labels: dict[str, tuple[str, ...]] = {}
    for key, sources in layout.fields.items():
        for src in sources:
            if src.kind == "header":
                labels[key] = labels.get(key, ()) + src.labels
    return TableSpec(
        columns=tuple(
            ColumnSpec(k, tuple(h), required=k in layout.required)
            for k, h in layout.columns.items()
        ),
        header_fields=tuple(HeaderField(k, v) for k, v in labels.items()),
        combine_sheets=base.combine_sheets,
    )


def read_through_layouts(
    path: Path, source: Source, ctx: IngestContext
) -> tuple[Layout, TableRead]:
    """The first layout of the source whose table a sheet of the file holds, and the table
    read through it. None matching: the file is rejected as missing required columns, with
    the contract layout's missing columns and the layouts tried."""
    layouts = layouts_for(source, ctx)
    kind, grids = read_grids(path)
    refused: list[tuple[Layout, FileRejected]] = []
    for layout in layouts:
        try:
            read = table_from_grids(
                kind, grids, layout_spec(layout, source.spec), ctx.codes.markers(), layout.sheet
            )
        except FileRejected as rej:
            if rej.rule_id != "missing_required_column":
                raise
            refused.append((layout, rej))
            continue
        read.kind = kind
        if layout.name != CONTRACT:
            read.labels = {k: h[0] for k, h in layout.columns.items()}
        return layout, read
    if len(refused) == 1:
        raise refused[0][1]
    rej = next((r for lay, r in refused if lay.name == CONTRACT), refused[0][1])
    rej.message_vi += " (không khớp bố cục nào: " + ", ".join(x.name for x, _ in refused) + ")"
    raise rej


def folders_below_source(rel: str, source: str) -> list[str] | None:
    """The folders between raw/<source>/ and the file (`students/2024-2025/dau_nam/
    31318002/x.xlsx` → [2024-2025, dau_nam, 31318002]); None when the path does not pass
    through a folder of the source's name."""
    path = PurePosixPath(rel.replace("\\", "/"))
    parts = list(path.parts[:-1])
    if source not in parts and Path(rel).exists():  # `cds check` on a relative path
        parts = list(PurePosixPath(Path(rel).resolve().as_posix()).parts[:-1])
    if source not in parts:
        return None
    last = len(parts) - 1 - parts[::-1].index(source)
    return parts[last + 1 :]


def _example_path(layout: Layout) -> str:
    by_folder = {
        src.folder: FIELD_LABELS.get(key, key)
        for key, sources in layout.fields.items()
        for src in sources
        if src.kind == "folder" and src.folder is not None and key in FILE_KEYS
    }
    top = max(by_folder, default=0)
    return "/".join(
        [f"raw/{layout.source}"] + [f"<{by_folder.get(i, '…')}>" for i in range(1, top + 1)]
    )


@dataclass
class LayoutApplied:
    read: TableRead  # the table without its quarantined rows, values mapped, header filled
    quarantined: pl.DataFrame  # rows with a value the layout does not list (sanitised)
    issues: pl.DataFrame  # ISSUE_SCHEMA
    not_available: tuple[str, ...]  # the source's fields the layout cannot supply


def apply_layout(
    read: TableRead, layout: Layout, rel: str, source: Source, ctx: IngestContext
) -> LayoutApplied:
    """Fill the fields outside the table, map the layout's values, name what it cannot
    supply. Raises FileRejected where a folder the layout reads is missing or names a
    school the registry does not know."""
    header = dict(read.header)
    folders = folders_below_source(rel, source.name)
    for key, sources in layout.fields.items():
        if header.get(key):
            continue  # read from the header block
        for src in sources:
            if src.kind == "fixed":
                header[key] = src.value
            elif src.kind == "folder" and folders is not None and src.folder <= len(folders):
                header[key] = folders[src.folder - 1]
                if key == "school_code":
                    header[key] = _folder_school(folders[src.folder - 1], src, layout, rel, ctx)
            if header.get(key):
                break
        else:
            folder_srcs = [s for s in sources if s.kind == "folder"]
            if key in FILE_KEYS and folder_srcs:
                raise FileRejected(
                    FOLDER_MISSING,
                    f"Bố cục '{layout.name}' lấy '{FIELD_LABELS[key]}' từ thư mục thứ "
                    f"{folder_srcs[0].folder} dưới raw/{source.name}/ ({_example_path(layout)}/"
                    f"<tệp>), nhưng tệp '{rel}' không nằm trong thư mục đó: đặt tệp vào "
                    "đúng thư mục rồi chạy lại",
                    sheet=read.sheet,
                    field=FIELD_LABELS[key],
                    header=header,
                )
    data, quarantined, issues = _map_values(read, layout, source)
    not_available = tuple(
        k for k in source.optional_fields if k not in layout.columns and k in _field_keys(source)
    )
    return LayoutApplied(
        read=replace(
            read,
            header=header,
            data=data,
            # every field of the source the table lacks, whichever layout read it
            missing_columns=[c.key for c in source.spec.columns if c.key not in data.columns],
        ),
        quarantined=quarantined,
        issues=issues,
        not_available=not_available,
    )


def _field_keys(source: Source) -> set[str]:
    return {c.key for c in source.spec.columns}


def _folder_school(
    name: str, src: FieldSource, layout: Layout, rel: str, ctx: IngestContext
) -> str:
    """The school code a folder names: a code the registry knows, else the file is
    rejected naming the folder."""
    code = name.strip().upper()
    where = f"thư mục '{name}' (thư mục thứ {src.folder} của đường dẫn, bố cục '{layout.name}')"
    if not SCHOOL_CODE_RE.match(code):
        raise FileRejected(
            FOLDER_MISSING,
            f"Bố cục '{layout.name}' lấy 'Mã trường' từ thư mục thứ {src.folder} dưới "
            f"raw/{layout.source}/ ({_example_path(layout)}/<tệp>), nhưng {where} không phải "
            f"mã trường (6–12 chữ số hoặc chữ in hoa): đặt tệp '{rel}' vào thư mục mang mã "
            "trường rồi chạy lại" + show_invisible(name),
            field="Mã trường",
            value=name,
        )
    if ctx.registry is not None and code not in set(ctx.registry["school_code"].to_list()):
        raise FileRejected(
            "unknown_school",
            f"Mã trường '{code}' lấy từ {where} không có trong danh mục trường"
            + near_hint(code, ctx.registry["school_code"])
            + ": đổi tên thư mục cho đúng mã trường rồi chạy lại",
            field="Mã trường",
            value=code,
        )
    return code


def _map_values(
    read: TableRead, layout: Layout, source: Source
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The layout's value maps applied: each mapped column holds the contract's value; a
    row with a value the map does not list is quarantined, one issue per such cell."""
    data = read.data
    mapped = {k: m for k, m in layout.values.items() if k in data.columns}
    if not mapped or data.height == 0:
        return data, data.clear(), pl.DataFrame(schema=ISSUE_SCHEMA)
    data = data.with_columns(
        fold_expr(pl.col(k))
        .replace_strict(dict(m), default=None, return_dtype=pl.String)
        .alias(f"__mapped_{k}")
        for k, m in mapped.items()
    ).with_columns(
        (pl.col(k).is_not_null() & pl.col(f"__mapped_{k}").is_null()).alias(f"__unknown_{k}")
        for k in mapped
    )
    issues = []
    for key, mapping in mapped.items():
        label = layout.columns[key][0]
        known = ", ".join(sorted(set(mapping.values())))
        bad = data.filter(pl.col(f"__unknown_{key}"))
        if bad.height:
            issues.append(
                bad.select(
                    pl.col("_row"),
                    pl.col("_sheet"),
                    pl.lit(label).alias("field"),
                    pl.lit(UNKNOWN_VALUE).alias("rule_id"),
                    pl.lit("error").alias("severity"),
                    pl.format(
                        "Giá trị '{}' ở cột '{}' không có trong bảng mã của bố cục '{}' "
                        "(layouts.yaml; giá trị đã biết: {}): dòng bị cách ly — sửa giá trị, "
                        "hoặc bổ sung mã này vào bố cục trong layouts.yaml",
                        pl.col(key),
                        pl.lit(label),
                        pl.lit(layout.name),
                        pl.lit(known),
                    ).alias("message_vi"),
                    pl.col(key).alias("value"),
                )
            )
    any_unknown = pl.any_horizontal([pl.col(f"__unknown_{k}") for k in mapped])
    helpers = [c for c in data.columns if c.startswith(("__mapped_", "__unknown_"))]
    good = (
        data.filter(~any_unknown)
        .with_columns(pl.col(f"__mapped_{k}").alias(k) for k in mapped)
        .drop(helpers)
    )
    bad_rows = _sanitised(data.filter(any_unknown).drop(helpers), source)
    frame = pl.concat(issues) if issues else pl.DataFrame(schema=ISSUE_SCHEMA)
    return good, bad_rows, frame.select(list(ISSUE_SCHEMA))


def _sanitised(rows: pl.DataFrame, source: Source) -> pl.DataFrame:
    """Quarantined rows kept for the record without a person's name or clear ID."""
    if not source.personal:
        return rows
    out = rows.drop("full_name", strict=False)
    masked = [c for c in ("personal_id", "student_code", "staff_code") if c in out.columns]
    return out.with_columns(
        (
            pl.when(pl.col(c).str.contains(r"^\d{9,}$")).then(mask_id_expr(c)).otherwise(pl.col(c))
            if c != "personal_id"
            else mask_id_expr(c)
        ).alias(c)
        for c in masked
    )
