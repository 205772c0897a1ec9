"""`cds generate`: read back through the project's own reader (a CSDL ngành download
through its layout), every fault listed and nothing else wrong, the same seed gives the
same bytes; the layouts chosen; a province's registry without districts."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from pathlib import Path

import polars as pl
import pytest

from pipelines.generate import FAULT_KINDS, generate
from pipelines.generate.geography import SCALES, Scale
from pipelines.ingest.layouts import apply_layout, layout_spec, read_through_layouts
from pipelines.ingest.personal_id import id_rule_expr
from pipelines.ingest.runner import LAYOUT_COLUMNS, LAYOUT_FIELDS
from pipelines.ingest.sources import SOURCES
from pipelines.ingest.sources.base import IngestContext
from pipelines.ingest.sources.cds_assessment import SPEC as CDS_ASSESSMENT_SPEC
from pipelines.ingest.sources.schools import SPEC as SCHOOLS_SPEC
from pipelines.ingest.sources.specs import EMIS_REPORT_SPEC, STUDENTS_SPEC, TEACHERS_SPEC
from pipelines.ingest.text import parse_count_expr, parse_date_expr
from pipelines.ingest.workbook import FileRejected, TableSpec, read_table
from pipelines.reference.code_lists import load_code_lists
from pipelines.reference.layouts import load_layouts
from pipelines.settings import SHIPPED_REFERENCE

CODES = load_code_lists(SHIPPED_REFERENCE / "code_lists.csv")
PROVINCES = CODES.codes("birth_province")
LAYOUTS = load_layouts(SHIPPED_REFERENCE / "layouts.yaml", LAYOUT_COLUMNS, LAYOUT_FIELDS)
FILE_FAULTS = {"corrupt_workbook", "missing_required_column", "unknown_school_code"}


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A district with every fault, some schools sending CSDL ngành's downloads."""
    out = tmp_path_factory.mktemp("gen") / "raw"
    generate(out, scale="district", seed=7, faults=set(FAULT_KINDS), workers=1, layout="mixed")
    return out, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _spec(f: dict, spec: TableSpec) -> TableSpec:
    """The reader's spec for a file of the manifest: its layout's columns (a download's
    value maps are the contract's own labels, so the values read are the contract's)."""
    if f["layout"] == "contract":
        return spec
    [layout] = [x for x in LAYOUTS[f["source"]] if x.name == f["layout"]]
    return layout_spec(layout, spec)


def _faults_by_file(manifest: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for f in manifest["faults"]:
        out[f["file"]].append(f)
    return out


def _clean_files(manifest: dict, source: str) -> list[dict]:
    """Files of `source` with no fault of their own and not a superseded first version."""
    faulty = _faults_by_file(manifest)
    return [
        f
        for f in manifest["files"]
        if f["source"] == source and f["file"] not in faulty and "_lan1" not in f["file"]
    ]


def test_manifest_lists_existing_files_and_every_kind(district) -> None:
    out, manifest = district
    assert manifest["n_files"] == len(manifest["files"])
    assert all((out / f["file"]).is_file() for f in manifest["files"])
    assert {f["kind"] for f in manifest["faults"]} == set(FAULT_KINDS)
    for f in manifest["faults"]:
        assert (out / f["file"]).is_file()
        # a missing grade or push is a row left out: its file and column, no row
        if f["kind"] not in FILE_FAULTS and f["kind"] not in (
            "emis_grade_missing",
            "sync_push_missing",
        ):
            assert f["row"] is not None and f["column"], f
    assert manifest["n_schools"] == 54
    levels = {e["source"] for e in manifest["events"]}
    assert {"emis_report", "students", "teachers", "cds_assessment"} <= levels
    assert {f["source"] for f in manifest["files"]} >= {"sync_log"}


def test_file_level_faults_make_files_unusable(district) -> None:
    out, manifest = district
    specs = {"emis_report": EMIS_REPORT_SPEC, "students": STUDENTS_SPEC, "teachers": TEACHERS_SPEC}
    layout_of = {f["file"]: f for f in manifest["files"]}
    for f in manifest["faults"]:
        if f["kind"] in ("corrupt_workbook", "missing_required_column") and f["source"] in specs:
            with pytest.raises(FileRejected):
                read_table(out / f["file"], _spec(layout_of[f["file"]], specs[f["source"]]))


def _read(path: Path, spec, f: dict | None = None) -> pl.DataFrame:
    """As ingestion sees a file (`f`: its manifest entry, for its layout): text
    NFC-normalised (some files are written in NFD)."""
    data = read_table(path, spec if f is None else _spec(f, spec)).data
    return data.with_columns(pl.col(pl.String).str.normalize("NFC"))


def _emis(path: Path) -> dict[str, tuple[int | None, int | None, int | None]]:
    data = _read(path, EMIS_REPORT_SPEC).with_columns(
        *[parse_count_expr(c) for c in ("total", "female", "ethnic")]
    )
    return {
        r["indicator_code"]: (r["total"], r["female"], r["ethnic"])
        for r in data.iter_rows(named=True)
    }


def test_emis_totals_add_up_where_no_fault(district) -> None:
    out, manifest = district
    files = _clean_files(manifest, "emis_report")
    assert len(files) > 150
    for f in files:
        v = _emis(out / f["file"])
        for total, parts in (
            ("201", [f"21{g}" for g in range(1, 10)] + ["220", "221"]),
            ("101", [f"11{g}" for g in range(1, 10)] + ["120", "121"]),
            ("301", ["302", "303", "304"]),
            ("303", ["311", "312", "313"]),
        ):
            for col in (0, 1, 2) if total != "101" else (0,):
                assert sum(v[p][col] for p in parts if p in v) == v[total][col], (f["file"], total)
        for code, (t, fem, eth) in v.items():
            assert t is not None and t >= 0, (f["file"], code)
            assert fem is None or fem <= t
            assert eth is None or eth <= t


def test_exports_agree_with_reports(district) -> None:
    out, manifest = district
    emis = {
        (f["school_code"], f["school_year"], f["period"]): f
        for f in _clean_files(manifest, "emis_report")
    }
    checked = 0
    for f in _clean_files(manifest, "students"):
        key = (f["school_code"], f["school_year"], f["period"])
        if key not in emis:
            continue
        students = _read(out / f["file"], STUDENTS_SPEC, f)
        active = students.filter(pl.col("status").is_in(["Đang học", "Chuyển đến"]))
        assert active.height == _emis(out / emis[key]["file"])["201"][0], key
        checked += 1
    assert checked > 40


def test_claims_agree_with_the_staff_export(district) -> None:
    """Issue 19: a school without faults claims for 2.5 (digital signatures) and 1.6.1
    (training accounts) the fractions its own end-of-year staff export gives, as the
    warehouse cross-checks them (contract §6: all active staff; active teachers), so that a
    clean district gets no cds_cross_source warning. Checked by breaking the code once: the
    generator's former 2.5 (managers and teachers only) failed it."""
    out, manifest = district
    staff = {  # a CSDL_GiaoVien download has neither signatures nor accounts: not compared
        (f["school_code"], f["school_year"]): f
        for f in _clean_files(manifest, "teachers")
        if f["period"] == "cuoi_nam" and f["layout"] == "contract"
    }
    checked = 0
    for f in _clean_files(manifest, "cds_assessment"):
        key = (f["school_code"], f["school_year"])
        if key not in staff:
            continue
        rows = _read(out / f["file"], CDS_ASSESSMENT_SPEC).with_columns(
            *[parse_count_expr(c) for c in ("numerator", "denominator")]
        )
        claims = {r["indicator_code"]: r for r in rows.iter_rows(named=True)}
        people = _read(out / staff[key]["file"], TEACHERS_SPEC).filter(
            pl.col("status") == "Đang làm việc"
        )
        teachers = people.filter(pl.col("position") == "Giáo viên")
        for code, have, among in (
            ("2.5", people["digital_signature"] == "Có", people),
            ("1.6.1", teachers["training_account"] == "Có", teachers),
        ):
            claim = claims[code]
            assert (claim["numerator"], claim["denominator"]) == (int(have.sum()), among.height), (
                key,
                code,
            )
        checked += 1
    assert checked > 20


def _people(path: Path, spec, f: dict) -> pl.DataFrame:
    return (
        _read(path, spec, f)
        .with_columns(
            (pl.col("gender") == "Nữ").alias("female"),
            parse_date_expr("birth_date").dt.year().alias("birth_year"),
        )
        .with_columns(rule=id_rule_expr("personal_id", "female", "birth_year", PROVINCES))
    )


@pytest.mark.parametrize(
    ("source", "spec", "code_col"),
    [("students", STUDENTS_SPEC, "student_code"), ("teachers", TEACHERS_SPEC, "staff_code")],
)
def test_ids_and_codes_valid_unless_injected(district, source, spec, code_col) -> None:
    out, manifest = district
    faulty = _faults_by_file(manifest)
    by_period: dict[tuple[str, str], list[pl.DataFrame]] = defaultdict(list)
    for f in manifest["files"]:
        if f["source"] != source or "_lan1" in f["file"]:
            continue
        injected = faulty.get(f["file"], [])
        if any(x["kind"] in FILE_FAULTS for x in injected):
            continue
        people = _people(out / f["file"], spec, f)
        bad_rows = set(people.filter(pl.col("rule").is_not_null())["_row"].to_list())
        id_rows = {
            x["row"]
            for x in injected
            if x["kind"].startswith(("id_", "staff_id_"))
            and x["kind"] != "id_duplicate_across_schools"
        }
        assert bad_rows == id_rows, f["file"]
        codes = people.filter(pl.col(code_col).is_not_null())
        dup_rows = set(codes.filter(pl.col(code_col).is_duplicated())["_row"].to_list())
        code_faults = {x["row"] for x in injected if x["kind"] == "duplicate_student_code"}
        assert dup_rows == code_faults | {r - 1 for r in code_faults}, f["file"]
        blank = set(people.filter(pl.col(code_col).is_null())["_row"].to_list())
        assert blank == {x["row"] for x in injected if x["kind"].startswith("blank_")}
        by_period[(f["school_year"], f["period"])].append(
            people.select("personal_id", "_row").with_columns(pl.lit(f["file"]).alias("file"))
        )
    # across schools: the same ID twice only where injected, and the partner is named
    duplicates = [
        x
        for x in manifest["faults"]
        if x["kind"] == "id_duplicate_across_schools" and x["source"] == source
    ]
    dup_faults = {(x["file"], x["row"]) for x in duplicates}
    partners = {(x["duplicate_of"]["file"], x["duplicate_of"]["row"]) for x in duplicates}
    assert len(dup_faults) == (2 if source == "students" else 0)
    found = set()
    for frames in by_period.values():
        ids = pl.concat(frames).filter(pl.col("personal_id").is_not_null())
        found |= set(
            ids.filter(pl.col("personal_id").is_duplicated()).select("file", "_row").iter_rows()
        )
    assert found == dup_faults | partners


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_whatever_the_workers(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(SCALES, "tiny", Scale("tiny", 1, 2, {"MN": 1, "TH": 2, "THCS": 1}))
    generate(
        tmp_path / "a",
        scale="tiny",
        seed=3,
        faults=set(FAULT_KINDS),
        workers=1,
        school_years=("2024-2025",),
    )
    generate(
        tmp_path / "b",
        scale="tiny",
        seed=3,
        faults=set(FAULT_KINDS),
        workers=2,
        school_years=("2024-2025",),
    )
    generate(tmp_path / "c", scale="tiny", seed=4, workers=2, school_years=("2024-2025",))
    a, b, c = (_tree_digest(tmp_path / x) for x in "abc")
    assert a == b
    assert a != c


def test_sizes_are_realistic(district) -> None:
    out, manifest = district
    learners = 0
    for f in _clean_files(manifest, "emis_report"):
        if f["period"] == "dau_nam" and f["school_year"] == "2024-2025":
            learners += _emis(out / f["file"])["201"][0]
    assert 15_000 < learners < 35_000  # ~25,000 learners in ~54 schools (missing reports aside)


def test_downloads_are_read_through_their_layouts(district) -> None:
    """Every file the manifest says is a CSDL ngành download (and about a third of the
    schools send them) is matched by that layout, whose folders give the school, year,
    period and download date the manifest has, and holds the rows it counts; a folder
    naming a school not in the registry is rejected, and a status the layout does not
    list quarantines the row the manifest names, with the column and value it names."""
    out, manifest = district
    registry = read_table(out / manifest["files"][0]["file"], SCHOOLS_SPEC).data
    ctx = IngestContext(codes=CODES, index=None, registry=registry, layouts=LAYOUTS)
    faults = _faults_by_file(manifest)
    downloads = [f for f in manifest["files"] if f["layout"] != "contract"]
    schools = {f["school_code"] for f in downloads}
    assert 0.2 < len(schools) / manifest["n_schools"] < 0.5
    assert {f["layout"] for f in downloads} == {"C1-HocSinh", "CSDL_GiaoVien"}
    assert all(f["source"] in ("students", "teachers") for f in downloads)
    assert {f["layout"] for f in manifest["files"] if f.get("school_code") not in schools} <= {
        "contract"
    }
    kinds: set[str] = set()
    for f in downloads:
        kind = {x["kind"] for x in faults.get(f["file"], [])}
        kinds |= kind
        if kind & {"corrupt_workbook", "missing_required_column"}:
            continue
        source = SOURCES[f["source"]]
        layout, read = read_through_layouts(out / f["file"], source, ctx)
        assert layout.name == f["layout"], f["file"]
        assert read.data.height == f["rows"], f["file"]
        assert read.data["_row"].min() == f["first_data_row"] == 2, f["file"]
        if "unknown_school_code" in kind:
            with pytest.raises(FileRejected) as rejected:
                apply_layout(read, layout, f["file"], source, ctx)
            assert rejected.value.rule_id == "unknown_school"
            continue
        applied = apply_layout(read, layout, f["file"], source, ctx)
        header = applied.read.header
        assert (header["school_code"], header["school_year"], header["period"]) == (
            f["school_code"],
            f["school_year"],
            f["period"],
        ), f["file"]
        assert header["submitted_on"] == f["submitted_on"], f["file"]
        bad = {(x["row"], x["column"], x["value"]) for x in faults.get(f["file"], [])
               if x["kind"] == "layout_unknown_status"}  # fmt: skip
        issues = applied.issues.filter(pl.col("rule_id") == "layout_unknown_value")
        assert set(issues.select("_row", "field", "value").iter_rows()) == bad, f["file"]
        assert applied.quarantined.height == len(bad)
    assert {"layout_unknown_status", "unknown_school_code"} <= kinds


def test_layout_contract_and_csdl(tmp_path: Path, monkeypatch) -> None:
    """`--layout contract` (the default) writes no download, `--layout csdl` only downloads
    for the people exports; the other sources are the same files either way."""
    monkeypatch.setitem(SCALES, "tiny", Scale("tiny", 1, 1, {"MN": 1, "TH": 2}))
    kwargs = {"scale": "tiny", "seed": 5, "workers": 1, "school_years": ("2024-2025",)}
    generate(tmp_path / "contract", **kwargs)
    generate(tmp_path / "csdl", layout="csdl", **kwargs)
    layouts = {
        name: {
            f["file"]: (f["source"], f["layout"])
            for f in json.loads((tmp_path / name / "manifest.json").read_text())["files"]
        }
        for name in ("contract", "csdl")
    }
    assert {lay for _, lay in layouts["contract"].values()} == {"contract"}
    assert {(src, lay) for src, lay in layouts["csdl"].values()} == {
        ("schools", "contract"),
        ("emis_report", "contract"),
        ("cds_assessment", "contract"),
        ("sync_log", "contract"),
        ("students", "C1-HocSinh"),
        ("teachers", "CSDL_GiaoVien"),
    }
    digests = {name: _tree_digest(tmp_path / name) for name in ("contract", "csdl")}
    others = ("schools/", "emis_report/", "cds_assessment/", "sync_log/")
    assert {k: v for k, v in digests["contract"].items() if k.startswith(others)} == {
        k: v for k, v in digests["csdl"].items() if k.startswith(others)
    }
    with pytest.raises(ValueError, match="unknown layout"):
        generate(tmp_path / "x", layout="c1", **kwargs)


def test_a_province_registry_names_no_district(tmp_path: Path, monkeypatch) -> None:
    """`--scale province` (here with 2 of its 15 former districts, a few schools each):
    the registry has no district column, names the province, and a commune's name is
    unique in the province; the district scale's registry still names its district."""
    small = dataclasses.replace(
        SCALES["province"], districts_per_province=2, per_district={"MN": 2, "TH": 3}
    )
    monkeypatch.setitem(SCALES, "province", small)
    kwargs = {"seed": 5, "workers": 1, "school_years": ("2025-2026",)}
    generate(tmp_path / "p", scale="province", **kwargs)
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    assert manifest["registry_districts"] is False
    read = read_table(tmp_path / "p" / manifest["files"][0]["file"], SCHOOLS_SPEC)
    registry = read.data
    assert registry.height == 10
    assert "district_code" not in registry.columns and "district_name" not in registry.columns
    assert set(registry["province_name"]) == {"Thành phố Hải Phòng"}
    assert registry["commune_code"].null_count() == 0
    communes = registry.select("commune_code", "commune_name").unique()
    assert communes["commune_name"].n_unique() == communes.height
    monkeypatch.setitem(SCALES, "tiny", Scale("tiny", 1, 1, {"MN": 1, "TH": 1}))
    generate(tmp_path / "d", scale="tiny", **kwargs)
    registry = read_table(tmp_path / "d" / "schools" / "danh_muc_truong.xlsx", SCHOOLS_SPEC).data
    assert registry.select("district_code", "province_name").row(0) == (
        "305",
        "Thành phố Hải Phòng",
    )
