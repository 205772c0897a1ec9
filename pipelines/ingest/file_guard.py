"""Look at an untrusted file before a library reads it: what it really is, and how much
it would cost to read.

A 2 KB workbook whose one stray cell sits at `XFD1048576` makes calamine allocate the
whole used range (16,384 × 1,048,576 cells, 512 GiB: the process aborts), and a 7 MB zip
can expand to gigabytes of XML. So before a workbook reaches the reader, `check_xlsx`
inflates every member of the zip itself (the bytes its deflate stream really expands to:
the zip library under calamine ignores the declared sizes) against one budget, and parses
every XML member once, streaming, with expat. It places cells as calamine does (an `r`
attribute when there is one, else `<row r>` or the running row count and the running
column count) and counts only what calamine allocates for: a cell with a value (an empty
styled cell, `<dimension>` and a formula without a value make no room in calamine's range;
measured through fastexcel). The file is refused, with a Vietnamese message naming the
sheet and the cell, when a sheet's range, its number of cells, the workbook's text or one
item of it passes a bound; a member that cannot be inflated or a part calamine reads that
is not well-formed XML makes the file unreadable. Nothing here holds more than one chunk
of a member at a time.

Measured through fastexcel 0.21 (calamine 0.36) without these bounds, each from a file
under 1 MB: a 4 KB workbook of 20,000 cells pointing at one 32 KB shared string took 1.3 GB
(the text is copied per cell), 23 million `<si>` or 9 million `<definedName>` 1.2–1.3 GB,
one 390 MB string 1.2 GB, 17 million cells all at A1 0.7 GB; a member whose declared size is
smaller than its stream is read whole by calamine (with a wrong CRC too), and a sheet is
found wherever its relationship points ('/data/x.bin', '../x', any case).

The cost: about 1 µs of Python per XML element (expat calls back for each): a 100,000-row
export (1.1 million cells, 37 MB of XML) takes 4–6 s to check where calamine reads it in
about 1 s; the 451 workbooks of the sample district, 1.5 s in all.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from pipelines.ingest.errors import FileRejected

# Bounds for one file. A school's largest real file, a 100,000-pupil CSDL ngành export (12
# columns: 1.2 million cells, about 10 MB of text, a few hundred thousand distinct strings),
# is well inside them. A workbook at all of them at once (6 million cells, 2 million shared
# strings, 100 MB of text) is judged in 873 MB (`make bench`: benchmarks/hostile.py, ≤ 1 GB).
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024  # what all members of a workbook inflate to
MAX_ROWS = 200_000  # rows of one sheet or CSV
MAX_COLUMNS = 256  # columns of one sheet or CSV
MAX_CELLS = 6_000_000  # rows × columns of one sheet's range; also cells with a value, all sheets
MAX_FILE_BYTES = 200 * 1024 * 1024  # a CSV or .xls on disk
MAX_SHEETS = 256  # sheets a workbook lists (every one is loaded)
MAX_SHARED_STRINGS = 2_000_000  # <si> entries: calamine holds them all while reading
MAX_TEXT_BYTES = 100 * 1024 * 1024  # shared strings + the text of every cell, all sheets
MAX_ITEM_BYTES = 16 * 1024 * 1024  # one tag, text run, cell or shared string
MAX_NAMES = 200_000  # defined names, relationships, number formats: calamine keeps each
MAX_ERROR_CELLS = 200  # formula-error cells remembered per sheet, to name in a warning

_CHUNK = 1 << 20
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_COLUMNS: dict[str, int] = {}  # column letters → number, as they are met
# Parts calamine reads by what they hold: a part that is not well-formed XML but holds one
# of these is refused (calamine reads XML leniently, so its reading and expat's could
# differ); other members (images, VML drawings, binaries) are only counted.
_RELEVANT = frozenset(
    {"sheetData", "sst", "workbook", "worksheet", "sheets", "sheet", "definedNames",
     "definedName", "Relationships", "Relationship"}
)  # fmt: skip
_NAMED = frozenset({"definedName", "Relationship", "numFmt"})
_RELEVANT_TAG = re.compile(
    rb"<\s*(?:[^\s<>/:]+:)?(?:sheetData|sst|workbook|worksheet|sheets?|definedNames?|"
    rb"Relationships?)[\s/>]"
)
# Control characters some generators write raw into strings: calamine reads them, expat
# refuses them. Replaced by spaces (same length, so byte positions hold) before parsing.
_CONTROL = bytes.maketrans(bytes([*range(9), 11, 12, *range(14, 32)]), b" " * 29)
# `t` values whose empty `<v></v>` calamine reads as an empty cell (no room in the range).
_EMPTY_V_TYPES = frozenset({None, "n", "s", "b", "e", "inlineStr"})

KIND_LABELS = {
    "xlsx": "Excel .xlsx",
    "xls": "Excel 97-2003 (.xls) hoặc tệp Office được mã hoá",
    "html": "trang web HTML",
    "pdf": "tài liệu PDF",
    "zip": "tệp nén ZIP (không phải Excel)",
    "doc": "tài liệu Word",
    "text": "tệp văn bản (CSV/TXT)",
    "binary": "dữ liệu nhị phân",
}


def sniff_kind(head: bytes) -> str:
    """What the first bytes of a file say it is, whatever its name."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"  # refined by `zip_kind` once the members are listed
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith(b"%PDF"):
        return "pdf"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml")):
        return "html"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "text"


def zip_kind(zf: zipfile.ZipFile) -> str:
    names = set(zf.namelist())
    if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
        return "xlsx"
    if any(n.startswith("word/") for n in names):
        return "doc"
    return "zip"


def column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def check_file_size(path: Path, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise FileRejected(
            "file_too_large",
            f"Tệp nặng {size / 2**20:,.0f} MB, quá giới hạn {MAX_FILE_BYTES / 2**20:,.0f} MB "
            "của một tệp báo cáo",
        )


# ---------------------------------------------------------------------------------------
# What one part holds, and what the whole workbook adds up to


@dataclass
class SheetExtent:
    """What calamine would allocate for one part's `<sheetData>`: the farthest cell with a
    value, how many cells have one, and the text they carry."""

    part: str
    max_row: int = 0  # 1-based, as the message shows it
    max_col: int = 0
    far_cell: str | None = None  # the cell that set max_row or max_col last
    cells: int = 0  # cells with a value (calamine keeps each, even at one position)
    text: int = 0  # bytes of text of cells not in the shared-string table (upper bound)
    shared: array = field(default_factory=lambda: array("I"))  # shared-string indices used
    # cells holding a formula error (`t="e"`: #VALUE!, #DIV/0!…), which calamine reads as
    # blank: (row, column), 0-based, the first MAX_ERROR_CELLS of them
    errors: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class _Workbook:
    """Everything the parts of one workbook add up to, as they are scanned."""

    sheet_names: dict[str, str] = field(default_factory=dict)  # part → sheet name
    sheets: dict[str, SheetExtent] = field(default_factory=dict)
    entries: list[tuple[str, str | None, str]] = field(default_factory=list)  # name, r:id, part
    rels: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # rels part → Id → targets
    shared_lengths: array = field(default_factory=lambda: array("I"))  # per index, longest
    shared_count: int = 0
    text: int = 0  # shared strings + text of cells, every part once
    cells: int = 0  # cells with a value, every part once
    names: int = 0  # defined names, relationships, number formats
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # member, why

    def sheet(self, part: str) -> str:
        return self.sheet_names.get(part, part)


class _Corrupt(Exception):
    """A member that cannot be inflated."""


class _OverBudget(Exception):
    """The members inflate to more than MAX_UNCOMPRESSED_BYTES."""


class _Malformed(Exception):
    """A part expat cannot (or must not) parse."""


def _too_large(message: str, **where: str | None) -> FileRejected:
    return FileRejected("file_too_large", message, **where)


def _bomb_message() -> str:
    return (
        f"Tệp giải nén ra hơn {MAX_UNCOMPRESSED_BYTES / 2**20:,.0f} MB dữ liệu (giới hạn của "
        "một tệp báo cáo): tệp bất thường hoặc là 'bom nén', không đọc"
    )


# ---------------------------------------------------------------------------------------
# Members, inflated as the reader's zip library inflates them


class _Budget:
    def __init__(self, total: int) -> None:
        self.left = total

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise _OverBudget


def _member_bytes(raw: BinaryIO, info: zipfile.ZipInfo, budget: _Budget) -> Iterator[bytes]:
    """The member's bytes in chunks: all its stream inflates to (the declared size is not
    a bound: calamine's zip library reads past it), spending `budget` as they come."""
    if info.flag_bits & 0x1:
        raise _Corrupt("mục nén được mã hoá")
    raw.seek(info.header_offset)
    head = raw.read(30)
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise _Corrupt("không tìm thấy đầu mục nén")
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    raw.seek(info.header_offset + 30 + name_len + extra_len)
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while left > 0 and (data := raw.read(min(_CHUNK, left))):
            left -= len(data)
            budget.spend(len(data))
            yield data
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise _Corrupt(f"kiểu nén {info.compress_type} không được hỗ trợ")
    inflater = zlib.decompressobj(-15)
    try:
        while not inflater.eof:
            data = inflater.unconsumed_tail
            if not data:
                data = raw.read(min(1 << 16, left)) if left > 0 else b""
                left -= len(data)
                if not data:
                    out = inflater.flush()  # the stream is cut short: what it gave so far
                    if out:
                        budget.spend(len(out))
                        yield out
                    return
            out = inflater.decompress(data, _CHUNK)
            if out:
                budget.spend(len(out))
                yield out
    except zlib.error as exc:
        raise _Corrupt(f"dữ liệu nén hỏng ({exc})") from exc


# ---------------------------------------------------------------------------------------
# One part, parsed once


# long: expat's three handlers share the parse state as closure variables, one state machine
# read in one place; its hot path (~1 µs per XML element, see above) is kept free of calls
def _scan_part(part: str, chunks: Iterator[bytes], wb: _Workbook) -> None:
    """Parse one member with expat, chunk by chunk, tracking what calamine would: the cells
    of `<sheetData>`, shared strings, sheet entries, names and relationships. Raises
    FileRejected at the first bound passed; records the part as unreadable when it is not
    well-formed XML and holds something calamine reads."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    local_of: dict[str, str] = {}
    relevant = False  # the part holds something calamine reads
    last = 0  # byte index of the last <row>, or of any element outside <sheetData>
    sheet: SheetExtent | None = None
    in_data = 0  # depth of <sheetData>
    row_index = col_index = 0  # 0-based, as calamine counts
    # the current cell
    in_cell = False
    child = 0  # depth inside it
    in_f = False  # inside its <f>: a formula alone is no value
    cell_row = cell_col = 0
    cell_type: str | None = None
    valued = False
    cell_text = 0
    index_text: list[str] | None = None  # the text of a shared-string cell's <v>
    cell_shared = 0
    # what the part's cells add up to (written to `sheet` when a bound is near, and at the end)
    n_cells = n_text = 0
    far_row = far_col = 0  # 0-based: a cell at or past either reaches farther
    cells_left = text_left = 0  # what the workbook's bounds leave for this part
    add_shared = array("I").append
    # shared strings, sheets, names
    shared_index = 0
    si_start = -1
    in_sheets = 0
    rels = wb.rels.setdefault(part, {}) if part.lower().endswith(".rels") else None

    def place() -> str:
        name = wb.sheet_names.get(part)
        return f"Trang tính '{name}'" if name else f"Phần '{part}' của tệp"

    def item_too_large(what: str) -> FileRejected:
        return _too_large(
            f"{place()} có {what} dài hơn {MAX_ITEM_BYTES / 2**20:,.0f} MB (một ô Excel chứa "
            "được tối đa 32.767 ký tự): tệp bất thường hoặc là 'bom nén', không đọc",
            sheet=wb.sheet_names.get(part),
        )

    def bad_ref(ref: str) -> FileRejected:
        return FileRejected(
            "file_unreadable",
            f"{place()} có ô mang địa chỉ không hợp lệ '{ref[:40]}': tệp hỏng hoặc không do "
            "Excel tạo — mở bằng Excel, lưu lại rồi nộp lại",
            sheet=wb.sheet_names.get(part),
            value=ref[:40],
        )

    def local_name(name: str) -> str:
        local = local_of[name] = name.partition(":")[2] or name  # as quick-xml splits it
        return local

    def cell_limits() -> None:
        """Checked when a cell with a value reaches farther, or the counts pass a bound."""
        s = sheet
        assert s is not None
        s.cells, s.text = n_cells, n_text
        row, col = cell_row + 1, cell_col + 1
        if row > s.max_row or col > s.max_col:
            s.far_cell = f"{column_letters(col)}{row}"
            s.max_row, s.max_col = max(s.max_row, row), max(s.max_col, col)
            if s.max_row > MAX_ROWS or s.max_col > MAX_COLUMNS or s.max_row * s.max_col > MAX_CELLS:
                raise _range_too_large(s, wb.sheet(part))
        if cell_text > MAX_ITEM_BYTES:
            raise item_too_large(f"ô {column_letters(col)}{row}")
        if wb.text + n_text > MAX_TEXT_BYTES:
            raise _text_too_large(wb.sheet_names.get(part))
        if wb.cells + n_cells > MAX_CELLS:
            raise _too_many_cells(s, wb.sheet(part), wb.cells + n_cells)

    # long: expat's handler for every opening tag, a cell's children first (the hot path)
    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal last, relevant, sheet, in_data, row_index, in_cell, child, in_f, cell_row
        nonlocal cell_col, cell_type, valued, cell_text, index_text, cell_shared, shared_index
        nonlocal si_start, in_sheets, add_shared, cells_left, text_left
        if in_cell:
            child += 1
            if child == 1:
                local = name if ":" not in name else local_of.get(name) or local_name(name)
                if local == "v":
                    if cell_type not in _EMPTY_V_TYPES:
                        valued = True  # calamine reads an empty <v> of this type as ""
                    elif cell_type == "s":
                        index_text = []
                elif local == "f":
                    in_f = True
                else:  # <is>, or what calamine fails on: counted either way
                    valued = True
            elif not in_f:
                valued = True
            return
        if in_data:
            local = name if ":" not in name else local_of.get(name) or local_name(name)
            if local == "c":
                ref = attrs.get("r")
                if ref is None:
                    cell_row, cell_col = row_index, col_index
                else:
                    digits = ref.lstrip(_LETTERS)
                    letters = ref[: len(ref) - len(digits)]
                    col = _COLUMNS.get(letters)
                    if col is None:
                        if not (0 < len(letters) <= 12 and letters.isascii() and letters.isalpha()):
                            raise bad_ref(ref)
                        col = column_number(letters)
                        if len(letters) <= 3:
                            _COLUMNS[letters] = col
                    if not (digits.isascii() and digits.isdigit() and len(digits) <= 30):
                        raise bad_ref(ref)
                    cell_row, cell_col = int(digits) - 1, col - 1
                    if cell_row < 0:
                        raise bad_ref(ref)
                in_cell, child, in_f, valued, cell_text = True, 0, False, False, 0
                cell_type = attrs.get("t")
            elif local == "row":
                last = parser.CurrentByteIndex
                ref = attrs.get("r")
                if ref is not None:
                    if not (ref.isascii() and ref.isdigit() and len(ref) <= 30) or int(ref) == 0:
                        raise bad_ref(ref)
                    row_index = int(ref) - 1
            elif local == "sheetData":
                in_data += 1
            return
        i = parser.CurrentByteIndex
        if i - last > MAX_ITEM_BYTES:
            raise item_too_large("một đoạn dữ liệu")
        last = i
        local = local_of.get(name) or local_name(name)
        if local in _RELEVANT:
            relevant = True
        if local == "sheetData":
            in_data = 1
            if sheet is None:
                sheet = wb.sheets.setdefault(part, SheetExtent(part))
                add_shared = sheet.shared.append
                cells_left, text_left = MAX_CELLS - wb.cells, MAX_TEXT_BYTES - wb.text
        elif local == "sst":
            shared_index = 0
        elif local == "si":
            si_start = i
        elif local == "sheets":
            in_sheets += 1
        elif local == "sheet" and in_sheets:
            rid = attrs.get("r:id") or attrs.get("relationships:id")
            if rid is None:
                rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
            wb.entries.append((attrs.get("name", ""), rid, part))
            if len(wb.entries) > MAX_SHEETS:
                raise _too_large(
                    f"Tệp có hơn {MAX_SHEETS} trang tính (giới hạn của một tệp báo cáo): "
                    "tệp bất thường, không đọc"
                )
        elif local in _NAMED:
            wb.names += 1
            if local == "Relationship" and rels is not None:
                rels.setdefault(attrs.get("Id", ""), []).append(attrs.get("Target", ""))
            if wb.names > MAX_NAMES:
                raise _too_large(
                    f"Tệp có hơn {MAX_NAMES:,} tên, liên kết và định dạng (definedName, "
                    "Relationship, numFmt; giới hạn của một tệp báo cáo): tệp bất thường, "
                    "không đọc"
                )

    # long: expat's handler for every closing tag, a cell's end first (the hot path)
    def end(name: str) -> None:
        nonlocal last, in_data, row_index, col_index, in_cell, child, in_f, index_text
        nonlocal cell_shared, shared_index, si_start, in_sheets, n_cells, n_text, far_row
        nonlocal far_col
        if in_cell:
            if child:
                child -= 1
                if child == 0:
                    in_f = False
                    if index_text is not None:
                        # calamine reads a <v> that is not a number as index 0
                        text = "".join(index_text[:4])
                        ok = text.isascii() and text.isdigit() and len(text) < 10
                        cell_shared = int(text) if ok else 0
                        index_text = None
                return
            in_cell = False
            col_index = cell_col + 1
            if valued:  # calamine keeps the cell, and its range reaches it
                n_cells += 1
                if cell_type == "e" and len(sheet.errors) < MAX_ERROR_CELLS:  # type: ignore[union-attr]
                    sheet.errors.append((cell_row, cell_col))  # type: ignore[union-attr]
                if cell_type == "s":
                    add_shared(cell_shared)
                n_text += cell_text
                if (
                    cell_row >= far_row
                    or cell_col >= far_col
                    or n_cells > cells_left
                    or n_text > text_left
                ):
                    cell_limits()
                    far_row, far_col = sheet.max_row, sheet.max_col  # type: ignore[union-attr]
            return
        if in_data:
            local = name if ":" not in name else local_of[name]
            if local == "row":
                row_index += 1
                col_index = 0
            elif local == "sheetData":
                in_data -= 1
            return
        i = parser.CurrentByteIndex
        if i - last > MAX_ITEM_BYTES:
            raise item_too_large("một đoạn dữ liệu")
        last = i
        local = local_of[name]
        if local == "si" and si_start >= 0:
            if i - si_start > MAX_ITEM_BYTES:
                raise item_too_large("một chuỗi văn bản dùng chung")
            length = max(0, i - si_start - 11)  # <si><t>…</t>: the text's bytes, or more
            lengths = wb.shared_lengths
            if shared_index < len(lengths):
                lengths[shared_index] = max(lengths[shared_index], length)
            else:
                lengths.append(length)
            shared_index += 1
            si_start = -1
            wb.shared_count += 1
            wb.text += length
            if wb.shared_count > MAX_SHARED_STRINGS:
                raise _too_large(
                    f"Tệp có hơn {MAX_SHARED_STRINGS:,} chuỗi văn bản dùng chung (giới hạn "
                    "của một tệp báo cáo): tệp bất thường, không đọc"
                )
            if wb.text > MAX_TEXT_BYTES:
                raise _text_too_large(None)
        elif local == "sheets":
            in_sheets -= 1

    def chars(data: str) -> None:
        nonlocal valued, cell_text
        if child and not in_f:  # text of a <v>, <is> or anything else inside a cell
            valued = True
            if index_text is not None:  # a shared string's index: its text is counted
                index_text.append(data)
            else:
                cell_text += len(data) if data.isascii() else len(data.encode())

    def doctype(*_args: object) -> None:
        raise _Malformed("có khai báo DOCTYPE")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = doctype

    fed = 0
    tail = chunk = b""
    control = True
    it = iter(chunks)
    try:
        for chunk in it:
            if fed == 0 and chunk.startswith((b"\xff\xfe", b"\xfe\xff")):
                control = False  # UTF-16: its zero bytes are not control characters
            parser.Parse(chunk.translate(_CONTROL) if control else chunk, False)
            fed += len(chunk)
            if fed - last > MAX_ITEM_BYTES + _CHUNK:  # no row or tag for this long
                if relevant or in_data:
                    raise item_too_large("một đoạn dữ liệu")
                raise _Malformed("một đoạn dài bất thường")
            tail = chunk[-64:]
        parser.Parse(b"", True)
    except (expat.ExpatError, _Malformed) as exc:
        if not relevant and not in_data:
            # nothing calamine reads so far: is there anything further on?
            found = _RELEVANT_TAG.search(tail + chunk)
            for rest in it:
                if found:
                    break
                found = _RELEVANT_TAG.search(tail + rest)
                tail = rest[-64:]
            if not found:
                return
        wb.unreadable.append((part, f"không phải XML hợp lệ ({exc})"))
    finally:
        parser.StartElementHandler = parser.EndElementHandler = None
        parser.CharacterDataHandler = parser.StartDoctypeDeclHandler = None
        if sheet is not None:
            sheet.cells, sheet.text = n_cells, n_text
            wb.cells += n_cells
            wb.text += n_text


def _range_too_large(ext: SheetExtent, sheet: str) -> FileRejected:
    return FileRejected(
        "sheet_too_large",
        f"Trang tính '{sheet}' có ô ở {ext.far_cell} (vùng dữ liệu {ext.max_row:,} dòng × "
        f"{ext.max_col:,} cột, giới hạn {MAX_ROWS:,} dòng, {MAX_COLUMNS} cột): "
        f"thường là một ô lạc xa bảng — xoá các dòng, cột thừa sau bảng rồi nộp lại",
        sheet=sheet,
        value=ext.far_cell,
    )


def _too_many_cells(ext: SheetExtent | None, sheet: str | None, cells: int) -> FileRejected:
    return FileRejected(
        "sheet_too_large",
        f"Tệp có {cells:,} ô dữ liệu"
        + (f" (trang tính '{sheet}' có {ext.cells:,})" if ext is not None else "")
        + f", quá giới hạn {MAX_CELLS:,} ô của một tệp báo cáo: tệp bất thường, không đọc",
        sheet=sheet,
    )


def _text_too_large(sheet: str | None) -> FileRejected:
    return _too_large(
        f"Tệp chứa hơn {MAX_TEXT_BYTES / 2**20:,.0f} MB chữ khi đọc ra (giới hạn của một tệp "
        "báo cáo): tệp bất thường, không đọc",
        sheet=sheet,
    )


# ---------------------------------------------------------------------------------------
# The workbook


def _candidates(source: str, target: str) -> list[str]:
    """Where a relationship's target may point, as calamine (0.36: '/x' from the root, else
    from the source's folder, '..' kept as it is) or another reader resolves it."""
    if target.startswith("/"):
        return [target[1:], posixpath.normpath(target).lstrip("/")]
    folder = posixpath.dirname(posixpath.dirname(source))  # xl/_rels/x.rels → xl
    joined = f"{folder}/{target}" if folder else target
    return [joined, posixpath.normpath(joined), f"xl/{target}", target]


def _entry_parts(wb: _Workbook, members: dict[str, str]) -> list[tuple[str, set[str]]]:
    """Each sheet the workbook lists, with the members it may be read from."""
    out = []
    for name, rid, source in wb.entries:
        folder, base = posixpath.split(source)
        prefix = f"{folder}/" if folder else ""
        own = [f"{prefix}_rels/{base}.rels", f"{prefix}_rels/workbook.xml.rels"]
        targets = [(r, t) for r in own for t in wb.rels.get(r, {}).get(rid or "", [])]
        if not targets:  # wherever else the id is defined
            targets = [(r, t) for r, ids in wb.rels.items() for t in ids.get(rid or "", [])]
        parts = {
            members[c.lower()]
            for r, t in targets
            for c in _candidates(r, t)
            if c.lower() in members
        }
        out.append((name, parts))
    return out


def check_xlsx(path: Path) -> dict[str, list[tuple[int, int]]]:
    """Refuse a workbook that would take more memory to read than any school file needs, or
    that this check cannot read the way the reader would."""
    try:
        zf = zipfile.ZipFile(path)
    except Exception as exc:  # any failure: not a zip this check can vouch for
        raise FileRejected(
            "file_unreadable",
            "Không đọc được tệp Excel (tệp hỏng, bị cắt cụt hoặc không phải Excel): "
            f"không mở được tệp nén ({type(exc).__name__})",
            value=str(exc)[:200],
        ) from exc
    with zf, path.open("rb") as raw:
        infos = zf.infolist()
        members = _check_members(infos)
        wb = _Workbook()
        _scan_members(infos, members, raw, wb)
        _check_workbook(wb, members)
        if wb.unreadable:
            member, why = wb.unreadable[0]
            raise FileRejected(
                "file_unreadable",
                f"Không đọc được tệp Excel (tệp hỏng hoặc không do Excel tạo): phần "
                f"'{member}' {why} — mở bằng Excel, lưu lại rồi nộp lại",
                sheet=wb.sheet_names.get(member),
                value=member[:200],
            )
    # what the reader cannot see: cells holding a formula error, by sheet name
    return {wb.sheet(part): ext.errors for part, ext in wb.sheets.items() if ext.errors}


def _check_members(infos: list[zipfile.ZipInfo]) -> dict[str, str]:
    """Refuse a zip declaring far too much, or holding two members whose names differ only
    in case; returns each member's name by its lower-case name."""
    declared = sum(i.file_size for i in infos)
    if declared > MAX_UNCOMPRESSED_BYTES * 4:
        raise _too_large(
            f"Tệp giải nén ra {declared / 2**20:,.0f} MB dữ liệu (giới hạn "
            f"{MAX_UNCOMPRESSED_BYTES / 2**20:,.0f} MB): tệp bất thường hoặc là 'bom nén', "
            "không đọc"
        )
    members = {i.filename.lower(): i.filename for i in infos}
    if len(members) < len(infos):  # the reader finds a member by its name in any case
        counts = Counter(i.filename.lower() for i in infos)
        twice = next(i.filename for i in infos if counts[i.filename.lower()] > 1)
        raise FileRejected(
            "file_unreadable",
            f"Không đọc được tệp Excel (tệp hỏng hoặc không do Excel tạo): tệp nén có hai "
            f"mục cùng tên '{twice}' — mở bằng Excel, lưu lại rồi nộp lại",
            value=twice[:200],
        )
    return members


def _scan_members(
    infos: list[zipfile.ZipInfo], members: dict[str, str], raw: BinaryIO, wb: _Workbook
) -> None:
    """Inflate and parse every member against one budget: relationships first, then the
    workbook, so that sheets are named as they are read, then the rest."""
    budget = _Budget(MAX_UNCOMPRESSED_BYTES)

    def scan(infos: list[zipfile.ZipInfo]) -> None:
        for info in infos:
            try:
                _scan_part(info.filename, _member_bytes(raw, info, budget), wb)
            except _OverBudget:
                sheet = wb.sheet_names.get(info.filename)
                raise _too_large(_bomb_message(), sheet=sheet) from None
            except (_Corrupt, OSError) as exc:
                wb.unreadable.append((info.filename, str(exc)))

    rels = [i for i in infos if i.filename.lower().endswith(".rels")]
    scan(rels)
    books = {"xl/workbook.xml"} | {
        members[c.lower()]
        for targets in wb.rels.get("_rels/.rels", {}).values()
        for t in targets
        for c in _candidates("_rels/.rels", t)
        if c.lower() in members
    }
    first = [i for i in infos if i.filename in books and i not in rels]
    scan(first)
    for name, parts in _entry_parts(wb, members):
        for part in parts:
            wb.sheet_names.setdefault(part, name)
    scan([i for i in infos if i not in rels and i not in first])


def _check_workbook(wb: _Workbook, members: dict[str, str]) -> None:
    """The sheets the reader loads, all together: every sheet the workbook lists is loaded
    and kept (a part listed twice, twice); a sheet whose part cannot be told counts as the
    largest part."""
    if not wb.sheets:
        return
    lengths = wb.shared_lengths
    cost: dict[str, tuple[int, int]] = {}
    for part, ext in wb.sheets.items():
        shared = 0
        if ext.shared:
            if max(ext.shared) < len(lengths):
                shared = sum(map(lengths.__getitem__, ext.shared))
            else:  # an index outside the table: calamine fails there, counted as nothing
                n = len(lengths)
                shared = sum(lengths[k] for k in ext.shared if k < n)
        cost[part] = (ext.cells, ext.text + shared)
    largest = (max(c for c, _ in cost.values()), max(t for _, t in cost.values()))
    cells = text = 0
    biggest: tuple[int, str | None] = (-1, None)
    for name, parts in _entry_parts(wb, members):
        known = [cost[p] for p in parts if p in cost]
        if known:
            c, t = max(c for c, _ in known), max(t for _, t in known)
        elif parts:
            c, t = 0, 0  # a part with no <sheetData>: nothing to allocate
        else:
            c, t = largest  # a part this check cannot tell: the largest one
        cells, text = cells + c, text + t
        biggest = max(biggest, (c, name))
    text += sum(lengths)
    if cells > MAX_CELLS:
        raise FileRejected(
            "sheet_too_large",
            f"Các trang tính của tệp có tổng cộng {cells:,} ô dữ liệu (mỗi trang tính được "
            f"đọc, kể cả trang ẩn), quá giới hạn {MAX_CELLS:,} ô của một tệp báo cáo: "
            "xoá các trang tính, dòng thừa rồi nộp lại",
            sheet=biggest[1],
        )
    if text > MAX_TEXT_BYTES:
        raise _text_too_large(biggest[1])
