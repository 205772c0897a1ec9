"""Look at an untrusted file before a library reads it: what it really is, and how much
it would cost to read.

A 2 KB workbook whose one stray cell sits at `XFD1048576` makes calamine allocate the
whole used range (16,384 × 1,048,576 cells, 512 GiB: the process aborts), and a 7 MB zip
can expand to gigabytes of XML. So before a workbook reaches the reader this module
streams its sheets' XML once, counting the bytes it expands to and the farthest cell it
names, and refuses the file, with a Vietnamese message naming the sheet and the cell,
when either passes a bound. Nothing here allocates more than one chunk of XML at a time.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest.errors import FileRejected

# Bounds for one file. A school's largest real file, a 100,000-pupil CSDL ngành export with
# 72 columns, is well inside them; the reader's peak memory is bounded by MAX_CELLS.
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024  # XML a workbook may expand to, all parts
MAX_ROWS = 200_000  # rows of one sheet or CSV
MAX_COLUMNS = 256  # columns of one sheet or CSV
MAX_CELLS = 6_000_000  # rows × columns of the range the reader allocates for one sheet
MAX_FILE_BYTES = 200 * 1024 * 1024  # a CSV or .xls on disk

_CHUNK = 1 << 20
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="([A-Z0-9:$]+)"')
_REF = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]{1,7})")

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
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass
class SheetExtent:
    """The farthest cell a sheet's XML names, and the bytes it expands to."""

    part: str
    max_row: int = 0
    max_col: int = 0
    far_cell: str | None = None  # the cell that set max_row or max_col last
    xml_bytes: int = 0


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part → the sheet's name as the workbook shows it (best effort)."""
    try:
        workbook = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return {}
    targets = dict(re.findall(r'Id="([^"]+)"[^>]*?Target="([^"]+)"', rels))
    targets |= {k: v for v, k in re.findall(r'Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)}
    out = {}
    for name, rid in re.findall(r'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"', workbook):
        target = targets.get(rid, "").lstrip("/")
        out[target if target.startswith("xl/") else f"xl/{target}"] = name
    return out


def scan_sheet(stream, part: str, budget: int) -> SheetExtent:
    """Stream one worksheet's XML, at most `budget` bytes of it."""
    ext = SheetExtent(part)
    tail = b""
    while chunk := stream.read(_CHUNK):
        ext.xml_bytes += len(chunk)
        if ext.xml_bytes > budget:
            return ext
        data = tail + chunk
        for pattern in (_CELL_REF, _DIMENSION):
            for m in pattern.finditer(data):
                refs = (
                    [(m.group(1).decode(), m.group(2).decode())]
                    if pattern is _CELL_REF
                    else _REF.findall(m.group(1).decode())
                )
                for letters, digits in refs:
                    row, col = int(digits), column_number(letters)
                    if row > ext.max_row or col > ext.max_col:
                        ext.far_cell = f"{letters}{digits}"
                    ext.max_row, ext.max_col = max(ext.max_row, row), max(ext.max_col, col)
        tail = data[-256:]  # a tag cut by the chunk boundary is seen whole next time
    return ext


def check_xlsx(path: Path) -> None:
    """Refuse a workbook that would take more memory to read than any school file needs."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return  # not a readable zip: the reader says so in its own words
    with zf:
        names = _sheet_names(zf)
        declared = sum(i.file_size for i in zf.infolist())
        if declared > MAX_UNCOMPRESSED_BYTES * 4:
            raise FileRejected(
                "file_too_large",
                f"Tệp giải nén ra {declared / 2**20:,.0f} MB dữ liệu (giới hạn "
                f"{MAX_UNCOMPRESSED_BYTES / 2**20:,.0f} MB): tệp bất thường hoặc là 'bom nén', "
                "không đọc",
            )
        budget = MAX_UNCOMPRESSED_BYTES
        for info in zf.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            sheet = names.get(info.filename, info.filename)
            try:
                with zf.open(info) as stream:
                    ext = scan_sheet(stream, info.filename, budget)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
                return  # a corrupt member: the reader reports the file as unreadable
            budget -= ext.xml_bytes
            if budget < 0:
                raise FileRejected(
                    "file_too_large",
                    f"Tệp giải nén ra hơn {MAX_UNCOMPRESSED_BYTES / 2**20:,.0f} MB dữ liệu "
                    "(giới hạn của một tệp báo cáo): tệp bất thường hoặc là 'bom nén', không đọc",
                    sheet=sheet,
                )
            _check_extent(ext, sheet)


def _check_extent(ext: SheetExtent, sheet: str) -> None:
    cells = ext.max_row * ext.max_col
    if ext.max_row <= MAX_ROWS and ext.max_col <= MAX_COLUMNS and cells <= MAX_CELLS:
        return
    raise FileRejected(
        "sheet_too_large",
        f"Trang tính '{sheet}' có ô ở {ext.far_cell} (vùng dữ liệu {ext.max_row:,} dòng × "
        f"{ext.max_col:,} cột, giới hạn {MAX_ROWS:,} dòng, {MAX_COLUMNS} cột): "
        f"thường là một ô lạc xa bảng — xoá các dòng, cột thừa sau bảng rồi nộp lại",
        sheet=sheet,
        field=ext.far_cell,
        value=ext.far_cell,
    )


def check_file_size(path: Path, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise FileRejected(
            "file_too_large",
            f"Tệp nặng {size / 2**20:,.0f} MB, quá giới hạn {MAX_FILE_BYTES / 2**20:,.0f} MB "
            "của một tệp báo cáo",
        )
