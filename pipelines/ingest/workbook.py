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
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl

from pipelines.ingest import file_guard
from pipelines.ingest.errors import FileRejected
from pipelines.ingest.text import fold, fold_expr, fold_header

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
CSV_SUFFIXES = (".csv",)
HEADER_SEARCH_ROWS = 200  # the header row must appear among the first rows of a sheet


@dataclass(frozen=True)
class ColumnSpec:
    """A column of a source table: its key in code and the headers accepted for it."""

    key: str
    headers: tuple[str, ...]
    required: bool = False

    @property
    def folded(self) -> frozenset[str]:
        return frozenset(fold_header(h) for h in self.headers)


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
    # A list of people is often split into one sheet per class: every visible sheet holding
    # the table is read, as one table. A report (one row per indicator) is not: a second
    # sheet of the same shape is last year's or a copy, so only the first is read.
    combine_sheets: bool = False

    @property
    def required(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.required)


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
    # file-level warnings of the reader itself: (rule_id, field, message_vi, value)
    notes: list[tuple[str, str | None, str, str | None]] = field(default_factory=list)
    kind: str | None = None  # what the file really is (file_guard.KIND_LABELS)
    # field → the header messages name it by, where a layout other than the contract's
    # was read (`Trạng thái HS`); empty: the contract's headers
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Grid:
    """One sheet (or a CSV) as strings: row i = spreadsheet row i + 1."""

    sheet: str | None
    frame: pl.DataFrame
    visible: bool = True
    errors: tuple[tuple[int, int], ...] = ()  # formula-error cells (0-based), read as blank


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _excel_reader(path: Path, kind: str):
    """(fastexcel's reader, formula-error cells by sheet name: calamine reads them blank)."""
    import fastexcel

    try:
        errors = file_guard.check_xlsx(path) if kind == "xlsx" else {}
        # By content, not by name: an .xlsx renamed .xls is still read as what it is.
        source = path.read_bytes() if kind != path.suffix.lower().lstrip(".") else str(path)
        return fastexcel.read_excel(source), errors
    except FileRejected:
        raise
    except Exception as exc:  # calamine reports corrupt zips, HTML, encrypted files alike
        detail = str(exc).splitlines()[0].removeprefix("calamine error: ")
        if "password protected" in detail or (kind == "xls" and path.suffix.lower() != ".xls"):
            raise FileRejected(
                "file_password",
                "Tệp Excel có đặt mật khẩu nên không đọc được: gỡ mật khẩu rồi nộp lại",
            ) from exc
        raise FileRejected(
            "file_unreadable",
            "Không đọc được tệp Excel (tệp hỏng, bị cắt cụt, có mật khẩu hoặc không phải Excel)"
            f" — tệp thực chất là: {file_guard.KIND_LABELS.get(kind, kind)}",
            value=detail[:200],
        ) from exc


def _grid_from_excel(path: Path, kind: str) -> list[Grid]:
    reader, errors = _excel_reader(path, kind)
    grids: list[Grid] = []
    for name in reader.sheet_names:
        try:
            # skip_rows=[] keeps leading empty rows, so row indices are real sheet rows.
            sheet = reader.load_sheet(
                name, header_row=None, dtypes="string", skip_rows=[], n_rows=file_guard.MAX_ROWS
            )
            visible = sheet.visible == "visible"
            if sheet.width > file_guard.MAX_COLUMNS:
                raise FileRejected(
                    "sheet_too_large",
                    f"Trang tính '{name}' có {sheet.width:,} cột (giới hạn "
                    f"{file_guard.MAX_COLUMNS}): xoá các cột thừa sau bảng rồi nộp lại",
                    sheet=name,
                )
            grid = sheet.to_polars()
        except FileRejected:
            raise
        except Exception as exc:
            raise FileRejected(
                "file_unreadable", f"Không đọc được trang tính '{name}': {exc}", sheet=name
            ) from exc
        grids.append(Grid(name, grid, visible, tuple(errors.get(name, ()))))
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


CSV_DELIMITERS = (",", ";", "\t")  # Vietnamese regional settings make Excel write `;`


def _csv_delimiter(text: str) -> str:
    """The separator that splits the most lines of the file's head into the same width."""
    lines = [line for line in text.splitlines()[:200] if line.strip()]
    best, best_score = ",", -1
    for delim in CSV_DELIMITERS:
        widths = [len(r) for r in csv.reader(lines, delimiter=delim)]
        if not widths:
            continue
        common = max(set(widths), key=widths.count)
        score = widths.count(common) * (common > 1) + sum(w > 1 for w in widths)
        if score > best_score:
            best, best_score = delim, score
    return best


def _grid_from_csv(path: Path) -> list[Grid]:
    file_guard.check_file_size(path, path.stat().st_size)
    text = _decode_csv(path.read_bytes())
    if "\x00" in text:
        raise FileRejected("file_unreadable", "Tệp CSV chứa dữ liệu nhị phân, không đọc được")
    try:
        delimiter = _csv_delimiter(text)
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise FileRejected("file_unreadable", f"Tệp CSV sai định dạng: {exc}") from exc
    width = max((len(r) for r in rows), default=0)
    if width > file_guard.MAX_COLUMNS or len(rows) > file_guard.MAX_ROWS:
        raise FileRejected(
            "sheet_too_large",
            f"Tệp CSV có {len(rows):,} dòng × {width:,} cột (giới hạn "
            f"{file_guard.MAX_ROWS:,} dòng, {file_guard.MAX_COLUMNS} cột)",
        )
    columns = [f"c{i}" for i in range(width)]
    padded = [r + [""] * (width - len(r)) for r in rows]
    grid = pl.DataFrame(padded, schema=dict.fromkeys(columns, pl.String), orient="row")
    return [Grid(None, grid.with_columns(pl.col(columns).replace("", None)))]


def file_kind(path: Path) -> str:
    """What the file really is, from its first bytes (`file_guard.KIND_LABELS`)."""
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise FileRejected(
            "file_unreadable",
            f"Không mở được tệp (không có quyền đọc hoặc tệp đang bị khoá): {exc.strerror}",
        ) from exc
    if not head:
        raise FileRejected("file_empty", "Tệp rỗng (0 byte)")
    kind = file_guard.sniff_kind(head)
    if kind == "xlsx":
        import zipfile

        try:
            with zipfile.ZipFile(path) as zf:
                kind = file_guard.zip_kind(zf)
        except (zipfile.BadZipFile, OSError):
            pass  # a truncated workbook: calamine says it is corrupt
    return kind


def read_grids(path: Path) -> tuple[str, list[Grid]]:
    """What the file is, and every sheet of it as a grid of strings."""
    suffix = path.suffix.lower()
    kind = file_kind(path)
    said = file_guard.KIND_LABELS.get(kind, kind)
    if suffix in EXCEL_SUFFIXES:
        if kind in ("xlsx", "xls"):
            return kind, _grid_from_excel(path, kind)
        if kind == "text" and path.stat().st_size <= file_guard.MAX_FILE_BYTES:
            raise FileRejected(
                "file_unreadable",
                f"Không đọc được tệp Excel: tệp có đuôi '{suffix}' nhưng thực chất là {said} — "
                "mở bằng Excel và lưu lại dạng .xlsx, hoặc đổi đuôi thành .csv",
            )
        raise FileRejected(
            "file_unreadable",
            f"Không đọc được tệp Excel (tệp hỏng, bị cắt cụt, có mật khẩu hoặc không phải Excel)"
            f" — tệp thực chất là: {said}",
        )
    if suffix in CSV_SUFFIXES:
        if kind in ("xlsx", "xls"):
            raise FileRejected(
                "file_unreadable",
                f"Tệp có đuôi .csv nhưng thực chất là {said}: đổi đuôi thành .xlsx rồi nộp lại",
            )
        return kind, _grid_from_csv(path)
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


def _locate_header(grid: pl.DataFrame, spec: TableSpec) -> tuple[int, dict[int, str], int, int]:
    """Return (row index of the header's last row, {grid column index: raw header}, number
    of required headers found, rows the header spans). A two-level header (`Số lượng` above
    `Tổng số | Nữ`) is read as one: the lower row's text where it has one."""
    required = [c.folded for c in spec.required]
    best: tuple[int, dict[int, str], int, int] = (-1, {}, -1, 1)
    best_width = 0
    previous: dict[int, str] = {}
    for idx, row in enumerate(grid.head(HEADER_SEARCH_ROWS).iter_rows()):
        headers = {i: t for i, c in enumerate(row) if (t := _cell_text(c)) is not None}
        for candidate, span in ((headers, 1), ({**previous, **headers}, 2)):
            folded = {fold_header(t) for t in candidate.values()}
            hits = sum(1 for alts in required if alts & folded)
            if hits == len(required) and hits > 0:
                return _with_lower_row(grid, spec, idx, candidate, hits, span)
            # the closest row: most required headers, then the widest single row
            if (hits, span == 1 and len(candidate)) > (best[2], best_width):
                best, best_width = (idx, candidate, hits, span), len(candidate)
        previous = headers
    return best


def _with_lower_row(
    grid: pl.DataFrame, spec: TableSpec, idx: int, headers: dict[int, str], hits: int, span: int
) -> tuple[int, dict[int, str], int, int]:
    """`Tổng số | Trong đó` above `Nữ | Dân tộc`: the row under a found header joins it when
    it names columns of the spec the header lacks."""
    if idx + 1 >= grid.height:
        return idx, headers, hits, span
    lower = {i: t for i, c in enumerate(grid.row(idx + 1)) if (t := _cell_text(c)) is not None}
    have = {fold_header(t) for t in headers.values()}
    wanted = {f for c in spec.columns for f in c.folded if not (c.folded & have)}
    if lower and any(fold_header(t) in wanted for t in lower.values()):
        return idx + 1, {**headers, **lower}, hits, span + 1
    return idx, headers, hits, span


# A row with a date or a long number in it is a data row (a pupil's birth date, an ID):
# the hint names it but never quotes it, since its other cells may be a person's name.
_DATA_LIKE = re.compile(r"\d{5,}|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")


def _closest_row_hint(grid: pl.DataFrame, idx: int) -> str:
    if idx < 0 or idx >= grid.height:
        return ""
    cells = [t for c in grid.row(idx) if (t := _cell_text(c)) is not None][:8]
    if not cells:
        return ""
    if any(_DATA_LIKE.search(c) for c in cells):
        return f"; dòng gần đúng nhất là dòng {idx + 1}, trông như dòng dữ liệu (không trích)"
    return f"; dòng gần đúng nhất (dòng {idx + 1}): " + " | ".join(cells)


def read_table(path: Path, spec: TableSpec, markers: dict[str, str] | None = None) -> TableRead:
    """Read the table described by `spec` from a file.

    The table is read from the first *visible* sheet that holds every required column; a
    hidden sheet is read only when no visible one holds the table, and other sheets holding
    it too are named in a warning (`TableRead.notes`). `markers` (folded label → `end` or
    `total`, code list `table_marker`) say where the table stops and which lines are totals.
    Raises FileRejected when the file cannot be read or no sheet holds the table.
    """
    kind, grids = read_grids(path)
    return table_from_grids(kind, grids, spec, markers)


def table_from_grids(
    kind: str,
    grids: list[Grid],
    spec: TableSpec,
    markers: dict[str, str] | None = None,
    sheet: str | None = None,
) -> TableRead:
    """`read_table` over sheets already read (a file tried against several layouts is
    parsed once); `sheet` (folded-name match) restricts the search to that sheet."""
    if not grids or all(g.frame.height == 0 for g in grids):
        raise FileRejected("file_empty", "Tệp không có dữ liệu")
    if sheet is not None:
        named = [g for g in grids if g.sheet is not None and fold(g.sheet) == fold(sheet)]
        if not named:
            present = ", ".join(f"'{g.sheet}'" for g in grids if g.sheet is not None)
            raise FileRejected(
                "missing_required_column",
                f"Không có trang tính '{sheet}' (các trang: {present or 'không có'})",
            )
        grids = named
    found = _sheets_with_table(grids, spec)
    visible = [f for f in found if f[0].visible]
    chosen_grid, (idx, headers, _, span) = (visible or found)[0]
    read = _extract(chosen_grid, idx, headers, span, spec, markers)
    read.kind = kind
    combined = [chosen_grid]
    if spec.combine_sheets and len(visible) > 1:
        read = _combine(read, visible[1:], spec, markers)
        combined = [g for g, _ in visible]
    read.notes.extend(_sheet_notes(chosen_grid, [g for g, _ in found], combined))
    return read


def _sheets_with_table(
    grids: list[Grid], spec: TableSpec
) -> list[tuple[Grid, tuple[int, dict[int, str], int, int]]]:
    """Every non-empty sheet whose header row holds all required columns, with where its
    header is; none: the file is rejected, naming the columns missing from the sheet that
    came closest (and its header block, to trace the school)."""
    best_miss: tuple[str | None, int, list[str], str, dict] | None = None
    found: list[tuple[Grid, tuple[int, dict[int, str], int, int]]] = []
    for g in grids:
        if g.frame.height == 0:
            continue
        located = _locate_header(g.frame, spec)
        idx, headers, hits, _ = located
        if hits < len(spec.required):
            folded_present = {fold_header(t) for t in headers.values()}
            missing = [c.headers[0] for c in spec.required if not (c.folded & folded_present)]
            if best_miss is None or len(missing) < len(best_miss[2]):
                hint = _closest_row_hint(g.frame, idx)
                above = list(g.frame.head(max(idx, 0) or HEADER_SEARCH_ROWS).iter_rows())
                header = _parse_header_block(above, spec)
                best_miss = (g.sheet, idx + 1 if idx >= 0 else 1, missing, hint, header)
            continue
        found.append((g, located))
    if not found:
        assert best_miss is not None
        sheet, row, missing, hint, header = best_miss
        raise FileRejected(
            "missing_required_column",
            "Không tìm thấy dòng tiêu đề có đủ các cột bắt buộc; thiếu cột: "
            + ", ".join(missing)
            + hint,
            sheet=sheet,
            row=row,
            field=", ".join(missing),
            header=header,
        )
    return found


def _sheet_notes(
    chosen_grid: Grid, found: list[Grid], combined: list[Grid]
) -> list[tuple[str, str | None, str, str | None]]:
    """The reader's warnings about sheets: a table read from a hidden sheet, hidden sheets
    skipped, other sheets holding the same table but not read."""
    notes: list[tuple[str, str | None, str, str | None]] = []
    others = [g.sheet for g in found if g not in combined]
    hidden = [g.sheet for g in found if not g.visible and g is not chosen_grid]
    if not chosen_grid.visible:
        notes.append(
            ("hidden_sheet_read", None,
             f"Bảng chỉ có ở trang tính ẩn '{chosen_grid.sheet}': đã đọc trang này, "
             "kiểm tra đó có đúng là số liệu kỳ này", chosen_grid.sheet)
        )  # fmt: skip
    if hidden:
        notes.append(
            ("hidden_sheet_skipped", None,
             "Bỏ qua trang tính ẩn: " + ", ".join(f"'{h}'" for h in hidden)
             + " (số liệu ở trang ẩn không được đọc)", ", ".join(map(str, hidden)))
        )  # fmt: skip
    unread = [o for o in others if o not in hidden]
    if unread:
        notes.append(
            ("other_sheets_not_read", None,
             f"Chỉ đọc trang tính '{chosen_grid.sheet}'; các trang "
             + ", ".join(f"'{o}'" for o in unread)
             + " cũng có bảng cùng dạng nhưng KHÔNG được đọc: gộp vào một trang rồi nộp lại",
             ", ".join(map(str, unread)))
        )  # fmt: skip
    return notes


def _combine(
    first: TableRead,
    more: list[tuple[Grid, tuple[int, dict[int, str], int, int]]],
    spec: TableSpec,
    markers: dict[str, str] | None,
) -> TableRead:
    """The table of `first`'s sheet and of every sheet in `more`, as one: rows keep their
    own sheet (`_sheet`) and spreadsheet row, and the header block is the first sheet's."""
    frames, sheets = [first.data], [first.sheet]
    for grid, (idx, headers, _, span) in more:
        part = _extract(grid, idx, headers, span, spec, markers)
        frames.append(part.data)
        sheets.append(grid.sheet)
        first.notes += [(r, f, f"Trang '{grid.sheet}': {m}", v) for r, f, m, v in part.notes]
        first.missing_columns = [c for c in first.missing_columns if c in part.missing_columns]
    first.data = pl.concat(frames, how="diagonal_relaxed")  # a column one sheet lacks: null
    first.notes.append(
        ("sheets_combined", None,
         f"Danh sách ở {len(sheets)} trang tính cùng dạng, đọc gộp thành một bảng: "
         + ", ".join(f"'{s}'" for s in sheets), ", ".join(map(str, sheets)))
    )  # fmt: skip
    return first


@cache
def _shipped_markers() -> dict[str, str]:
    from pipelines.reference.code_lists import load_code_lists
    from pipelines.settings import SHIPPED_REFERENCE

    return load_code_lists(SHIPPED_REFERENCE / "code_lists.csv").markers()


def _table_rows(
    data: pl.DataFrame,
    cols: list[str],
    header_folded: dict[str, str],
    markers: dict[str, str],
    key: str | None = None,
) -> tuple[pl.DataFrame, list[tuple[str, str | None, str, str | None]]]:
    """Stop the table at its end (a signature block), and drop total lines and repeated
    header rows; each is said in a note, so nothing disappears without a word. A marker
    word counts only where the row's key column (`key`: the indicator or pupil code) is
    blank or holds the marker itself: a real row keeps its code, whatever its label says."""
    notes: list[tuple[str, str | None, str, str | None]] = []
    if not cols or data.height == 0:
        return data, notes
    first = fold_expr(pl.coalesce([pl.col(c) for c in cols]))
    if key in cols:
        first = pl.when(pl.col(key).is_null() | (fold_expr(pl.col(key)) == first)).then(first)
    filled = pl.sum_horizontal([pl.col(c).is_not_null().cast(pl.Int32) for c in cols])
    ends = [m for m, k in markers.items() if k == "end" and m]
    totals = [m for m, k in markers.items() if k == "total" and m]
    same_as_header = pl.sum_horizontal(
        [(fold_expr(pl.col(c)) == header_folded[c]).fill_null(False).cast(pl.Int32)
         for c in cols]
    )  # fmt: skip
    flagged = data.with_columns(
        (first.str.contains("^(?:" + "|".join(ends) + ")") & (filled <= 3)).fill_null(False)
        .alias("__end") if ends else pl.lit(False).alias("__end"),
        first.str.contains("^(?:" + "|".join(totals) + ")").fill_null(False).alias("__total")
        if totals else pl.lit(False).alias("__total"),
        ((same_as_header >= 2) & (same_as_header * 2 >= filled)).alias("__header"),
    )  # fmt: skip
    end_rows = flagged.filter("__end")["_row"]
    if end_rows.len():
        end = end_rows[0]
        after = flagged.filter(pl.col("_row") >= end)
        notes.append(
            ("table_end", None,
             f"Bảng kết thúc ở dòng {end} (phần ký tên/chân trang): {after.height} dòng từ đó "
             "trở xuống không được đọc là dữ liệu", str(end))
        )  # fmt: skip
        flagged = flagged.filter(pl.col("_row") < end)
    for flag, rule, what in (
        ("__total", "total_row_skipped", "dòng tổng cộng"),
        ("__header", "repeated_header_skipped", "dòng tiêu đề lặp lại"),
    ):
        rows = flagged.filter(flag)["_row"].to_list()
        if rows:
            shown = ", ".join(map(str, rows[:10])) + (" …" if len(rows) > 10 else "")
            notes.append(
                (rule, None, f"Bỏ qua {len(rows)} {what} (không phải dữ liệu): dòng {shown}",
                 shown)
            )  # fmt: skip
    kept = flagged.filter(~pl.col("__total") & ~pl.col("__header"))
    return kept.drop("__end", "__total", "__header"), notes


def _error_cells_note(
    grid: Grid, idx: int, chosen: dict[str, int], headers: dict[int, str]
) -> list[tuple[str, str | None, str, str | None]]:
    """A warning naming the table's cells that hold a formula error (`#VALUE!`, `#DIV/0!`…):
    the reader sees them blank, so the figure would be missing without a word."""
    columns = {i: headers[i] for i in chosen.values()}
    cells = [
        f"{file_guard.column_letters(c + 1)}{r + 1} (cột '{columns[c]}', dòng {r + 1})"
        for r, c in sorted(grid.errors)
        if r > idx and c in columns
    ]
    if not cells:
        return []
    shown = "; ".join(cells[:10]) + (f" … và {len(cells) - 10} ô khác" if len(cells) > 10 else "")
    return [
        ("formula_error_cells", None,
         f"{len(cells)} ô có lỗi công thức (#VALUE!, #DIV/0!, #REF!…) được đọc là trống: "
         f"{shown} — sửa công thức hoặc nhập số rồi nộp lại", shown)
    ]  # fmt: skip


def _extract(
    grid: Grid,
    idx: int,
    headers: dict[int, str],
    span: int,
    spec: TableSpec,
    markers: dict[str, str] | None,
) -> TableRead:
    by_fold: dict[str, ColumnSpec] = {f: c for c in spec.columns for f in c.folded}
    chosen: dict[str, int] = {}
    extra: list[str] = []
    duplicates: list[str] = []
    for i, text in sorted(headers.items()):
        col = by_fold.get(fold_header(text))
        if col is None:
            extra.append(text)
        elif col.key in chosen:
            duplicates.append(text)  # the first column with a header wins
        else:
            chosen[col.key] = i
    frame = grid.frame
    header_rows = list(frame.head(idx + 1 - span).iter_rows())
    names = frame.columns
    body = frame.slice(idx + 1).with_row_index("_row", offset=idx + 2)
    data = body.select(
        pl.col("_row").cast(pl.Int64),
        pl.lit(grid.sheet, pl.String).alias("_sheet"),
        *[pl.col(names[i]).alias(key) for key, i in chosen.items()],
    )
    # Fully blank rows inside or below the table are layout, not data.
    value_cols = sorted(chosen, key=chosen.__getitem__)
    if value_cols:
        data = data.filter(pl.any_horizontal(pl.col(value_cols).is_not_null()))
    notes_errors = _error_cells_note(grid, idx, chosen, headers)
    header_folded = {k: fold(headers[i]) for k, i in chosen.items()}
    data, notes = _table_rows(
        data,
        value_cols,
        header_folded,
        _shipped_markers() if markers is None else markers,
        key=spec.required[0].key if spec.required else None,
    )
    return TableRead(
        sheet=grid.sheet,
        header_row=idx + 1,
        header=_parse_header_block(header_rows, spec),
        data=data,
        extra_columns=extra,
        duplicate_columns=duplicates,
        missing_columns=[c.key for c in spec.columns if c.key not in chosen],
        notes=notes + notes_errors,
    )
