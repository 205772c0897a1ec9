"""The one reader for the contract's workbook shape (contract §1).

A school file is a table, possibly with a *header block* above it (`Label: value` in one
cell, or the label in one cell and the value in the next cell to the right). The table's
header row is the first row that holds every required column header; headers match
case-, diacritic-, NFC/NFD- and whitespace-insensitively. `.xlsx`/`.xls` go through
fastexcel (calamine, Rust), `.csv` through the standard library's exact CSV parser. Cells
come back as strings, with their 1-based spreadsheet row, so every later rule can name the
cell a data officer must open.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.ingest.text import fold

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
CSV_SUFFIXES = (".csv",)
SUPPORTED_SUFFIXES = EXCEL_SUFFIXES + CSV_SUFFIXES
HEADER_SEARCH_ROWS = 60  # the header row must appear among the first rows of a sheet


@dataclass(frozen=True)
class ColumnSpec:
    """A column of a source table: its key in code and the headers accepted for it."""

    key: str
    headers: tuple[str, ...]
    required: bool = False

    @property
    def folded(self) -> frozenset[str]:
        return frozenset(fold(h) for h in self.headers)


@dataclass(frozen=True)
class HeaderField:
    """A value read from the header block, by one of its labels."""

    key: str
    labels: tuple[str, ...]

    @property
    def folded(self) -> frozenset[str]:
        return frozenset(fold(h) for h in self.labels)


@dataclass(frozen=True)
class TableSpec:
    columns: tuple[ColumnSpec, ...]
    header_fields: tuple[HeaderField, ...] = ()

    @property
    def required(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.required)


class FileRejected(Exception):
    """The whole file cannot be used. `message_vi` is what the data officer reads."""

    def __init__(
        self,
        rule_id: str,
        message_vi: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        field: str | None = None,
        value: str | None = None,
    ) -> None:
        super().__init__(message_vi)
        self.rule_id = rule_id
        self.message_vi = message_vi
        self.sheet = sheet
        self.row = row
        self.field = field
        self.value = value


@dataclass
class TableRead:
    """What the reader found in one file."""

    sheet: str | None  # None for CSV
    header_row: int  # 1-based spreadsheet row of the table header
    header: dict[str, str | None]  # header-block values by HeaderField.key
    data: pl.DataFrame  # one String column per found ColumnSpec.key, plus `_row` (Int64)
    extra_columns: list[str] = field(default_factory=list)
    duplicate_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)  # optional columns not present


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _grid_from_excel(path: Path) -> list[tuple[str, pl.DataFrame]]:
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:  # calamine reports corrupt zips, HTML, encrypted files alike
        detail = str(exc).splitlines()[0].removeprefix("calamine error: ")
        if "password protected" in detail:
            raise FileRejected(
                "file_password",
                "Tệp Excel có đặt mật khẩu nên không đọc được: gỡ mật khẩu rồi nộp lại",
            ) from exc
        raise FileRejected(
            "file_unreadable",
            "Không đọc được tệp Excel (tệp hỏng, bị cắt cụt, có mật khẩu hoặc không phải Excel)"
            f" — chi tiết: {detail}",
        ) from exc
    grids: list[tuple[str, pl.DataFrame]] = []
    for name in reader.sheet_names:
        try:
            # skip_rows=[] keeps leading empty rows, so row indices are real sheet rows.
            sheet = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=[])
            grid = sheet.to_polars()
        except Exception as exc:
            raise FileRejected(
                "file_unreadable", f"Không đọc được trang tính '{name}': {exc}", sheet=name
            ) from exc
        grids.append((name, grid))
    return grids


def _decode_csv(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            if encoding == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                continue
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    try:
        return raw.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise FileRejected(
            "file_encoding", "Tệp CSV không ở bảng mã UTF-8 (hoặc UTF-16, Windows-1258)"
        ) from exc


def _grid_from_csv(path: Path) -> list[tuple[str | None, pl.DataFrame]]:
    text = _decode_csv(path.read_bytes())
    if "\x00" in text:
        raise FileRejected("file_unreadable", "Tệp CSV chứa dữ liệu nhị phân, không đọc được")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise FileRejected("file_unreadable", f"Tệp CSV sai định dạng: {exc}") from exc
    width = max((len(r) for r in rows), default=0)
    columns = [f"c{i}" for i in range(width)]
    padded = [r + [""] * (width - len(r)) for r in rows]
    grid = pl.DataFrame(padded, schema=dict.fromkeys(columns, pl.String), orient="row")
    return [(None, grid.with_columns(pl.col(columns).replace("", None)))]  # a CSV has no sheet


def read_grids(path: Path) -> list[tuple[str | None, pl.DataFrame]]:
    """Every sheet of a file as a grid of strings, row i = spreadsheet row i + 1."""
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise FileRejected("file_empty", "Tệp rỗng (0 byte)")
    if suffix in EXCEL_SUFFIXES:
        return _grid_from_excel(path)
    if suffix in CSV_SUFFIXES:
        return _grid_from_csv(path)
    raise FileRejected(
        "file_format", f"Định dạng tệp '{suffix}' không được hỗ trợ (chỉ nhận .xlsx, .xls, .csv)"
    )


def _parse_header_block(rows: list[tuple], spec: TableSpec) -> dict[str, str | None]:
    wanted = {f: spec_field.key for spec_field in spec.header_fields for f in spec_field.folded}
    found: dict[str, str | None] = {f.key: None for f in spec.header_fields}
    for row in rows:
        cells = [_cell_text(c) for c in row]
        for i, cell in enumerate(cells):
            if cell is None:
                continue
            label, sep, rest = cell.partition(":")
            key = wanted.get(fold(label))
            if key is None or found[key] is not None:
                continue
            value = rest.strip() if sep else ""
            if not value:  # label in this cell, value in the next non-empty cell to the right
                value = next((c for c in cells[i + 1 :] if c is not None), "") or ""
            found[key] = value.strip() or None
    return found


def _locate_header(grid: pl.DataFrame, spec: TableSpec) -> tuple[int, dict[int, str], int]:
    """Return (row index, {grid column index: raw header}, number of required headers found)."""
    required = [c.folded for c in spec.required]
    best = (-1, {}, -1)
    for idx, row in enumerate(grid.head(HEADER_SEARCH_ROWS).iter_rows()):
        headers = {i: t for i, c in enumerate(row) if (t := _cell_text(c)) is not None}
        folded = {fold(t) for t in headers.values()}
        hits = sum(1 for alts in required if alts & folded)
        if hits == len(required) and hits > 0:
            return idx, headers, hits
        if hits > best[2]:
            best = (idx, headers, hits)
    return best


def read_table(path: Path, spec: TableSpec) -> TableRead:
    """Read the table described by `spec` from a file (the first sheet that holds it).

    Raises FileRejected when the file cannot be read or no sheet holds every required column.
    """
    grids = read_grids(path)
    if not grids or all(g.height == 0 for _, g in grids):
        raise FileRejected("file_empty", "Tệp không có dữ liệu")
    best_miss: tuple[str | None, int, list[str]] | None = None
    for sheet, grid in grids:
        if grid.height == 0:
            continue
        idx, headers, hits = _locate_header(grid, spec)
        if hits < len(spec.required):
            folded_present = {fold(t) for t in headers.values()}
            missing = [c.headers[0] for c in spec.required if not (c.folded & folded_present)]
            if best_miss is None or len(missing) < len(best_miss[2]):
                best_miss = (sheet, idx + 1 if idx >= 0 else 1, missing)
            continue
        return _extract(sheet, grid, idx, headers, spec)
    assert best_miss is not None
    sheet, row, missing = best_miss
    raise FileRejected(
        "missing_required_column",
        "Không tìm thấy dòng tiêu đề có đủ các cột bắt buộc; thiếu cột: " + ", ".join(missing),
        sheet=sheet,
        row=row,
        field=", ".join(missing),
    )


def _extract(
    sheet: str | None, grid: pl.DataFrame, idx: int, headers: dict[int, str], spec: TableSpec
) -> TableRead:
    by_fold: dict[str, ColumnSpec] = {f: c for c in spec.columns for f in c.folded}
    chosen: dict[str, int] = {}
    extra: list[str] = []
    duplicates: list[str] = []
    for i, text in sorted(headers.items()):
        col = by_fold.get(fold(text))
        if col is None:
            extra.append(text)
        elif col.key in chosen:
            duplicates.append(text)  # the first column with a header wins
        else:
            chosen[col.key] = i
    header_rows = list(grid.head(idx).iter_rows())
    names = grid.columns
    body = grid.slice(idx + 1).with_row_index("_row", offset=idx + 2)
    data = body.select(
        pl.col("_row").cast(pl.Int64),
        *[pl.col(names[i]).alias(key) for key, i in chosen.items()],
    )
    # Fully blank rows inside or below the table are layout, not data.
    value_cols = [k for k in chosen]
    if value_cols:
        data = data.filter(pl.any_horizontal(pl.col(value_cols).is_not_null()))
    return TableRead(
        sheet=sheet,
        header_row=idx + 1,
        header=_parse_header_block(header_rows, spec),
        data=data,
        extra_columns=extra,
        duplicate_columns=duplicates,
        missing_columns=[c.key for c in spec.columns if c.key not in chosen],
    )
