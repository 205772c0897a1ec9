"""Issue 14: no file can stop or swell a run. Any stray cell, anywhere on the sheet, gives
either a read table or a rejection naming the cell, never a runaway allocation (a cell at
XFD1048576 used to abort the process asking for 512 GiB); a file the process cannot open is
rejected like any unreadable file; limits hold for CSV too.

Checked by breaking the code once: with `check_xlsx` returning at once, the first example
with a far cell aborted the test process ("memory allocation of … bytes failed")."""

from __future__ import annotations

import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

import fastexcel
import pytest
import xlsxwriter
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pipelines.generate.build import COLUMNS
from pipelines.ingest import file_guard
from pipelines.ingest.runner import evaluate_file, load_ingest_context
from pipelines.ingest.sources import SOURCES
from pipelines.ingest.workbook import FileRejected, read_table
from pipelines.settings import Settings

SPEC = SOURCES["emis_report"].spec


def _report_with_stray_cell(path: Path, row: int, col: int) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Báo cáo")
    for i, text in enumerate(["Mã trường: 31000001", "Năm học: 2024-2025", "Kỳ báo cáo: Đầu năm"]):
        ws.write_string(i, 0, text)
    ws.write_row(4, 0, COLUMNS["emis_report"])
    ws.write_row(5, 0, ["101", "Tổng số lớp", 10])
    ws.write_string(row, col, "x")
    wb.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row=st.integers(6, 1_048_575), col=st.integers(0, 16_383))
def test_any_stray_cell_is_read_or_refused_by_name(row: int, col: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.xlsx"
        _report_with_stray_cell(path, row, col)
        rows, cols = row + 1, max(col + 1, len(COLUMNS["emis_report"]))
        too_big = (
            rows > file_guard.MAX_ROWS
            or cols > file_guard.MAX_COLUMNS
            or rows * cols > file_guard.MAX_CELLS
        )
        if too_big:
            with pytest.raises(FileRejected) as err:
                read_table(path, SPEC)
            assert err.value.rule_id == "sheet_too_large"
            assert f"{file_guard.column_letters(col + 1)}{row + 1}" in err.value.message_vi
        else:
            read = read_table(path, SPEC)
            assert read.data["_row"].to_list()[0] == 6


def test_cell_reference_letters_round_trip() -> None:
    for n in (1, 26, 27, 52, 702, 703, 16384):
        assert file_guard.column_number(file_guard.column_letters(n)) == n
    assert file_guard.column_letters(16384) == "XFD"


def test_unreadable_file_is_rejected_not_raised(tmp_path: Path, monkeypatch) -> None:
    """Permissions (root reads anything, so the refusal is simulated at the OS call)."""
    path = tmp_path / "khoa.xlsx"
    _report_with_stray_cell(path, 7, 0)
    real_open = Path.open

    def refuse(self: Path, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    ctx = load_ingest_context(Settings(tmp_path, tmp_path), registry=None, personal=False)
    out = evaluate_file(path, "emis_report/khoa.xlsx", "0" * 64, SOURCES["emis_report"], ctx)
    assert (out.status, out.reject_rule) == ("rejected", "file_unreadable")
    assert "không có quyền đọc" in out.reject_message_vi


def test_wide_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rong.csv"
    path.write_text("Mã số,Chỉ tiêu,Tổng số\n" + "," * 5000 + "\n", encoding="utf-8")
    with pytest.raises(FileRejected) as err:
        read_table(path, SPEC)
    assert err.value.rule_id == "sheet_too_large"


# ---------------------------------------------------------------------------------------
# Hand-written workbooks: what xlsxwriter never writes, but calamine reads


_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{_MAIN}"><fonts count="1"><font/>'
    '</fonts><fills count="1"><fill/></fills><borders count="2"><border/><border><left '
    'style="thin"/></border></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs '
    'count="2"><xf numFmtId="0"/><xf numFmtId="0" borderId="1" applyBorder="1"/></cellXfs>'
    "</styleSheet>"
)


def _text(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


# A report's header block and table (rows 1–6), as calamine and the reader see any workbook.
REPORT = (
    f'<row r="1">{_text("A1", "Mã trường: 31000001")}</row>'
    f'<row r="2">{_text("A2", "Năm học: 2024-2025")}</row>'
    f'<row r="3">{_text("A3", "Kỳ báo cáo: Đầu năm")}</row>'
    '<row r="5">'
    + "".join(_text(f"{c}5", h) for c, h in zip("ABCDE", COLUMNS["emis_report"], strict=True))
    + "</row>"
    f'<row r="6">{_text("A6", "101")}{_text("B6", "Tổng số lớp")}<c r="C6"><v>10</v></c></row>'
)


def sheet_xml(body: str, before: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">{before}'
        f"<sheetData>{body}</sheetData></worksheet>"
    ).encode()


def workbook_zip(
    path: Path,
    sheet: bytes | Iterable[bytes] | None = None,
    *,
    sheets: tuple[tuple[str, str], ...] = (("Báo cáo", "worksheets/sheet1.xml"),),
    parts: dict[str, bytes | Iterable[bytes]] | None = None,
) -> Path:
    """A workbook zipped by hand (also `benchmarks/hostile.py`): `sheets` are (name,
    relationship target); `parts` are more members (or replace the default ones), bytes or
    chunks; `sheet` is xl/worksheets/sheet1.xml."""
    entries = "".join(
        f'<sheet name="{name}" sheetId="{k + 1}" r:id="rId{k + 1}"/>'
        for k, (name, _) in enumerate(sheets)
    )
    targets = "".join(
        f'<Relationship Id="rId{k + 1}" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/worksheet" Target="{target}"/>'
        for k, (_, target) in enumerate(sheets)
    )
    members = {
        "[Content_Types].xml": _CT.encode(),
        "_rels/.rels": _ROOT_RELS.encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{entries}</sheets></workbook>"
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            f'openxmlformats.org/package/2006/relationships">{targets}</Relationships>'
        ).encode(),
        "xl/styles.xml": _STYLES.encode(),
    }
    if sheet is not None:
        members["xl/worksheets/sheet1.xml"] = sheet
    members |= parts or {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            if isinstance(data, bytes):
                zf.writestr(name, data)
                continue
            with zf.open(name, "w", force_zip64=True) as member:  # streamed: bench sizes
                for chunk in data:
                    member.write(chunk)
    return path


def _refused(path: Path, rule: str = "sheet_too_large") -> FileRejected:
    with pytest.raises(FileRejected) as err:
        file_guard.check_xlsx(path)
    assert err.value.rule_id == rule, err.value.message_vi
    assert err.value.field is None  # `cds check` prints a field as "cột '…'": never a cell
    return err.value


def _refused_at(path: Path, cell: str, sheet: str = "Báo cáo") -> FileRejected:
    err = _refused(path)
    assert (err.sheet, err.value) == (sheet, cell)
    assert f"Trang tính '{sheet}' có ô ở {cell} " in err.message_vi
    return err


@pytest.mark.parametrize(
    "cell",
    [
        "<c r='XFD1048576' t='inlineStr'><is><t>x</t></is></c>",  # single quotes
        '<c r = "XFD1048576"\n t="inlineStr"><is><t>x</t></is></c>',  # spaces around =
        '<x:c xmlns:x="' + _MAIN + '" r="xfd1048576"><x:v>1</x:v></x:c>',  # prefix, lower case
        '<c r="XFD1048576"><v> </v></c>',  # a space is a value for calamine
        '<c r="XFD1048576" t="str"><v></v></c>',  # an empty string is one too
        '<c r="XFD1048576" t="inlineStr"><is></is></c>',
    ],
    ids=["single-quotes", "spaces", "prefix-lowercase", "space-value", "empty-str", "empty-is"],
)
def test_any_spelling_of_a_far_cell_is_refused_by_name(tmp_path: Path, cell: str) -> None:
    body = REPORT + f'<row r="1048576">{cell}</row>'
    _refused_at(workbook_zip(tmp_path / "r.xlsx", sheet_xml(body)), "XFD1048576")


def test_cells_without_r_are_placed_as_calamine_places_them(tmp_path: Path) -> None:
    # a <row r> then cells counted from column A
    far_row = REPORT + '<row r="300000"><c/><c><v>1</v></c></row>'
    _refused_at(workbook_zip(tmp_path / "a.xlsx", sheet_xml(far_row)), "B300000")
    # a cell without r continues from the last cell that had one
    after_r = REPORT + '<row r="7"><c r="IU7"><v>1</v></c><c/><c><v>2</v></c></row>'
    _refused_at(workbook_zip(tmp_path / "b.xlsx", sheet_xml(after_r)), "IW7")
    # rows without r continue from the last row that had one (an empty <row/> counts)
    rows = REPORT + '<row r="199999"/><row/>' + "<row><c><v>1</v></c></row>"
    _refused_at(workbook_zip(tmp_path / "c.xlsx", sheet_xml(rows)), "A200001")
    # 300 cells with neither r: 300 columns
    wide = REPORT + "<row>" + "<c><v>1</v></c>" * 300 + "</row>"
    _refused_at(workbook_zip(tmp_path / "d.xlsx", sheet_xml(wide)), "IW7")


def test_a_tag_cut_by_any_chunk_boundary_is_seen(tmp_path: Path, monkeypatch) -> None:
    path = workbook_zip(tmp_path / "r.xlsx", sheet_xml(REPORT + "<row r='1048576'><c r='XFD1048576'>"
                                                    "<v>1</v></c></row>"))  # fmt: skip
    for chunk in (1, 2, 3, 5, 7, 11, 64):
        monkeypatch.setattr(file_guard, "_CHUNK", chunk)
        _refused_at(path, "XFD1048576")


def test_a_sheet_kept_outside_xl_worksheets_is_scanned(tmp_path: Path) -> None:
    body = sheet_xml(REPORT + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    for target, member in [("/data/bang.bin", "data/bang.bin"), ("../bang", "xl/../bang"),
                           ("Du/Lieu.XML", "xl/du/lieu.xml")]:  # fmt: skip
        path = workbook_zip(
            tmp_path / "r.xlsx", sheets=(("Báo cáo", target),), parts={member: body}
        )
        _refused_at(path, "XFD1048576")


def test_shared_strings_cannot_swell_the_reader(tmp_path: Path, monkeypatch) -> None:
    sst = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}">{{}}</sst>'
    # one 32 KB string pointed at by 20,000 cells: 4 KB on disk, 1.3 GB read (measured)
    body = REPORT + "".join(
        f'<row r="{r}">' + '<c t="s"><v>0</v></c>' * 10 + "</row>" for r in range(7, 2007)
    )
    path = workbook_zip(tmp_path / "a.xlsx", sheet_xml(body),
                     parts={"xl/sharedStrings.xml": sst.format("<si><t>" + "x" * 32767 + "</t></si>").encode()})  # fmt: skip
    err = _refused(path, "file_too_large")
    assert "MB chữ" in err.message_vi and err.sheet == "Báo cáo"
    # one string longer than any cell
    huge = sst.format("<si><t>" + "x" * (file_guard.MAX_ITEM_BYTES + 1) + "</t></si>").encode()
    path = workbook_zip(
        tmp_path / "b.xlsx", sheet_xml(REPORT), parts={"xl/sharedStrings.xml": huge}
    )
    assert "xl/sharedStrings.xml" in _refused(path, "file_too_large").message_vi
    # more strings than cells (bound lowered: the real one is 6 million, `make bench`)
    monkeypatch.setattr(file_guard, "MAX_SHARED_STRINGS", 1000)
    many = sst.format("<si><t>x</t></si>" * 1001).encode()
    path = workbook_zip(
        tmp_path / "c.xlsx", sheet_xml(REPORT), parts={"xl/sharedStrings.xml": many}
    )
    assert "chuỗi văn bản dùng chung" in _refused(path, "file_too_large").message_vi


def test_cells_on_one_spot_and_sheets_listed_twice_count(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(file_guard, "MAX_CELLS", 1000)  # the real bound: `make bench`
    on_a1 = REPORT + '<row r="7">' + '<c r="A7"><v>1</v></c>' * 1000 + "</row>"
    err = _refused(workbook_zip(tmp_path / "a.xlsx", sheet_xml(on_a1)))
    assert "ô dữ liệu" in err.message_vi and err.sheet == "Báo cáo"
    # 600 cells (126 rows × 5 columns), read twice: the same part listed as two sheets
    twice = REPORT + "".join(
        f'<row r="{r}">' + "<c><v>1</v></c>" * 5 + "</row>" for r in range(7, 127)
    )
    sheets = (("Báo cáo", "worksheets/sheet1.xml"), ("Bản sao", "worksheets/sheet1.xml"))
    err = _refused(workbook_zip(tmp_path / "b.xlsx", sheet_xml(twice), sheets=sheets))
    assert "tổng cộng" in err.message_vi


def _declare_size(path: Path, member: str, size: int) -> None:
    """Make the zip declare `size` bytes for `member` (local and central headers), with the
    CRC of its first `size` bytes, as a hostile file would: the stream itself is unchanged."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
        crc = zlib.crc32(zf.read(member)[:size])
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, info.header_offset + 14, crc)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    at = struct.unpack_from("<I", data, data.rfind(b"PK\x05\x06") + 16)[0]
    while data[at : at + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack_from("<HHH", data, at + 28)
        if data[at + 46 : at + 46 + n] == member.encode():
            struct.pack_into("<I", data, at + 16, crc)
            struct.pack_into("<I", data, at + 24, size)
        at += 46 + n + m + k
    path.write_bytes(bytes(data))


def test_declared_sizes_are_not_believed(tmp_path: Path) -> None:
    """The zip library under calamine inflates a member past its declared size (checked
    through fastexcel: it reads this cell): so does the guard."""
    path = workbook_zip(tmp_path / "r.xlsx", sheet_xml(REPORT + '<row r="300000"><c r="A300000">'
                                                  "<v>1</v></c></row>"))  # fmt: skip
    _declare_size(path, "xl/worksheets/sheet1.xml", 200)  # the first 200 bytes hold no cell
    with zipfile.ZipFile(path) as zf:
        assert len(zf.read("xl/worksheets/sheet1.xml")) == 200  # all Python's zipfile sees
    _refused_at(path, "A300000")


def test_a_zip_bomb_in_any_member_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(file_guard, "MAX_UNCOMPRESSED_BYTES", 8 << 20)  # real size: corpus
    pad = b" " * (1 << 20)
    path = tmp_path / "r.xlsx"
    workbook_zip(path, sheet_xml(REPORT))
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf,
        zf.open("docProps/thumbnail.jpeg", "w", force_zip64=True) as member,
    ):
        for _ in range(file_guard.MAX_UNCOMPRESSED_BYTES // len(pad) + 1):
            member.write(pad)
    assert "bom nén" in _refused(path, "file_too_large").message_vi


def test_a_corrupt_member_does_not_end_the_scan(tmp_path: Path) -> None:
    far = sheet_xml(REPORT + '<row r="300000"><c r="A300000"><v>1</v></c></row>')
    sheets = (("Báo cáo", "worksheets/sheet1.xml"), ("Trang 2", "worksheets/sheet2.xml"))
    path = workbook_zip(tmp_path / "r.xlsx", sheet_xml(REPORT), sheets=sheets,
                     parts={"xl/worksheets/sheet2.xml": far})  # fmt: skip
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename)
    data[start : start + 8] = b"\xff" * 8  # not a deflate stream any more
    path.write_bytes(bytes(data))
    _refused_at(path, "A300000", sheet="Trang 2")  # the sheet after the corrupt one
    # without the far cell: a clear rejection of the file, naming the member
    path = workbook_zip(tmp_path / "s.xlsx", sheet_xml(REPORT))
    data = bytearray(path.read_bytes())
    data[start : start + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    with pytest.raises(FileRejected) as err:
        read_table(path, SPEC)
    assert err.value.rule_id == "file_unreadable"
    assert "xl/worksheets/sheet1.xml" in err.value.message_vi


def test_parts_calamine_reads_must_be_plain_xml(tmp_path: Path) -> None:
    # an entity defined in a DOCTYPE, a mismatched end tag: refused, not guessed at
    dtd = sheet_xml(REPORT, before="").replace(
        b"<worksheet", b'<!DOCTYPE w [<!ENTITY e "x">]><worksheet', 1
    )
    mismatched = sheet_xml(REPORT + '<row r="9"><c r="A9"><v>1</v></x></row>')
    for sheet in (dtd, mismatched):
        err = _refused(workbook_zip(tmp_path / "r.xlsx", sheet), "file_unreadable")
        assert "xl/worksheets/sheet1.xml" in err.message_vi
    # a member that is no XML and holds nothing calamine reads (a VML drawing): counted only
    vml = b"<xml xmlns:v='urn:schemas-microsoft-com:vml'><v:shape><br></v:shape></xml>"
    path = workbook_zip(tmp_path / "v.xlsx", sheet_xml(REPORT), parts={"xl/drawings/d.vml": vml})
    file_guard.check_xlsx(path)


def test_empty_styled_cells_and_dimension_are_not_counted(tmp_path: Path) -> None:
    """Borders down to row 300,000 and a <dimension> over the whole sheet: calamine makes no
    room for empty cells (measured: fastexcel reports 6 rows), so the report is read."""
    rows = [*range(7, 2_000), *range(2_000, 300_001, 97), 300_000]  # every row: slower
    borders = "".join(
        f'<row r="{r}" spans="1:5"><c r="A{r}" s="1"/><c r="E{r}" s="1"></c></row>' for r in rows
    )
    sheet = sheet_xml(REPORT + borders, before='<dimension ref="A1:XFD1048576"/>')
    path = workbook_zip(tmp_path / "vien.xlsx", sheet)
    file_guard.check_xlsx(path)
    read = read_table(path, SPEC)
    assert read.data["_row"].to_list() == [6]
    assert fastexcel.read_excel(path).load_sheet(0, header_row=None).height == 6


def test_the_check_names_the_cell_as_a_value_not_a_column(tmp_path: Path) -> None:
    path = workbook_zip(tmp_path / "r.xlsx", sheet_xml(REPORT + "<row r='1048576'><c r='XFD1048576'>"
                                                  "<v>1</v></c></row>"))  # fmt: skip
    ctx = load_ingest_context(Settings(tmp_path, tmp_path), registry=None, personal=False)
    out = evaluate_file(path, "emis_report/r.xlsx", "0" * 64, SOURCES["emis_report"], ctx)
    issue = out.issues.row(0, named=True)
    assert (out.reject_rule, out.sheet) == ("sheet_too_large", "Báo cáo")
    assert (issue["field"], issue["value"]) == (None, "XFD1048576")


_QUOTES = st.sampled_from(['r="{}"', "r='{}'", 'r = "{}"', "r\n=\t'{}'"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    row=st.integers(7, 1_048_576),
    col=st.integers(1, 16_384),
    spelling=st.sampled_from(["r", "no r", "no r, row without r"]),
    quote=_QUOTES,
    lower=st.booleans(),
    chunk=st.sampled_from([3, 7, 4096, 1 << 20]),
)
def test_any_cell_any_spelling_any_chunking_is_read_where_calamine_puts_it_or_refused(
    row: int, col: int, spelling: str, quote: str, lower: bool, chunk: int
) -> None:
    """The stray cell, however written, is refused by name exactly when its range passes the
    bounds; otherwise calamine (the real reader) finds it where the check placed it. A styled
    empty cell at the sheet's far corner changes nothing."""
    cell = f"{file_guard.column_letters(col)}{row}"
    letters = file_guard.column_letters(col).lower() if lower else file_guard.column_letters(col)
    if spelling == "r":
        stray = f"<row {quote.format(row)}><c {quote.format(letters + str(row))}><v>1</v></c></row>"
    else:
        cells = "<c/>" * (col - 1) + "<c><v>1</v></c>"
        stray = (f'<row {quote.format(row)}>{cells}</row>' if spelling == "no r"
                 else f'<row r="{row - 1}"/><row>{cells}</row>')  # fmt: skip
    empty = '<row r="1048576"><c r="XFD1048576" s="1"/></row>'
    rows, cols = row, max(col, 5)
    too_big = (
        rows > file_guard.MAX_ROWS
        or cols > file_guard.MAX_COLUMNS
        or rows * cols > file_guard.MAX_CELLS
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = workbook_zip(Path(tmp) / "r.xlsx", sheet_xml(REPORT + stray + empty))
        old, file_guard._CHUNK = file_guard._CHUNK, chunk
        try:
            event("refused" if too_big else "read")
            if too_big:
                _refused_at(path, cell)
                return
            file_guard.check_xlsx(path)
        finally:
            file_guard._CHUNK = old
        frame = (
            fastexcel.read_excel(path)
            .load_sheet(0, header_row=None, dtypes="string", skip_rows=[])
            .to_polars()
        )
        assert frame.shape == (rows, cols)
        assert frame[row - 1, col - 1] == "1"
