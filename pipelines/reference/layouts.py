"""Layouts (`layouts.yaml`, contract §2.8): the shapes a source's files come in, as data.

For each source, an ordered list of layouts. A layout says which headers are accepted for
each field of the source, which of them must be present for the layout to match, which
sheet holds the table (optional), the value maps from the labels or codes of an export to
the contract's values, and where a field absent from the table comes from: the header
block (`header: [labels]`), a fixed value (`fixed: …`) or a folder of the file's path
under `raw/<source>/` (`folder: N`, 1 = the first folder below the source's). The pipeline
tries a source's layouts in order; the first whose required headers are all found wins.
A field the source declares that the matched layout has no column for is *not available*
in that file (pipelines/ingest/layouts.py).

This module only reads and checks the file; the fields a source has are passed in, so
that reference data never imports ingestion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines.reference.folding import fold

CONTRACT = "contract"  # the name of a source's own layout (contract §2.1–2.5)
SOURCE_KINDS = ("header", "fixed", "folder")


class LayoutError(ValueError):
    pass


@dataclass(frozen=True)
class FieldSource:
    """Where a field outside the table comes from."""

    kind: str  # header | fixed | folder
    labels: tuple[str, ...] = ()  # header: the labels accepted in the header block
    value: str | None = None  # fixed: the value
    folder: int | None = None  # folder: 1-based folder below raw/<source>/

    def describe_vi(self) -> str:
        if self.kind == "header":
            return "phần đầu tệp (" + ", ".join(f"'{x}'" for x in self.labels) + ")"
        if self.kind == "fixed":
            return f"giá trị cố định '{self.value}'"
        return f"thư mục thứ {self.folder} dưới raw/<nguồn>/"


@dataclass(frozen=True, eq=True)
class Layout:
    source: str
    name: str
    title_vi: str
    columns: Mapping[str, tuple[str, ...]]  # field → headers accepted (first: as messages name it)
    required: tuple[str, ...]
    sheet: str | None = None
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # folded label → value
    fields: Mapping[str, tuple[FieldSource, ...]] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.source, self.name))


def _strings(value: object, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    out = tuple(str(v).strip() for v in items if v is not None and str(v).strip())
    if not out:
        raise LayoutError(f"{where}: cần ít nhất một tiêu đề hoặc nhãn")
    return out


def _field_sources(raw: object, where: str) -> tuple[FieldSource, ...]:
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for n, item in enumerate(items, start=1):
        here = f"{where}, nguồn {n}"
        if not isinstance(item, dict) or len(item) != 1 or next(iter(item)) not in SOURCE_KINDS:
            raise LayoutError(
                f"{here}: phải là một trong header: [nhãn], fixed: giá trị, folder: số thứ tự "
                f"thư mục (nhận được {item!r})"
            )
        kind, value = next(iter(item.items()))
        if kind == "header":
            out.append(FieldSource("header", labels=_strings(value, here)))
        elif kind == "fixed":
            if value is None or not str(value).strip():
                raise LayoutError(f"{here}: fixed cần một giá trị")
            out.append(FieldSource("fixed", value=str(value).strip()))
        else:
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise LayoutError(
                    f"{here}: folder là số thứ tự thư mục dưới raw/<nguồn>/, từ 1 "
                    f"(nhận được {value!r})"
                )
            out.append(FieldSource("folder", folder=value))
    return tuple(out)


def _columns(raw: dict, where: str, known: Sequence[str] | None) -> dict[str, tuple[str, ...]]:
    raw_columns = raw.get("columns")
    if not isinstance(raw_columns, dict) or not raw_columns:
        raise LayoutError(f"{where}: thiếu columns (trường → danh sách tiêu đề cột)")
    columns = {str(k): _strings(v, f"{where}, cột '{k}'") for k, v in raw_columns.items()}
    bad = sorted(set(columns) - set(known)) if known is not None else []
    if bad:
        raise LayoutError(
            f"{where}: trường không có ở nguồn này: {', '.join(bad)} (các trường: "
            f"{', '.join(known or ())})"
        )
    return columns


def _values(raw: dict, where: str, columns: Mapping[str, object]) -> dict[str, dict[str, str]]:
    values: dict[str, dict[str, str]] = {}
    for key, mapping in (raw.get("values") or {}).items():
        if key not in columns:
            raise LayoutError(f"{where}: values nêu trường '{key}' không có trong columns")
        if not isinstance(mapping, dict) or not mapping:
            raise LayoutError(f"{where}: values của '{key}' phải là bảng nhãn → giá trị")
        folded: dict[str, str] = {}
        for label, value in mapping.items():
            if value is None or not str(value).strip():
                raise LayoutError(f"{where}: values của '{key}': nhãn '{label}' thiếu giá trị")
            folded[fold(str(label))] = str(value).strip()
        values[str(key)] = folded
    return values


def _fields(
    raw: dict, where: str, known: Sequence[str] | None
) -> dict[str, tuple[FieldSource, ...]]:
    fields = {
        str(k): _field_sources(v, f"{where}, trường '{k}'")
        for k, v in (raw.get("fields") or {}).items()
    }
    bad = sorted(set(fields) - set(known)) if known is not None else []
    if bad:
        raise LayoutError(
            f"{where}: fields nêu trường không có ở nguồn này: {', '.join(bad)} (các "
            f"trường ngoài bảng: {', '.join(known or ()) or 'không có'})"
        )
    return fields


def _layout(
    source: str,
    raw: object,
    n: int,
    columns_known: Sequence[str] | None,
    fields_known: Sequence[str] | None,
) -> Layout:
    where = f"layouts.yaml, nguồn '{source}', bố cục {n}"
    if not isinstance(raw, dict):
        raise LayoutError(f"{where}: phải là một bảng (name, columns, …)")
    name = str(raw.get("name") or "").strip()
    if not name:
        raise LayoutError(f"{where}: thiếu name")
    where = f"layouts.yaml, nguồn '{source}', bố cục '{name}'"
    unknown_keys = set(raw) - {
        "name",
        "title_vi",
        "sheet",
        "columns",
        "required",
        "values",
        "fields",
    }
    if unknown_keys:
        raise LayoutError(f"{where}: khoá không biết: {', '.join(sorted(unknown_keys))}")
    columns = _columns(raw, where, columns_known)
    required = tuple(str(k) for k in (raw.get("required") or []))
    if not required:
        raise LayoutError(f"{where}: thiếu required (các cột phải có để nhận ra bố cục)")
    missing = [k for k in required if k not in columns]
    if missing:
        raise LayoutError(f"{where}: required nêu trường không có trong columns: {missing}")
    sheet = raw.get("sheet")
    return Layout(
        source=source,
        name=name,
        title_vi=str(raw.get("title_vi") or name),
        columns=columns,
        required=required,
        sheet=str(sheet).strip() if sheet is not None and str(sheet).strip() else None,
        values=_values(raw, where, columns),
        fields=_fields(raw, where, fields_known),
    )


def load_layouts(
    path: Path,
    columns_by_source: Mapping[str, Sequence[str]] | None = None,
    fields_by_source: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, tuple[Layout, ...]]:
    """source → its layouts, in the order they are tried. `columns_by_source` and
    `fields_by_source` (the table columns and header-block fields each source declares)
    check every name the file uses; a mistake raises LayoutError naming it."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LayoutError(f"Không tìm thấy tệp bố cục: {path}") from exc
    except yaml.YAMLError as exc:
        raise LayoutError(f"layouts.yaml không đọc được (YAML sai): {exc}") from exc
    if not isinstance(raw, dict):
        raise LayoutError("layouts.yaml: phải là một bảng nguồn → danh sách bố cục")
    out: dict[str, tuple[Layout, ...]] = {}
    for source, items in raw.items():
        if columns_by_source is not None and source not in columns_by_source:
            raise LayoutError(
                f"layouts.yaml: nguồn '{source}' không có (các nguồn: "
                f"{', '.join(columns_by_source)})"
            )
        if not isinstance(items, list) or not items:
            raise LayoutError(f"layouts.yaml, nguồn '{source}': cần một danh sách bố cục")
        layouts = tuple(
            _layout(
                str(source),
                item,
                n,
                None if columns_by_source is None else columns_by_source[source],
                None if fields_by_source is None else fields_by_source.get(source, ()),
            )
            for n, item in enumerate(items, start=1)
        )
        names = [x.name for x in layouts]
        if len(set(names)) != len(names):
            raise LayoutError(f"layouts.yaml, nguồn '{source}': tên bố cục bị trùng: {names}")
        out[str(source)] = layouts
    return out
