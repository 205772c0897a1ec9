"""Layouts as data (issue 18, item 3; contract §2.8): fast tests of the matcher and the
mapper, without Dagster or dbt. Files are judged by `evaluate_file`, as `cds run` and
`cds check` judge them, against the shipped `reference/layouts.yaml`.

How each was shown to fail, with the code broken once (not committed):
- the contract layouts of layouts.yaml equal the sources' specs: with `Lớp` removed from
  the students' contract layout, `test_shipped_contract_layouts_are_the_specs` failed;
- a C1 download and the same pupils in the contract layout land the same rows: with the
  C1 status map sending `Chuyển đi` to `Đang học`, `is_active` differed and it failed;
- not-available fields land null: with `_with_layout` returning the source's rows as they
  were, results_hk1 came out false (not null) and `test_c1_download...` failed;
- an unknown status code quarantines its row: with `_map_values` keeping unknown values
  (no quarantine), the unknown-code test failed (0 rows quarantined);
- the folder rules: with `_folder_school` returning the folder as it is, the non-code and
  unknown-school tests failed (the file was rejected later, by the header check, with
  another rule).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from pipelines.ingest.judge import evaluate_file
from pipelines.ingest.layouts import builtin_layout, layout_spec
from pipelines.ingest.runner import load_ingest_context, load_source_layouts
from pipelines.ingest.sources import LAYOUT_COLUMNS, LAYOUT_FIELDS, SOURCES
from pipelines.reference.layouts import CONTRACT, LayoutError, load_layouts
from pipelines.reference.validate import reference_errors
from pipelines.settings import SHIPPED_REFERENCE, Settings
from tests.builders import C1_COLUMNS, write_c1_students, write_csdl_staff
from tests.corpus import students

SCHOOL = "31318002"
YEAR = "2024-2025"
SHIPPED = SHIPPED_REFERENCE / "layouts.yaml"


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("layouts_ctx")
    settings = Settings(raw_dir=base / "raw", warehouse_dir=base / "wh")
    registry = pl.DataFrame(
        {"school_code": [SCHOOL, "31318003"], "level": ["TH", "TH"], "is_active": [True, True]}
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("CDS_SECRET_KEY_FILE", str(base / "secret.key"))
    mp.setenv("CDS_RUN_DATE", "2025-07-15")
    context = load_ingest_context(settings, registry=registry, personal=True)
    yield replace(context, today=__import__("datetime").date(2025, 7, 15))
    mp.undo()


PUPILS = [
    # code, name, birth, gender, status, id
    ("HS0001", "Nguyễn Văn An", "12/03/2016", "Nam", "Đang học", "031216000001"),
    ("HS0002", "Trần Thị Bình", "02/05/2016", "Nữ", "Chuyển đến", "031316000002"),
    ("HS0003", "Lê Văn Cường", "12/03/2016", "Nam", "Chuyển đi", "031216000003"),
    ("HS0004", "Phạm Thị Dung", "12/03/2016", "Nữ", "Đang học", "12345"),
]


def _c1_rows(pupils=PUPILS) -> list[list[object]]:
    return [
        [str(i), "L3A", code, name, birth, gender, status, "05/09/2024", "Kinh", "", pid]
        for i, (code, name, birth, gender, status, pid) in enumerate(pupils, start=1)
    ]


def _judge(path: Path, raw: Path, ctx, source: str = "students"):
    rel = path.relative_to(raw).as_posix()
    return evaluate_file(path, rel, "sha", SOURCES[source], ctx)


def test_shipped_layouts_load_and_list_the_exports() -> None:
    layouts = load_source_layouts(SHIPPED)
    assert set(layouts) == set(SOURCES)
    assert [x.name for x in layouts["students"]] == ["C1-HocSinh", CONTRACT]
    assert [x.name for x in layouts["teachers"]] == ["CSDL_GiaoVien", CONTRACT]
    c1 = layouts["students"][0]
    assert c1.sheet == "Sheet1"
    # every C1 column the contract names that the marts need is read, no more
    assert {h for hs in c1.columns.values() for h in hs} <= set(C1_COLUMNS)


def test_shipped_contract_layouts_are_the_specs() -> None:
    """The contract layout in layouts.yaml reads exactly what the source's spec says
    (contract §2.1–2.5): headers, required columns, header-block labels."""
    layouts = load_source_layouts(SHIPPED)
    for name, source in SOURCES.items():
        [contract] = [x for x in layouts[name] if x.name == CONTRACT]
        assert layout_spec(contract, source.spec) == source.spec, name
        assert layout_spec(builtin_layout(source), source.spec) == source.spec, name


def test_c1_download_reads_like_the_contract_layout(tmp_path: Path, ctx) -> None:
    """The same pupils as a C1 download and in the contract layout: the same landed rows
    (code, status, activity, ID verdict, pseudonym, gender, birth year); the C1 file's
    grade, transcript and results are null (not available), the contract file's are not."""
    raw = tmp_path / "raw"
    c1 = write_c1_students(raw / f"students/{YEAR}/cuoi_nam/{SCHOOL}/C1-HocSinh.xlsx", _c1_rows())
    contract = raw / "students/hs.xlsx"
    students(
        contract,
        [[c, n, b, g, "Kinh", "3", "L3A", s, p, "Đã ký", "Hoàn thành", ""]
         for c, n, b, g, s, p in PUPILS],
        school=SCHOOL, year=YEAR,
    )  # fmt: skip
    a, b = _judge(c1, raw, ctx), _judge(contract, raw, ctx)
    assert (a.status, b.status) == ("accepted", "accepted")
    assert a.meta["layout"] == "C1-HocSinh" and b.meta["layout"] == CONTRACT
    assert a.meta["fields_not_available"] == (
        "grade", "digital_transcript", "results_hk1", "results_hk2")  # fmt: skip
    assert b.meta["fields_not_available"] == ()
    assert a.meta["school_code"] == SCHOOL and a.meta["school_year"] == YEAR
    assert a.meta["period"] == "cuoi_nam"
    same = ["student_code", "status", "is_active", "has_personal_id", "id_rule", "person_key",
            "identity_key", "gender_code", "birth_year", "class_name"]  # fmt: skip
    assert a.accepted.select(same).equals(b.accepted.select(same))
    assert a.accepted["is_active"].to_list() == [True, True, False, True]
    for col in ("grade", "digital_transcript", "results_hk1", "results_hk2"):
        assert a.accepted[col].null_count() == a.accepted.height, col
    assert b.accepted["results_hk1"].to_list() == [True] * 4
    assert "full_name" not in a.accepted.columns and "personal_id" not in a.accepted.columns


def test_unknown_status_code_quarantines_the_row_naming_the_value(tmp_path: Path, ctx) -> None:
    raw = tmp_path / "raw"
    pupils = [*PUPILS[:2], ("HS0009", "Đỗ Văn Mới", "12/03/2016", "Nam", "Bảo lưu", "031216000009")]
    path = write_c1_students(raw / f"students/{YEAR}/dau_nam/{SCHOOL}/c1.xlsx", _c1_rows(pupils))
    out = _judge(path, raw, ctx)
    assert (out.status, out.rows_read, out.rows_accepted, out.rows_quarantined) == (
        "accepted", 3, 2, 1)  # fmt: skip
    [issue] = out.issues.filter(pl.col("severity") == "error").to_dicts()
    assert (issue["rule_id"], issue["_row"], issue["field"], issue["value"]) == (
        "layout_unknown_value", 4, "Trạng thái HS", "Bảo lưu")  # fmt: skip
    assert "Giá trị 'Bảo lưu' ở cột 'Trạng thái HS'" in issue["message_vi"]
    assert "bố cục 'C1-HocSinh'" in issue["message_vi"]
    [kept] = out.quarantined.to_dicts()
    assert kept["_reasons"] == ["layout_unknown_value"]
    assert "full_name" not in kept and kept["personal_id"] == "031… (12 ký tự)"


@pytest.mark.parametrize(
    ("folder", "rule", "words"),
    [
        ("", "layout_folder_missing", "lấy 'Mã trường' từ thư mục thứ 3 dưới raw/students/"),
        ("Truong A/", "layout_folder_missing", "thư mục 'Truong A' (thư mục thứ 3"),
        ("31318099/", "unknown_school", "Mã trường '31318099' lấy từ thư mục '31318099'"),
    ],
    ids=["no school folder", "folder not a code", "folder school not in the registry"],
)
def test_school_folder_rules(tmp_path: Path, ctx, folder: str, rule: str, words: str) -> None:
    raw = tmp_path / "raw"
    path = write_c1_students(raw / f"students/{YEAR}/dau_nam/{folder}c1.xlsx", _c1_rows())
    out = _judge(path, raw, ctx)
    assert (out.status, out.reject_rule) == ("rejected", rule)
    assert words in out.reject_message_vi
    assert out.meta["layout"] == "C1-HocSinh"
    # still traced to its year and period, from the folders
    assert (out.meta["school_year"], out.meta["period"]) == (YEAR, "dau_nam")


def test_csdl_staff_export_reads_only_what_the_marts_need(tmp_path: Path, ctx) -> None:
    raw = tmp_path / "raw"
    rows = [["1", "CB01", "Lê Văn Chung", "01/02/1985", "Nam", "Kinh", "Đang làm việc",
             "Giáo viên tiểu học hạng III", "Giáo viên", "031085000001", "Biên chế", "Toán",
             "Đại học"]]  # fmt: skip
    path = write_csdl_staff(raw / f"teachers/{YEAR}/cuoi_nam/{SCHOOL}/2025-05-20/gv.xlsx", rows)
    out = _judge(path, raw, ctx, "teachers")
    assert out.status == "accepted" and out.meta["layout"] == "CSDL_GiaoVien"
    assert str(out.meta["submitted_on"]) == "2025-05-20"  # the dated folder
    assert out.meta["fields_not_available"] == (
        "qualification", "digital_signature", "training_account")  # fmt: skip
    row = out.accepted.to_dicts()[0]
    assert row["position"] == "teacher" and row["is_active"]
    assert row["has_digital_signature"] is None and row["has_training_account"] is None
    assert "Vị trí việc làm" in out.extra_columns  # read from `Nhóm chức vụ` only


def test_no_layout_matching_names_the_layouts_tried(tmp_path: Path, ctx) -> None:
    raw = tmp_path / "raw"
    path = raw / "students/x.csv"
    path.parent.mkdir(parents=True)
    path.write_text("MaHS,HoTen\nHS1,An\n", encoding="utf-8")
    out = _judge(path, raw, ctx)
    assert out.reject_rule == "missing_required_column"
    assert "thiếu cột: Mã học sinh" in out.reject_message_vi
    assert "(không khớp bố cục nào: C1-HocSinh, contract)" in out.reject_message_vi


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "layouts.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = """students:
  - name: X
    columns: {student_code: [Ma], status: [TT]}
    required: [student_code]
"""


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (BASE.replace("status: [TT]", "marks: [Diem]"), "trường không có ở nguồn này: marks"),
        (BASE + "    fields: {school_code: {folder: 0}}\n", "folder là số thứ tự thư mục"),
        (BASE + "    fields: {class: {fixed: A}}\n", "fields nêu trường không có ở nguồn này"),
        (BASE + "    values: {gender: {M: Nam}}\n", "values nêu trường 'gender'"),
        (BASE.replace("required: [student_code]", "required: [grade]"), "required nêu trường"),
        (BASE + "  - name: X\n    columns: {student_code: [Ma]}\n    required: [student_code]\n",
         "tên bố cục bị trùng"),
        ("hocsinh:\n" + BASE.split("\n", 1)[1], "nguồn 'hocsinh' không có"),
        (BASE + "    fields: {school_code: {url: x}}\n", "phải là một trong header"),
    ],
    ids=["unknown field", "folder 0", "unknown outside field", "values of an unread column",
         "required not a column", "duplicate name", "unknown source", "unknown source kind"],
)  # fmt: skip
def test_a_broken_layout_is_refused_naming_the_mistake(tmp_path: Path, text, words) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(LayoutError, match=words.replace("(", r"\(").replace("'", "'")):
        load_layouts(path, LAYOUT_COLUMNS, LAYOUT_FIELDS)
    # `cds run` and `cds check` list it before any work (exit 2)
    errors = reference_errors(lambda name: path if name == "layouts.yaml" else SHIPPED_REFERENCE
                              / name, {}, LAYOUT_COLUMNS, LAYOUT_FIELDS)  # fmt: skip
    assert any("layouts.yaml" in e and words.split(":")[0] in e for e in errors), errors


def test_a_fixed_value_fills_a_field(tmp_path: Path, ctx) -> None:
    path = _write(
        tmp_path,
        BASE.replace("status: [TT]}", "status: [TT], personal_id: [ID]}")
        + "    fields:\n      school_code: {folder: 1}\n      school_year: {fixed: 2024-2025}\n"
        "      period: {fixed: Cuối năm}\n",
    )
    layouts = load_layouts(path, LAYOUT_COLUMNS, LAYOUT_FIELDS)
    raw = tmp_path / "raw"
    csv = raw / f"students/{SCHOOL}/ds.csv"
    csv.parent.mkdir(parents=True)
    csv.write_text("Ma,TT,ID\nHS1,Đang học,031216000001\n", encoding="utf-8")
    out = _judge(csv, raw, replace(ctx, layouts=layouts))
    assert out.status == "accepted", out.reject_message_vi
    assert (out.meta["school_code"], out.meta["school_year"], out.meta["period"]) == (
        SCHOOL, YEAR, "cuoi_nam")  # fmt: skip
    assert "results_hk1" in out.meta["fields_not_available"]
