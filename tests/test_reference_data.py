"""Reference data is validated on load; a broken file is refused, naming the item."""

from __future__ import annotations

import copy
from pathlib import Path

import polars as pl
import pytest
import yaml

from pipelines.ingest.sources import PERIODS_BY_REPORT
from pipelines.reference.calendar import CalendarError, load_calendar
from pipelines.reference.cds_index import CdsIndexError, load_index, parse_index
from pipelines.reference.code_lists import load_code_lists
from pipelines.settings import SHIPPED_REFERENCE

SHIPPED_INDEX = yaml.safe_load((SHIPPED_REFERENCE / "cds_index.yaml").read_text(encoding="utf-8"))


def test_shipped_index_is_4725() -> None:
    index = load_index(SHIPPED_REFERENCE / "cds_index.yaml")
    assert index.index_id == "qd-4725-2022"
    assert {g.code: g.max_points for g in index.groups} == {"1": 100.0, "2": 100.0}
    assert index.levels_in_scope == ("TH", "THCS", "TH_THCS", "THPT")
    assert {i.rule for i in index.indicators} == {"mandatory", "binary", "ratio", "bands"}
    bands = next(i for i in index.indicators if i.code == "1.7.2")
    assert [b.bound for b in bands.bands_by_level["THPT"]] == [1.0, 2.0, None]
    assert any(i.provenance == "assumed" for i in index.indicators)
    tables = index.to_arrow_tables()
    assert tables["cds_index_indicators"].num_rows == len(index.indicators)


def _broken(mutate) -> dict:
    doc = copy.deepcopy(SHIPPED_INDEX)
    mutate(doc)
    return doc


def _ind(doc: dict, code: str) -> dict:
    return next(i for i in doc["indicators"] if i["code"] == code)


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: _ind(d, "1.3.1").update(rule="weighted"), "'1.3.1'"),
        (lambda d: _ind(d, "1.3.1").update(max_points=7), "nhóm '1'"),
        (
            lambda d: _ind(d, "1.7.2").update(
                bands=[{"upto": 2, "points": 7}, {"upto": 4, "points": 4}]
            ),
            "'1.7.2'",
        ),
        (lambda d: d["indicators"].append(dict(_ind(d, "2.5"))), "'2.5'"),
        (lambda d: _ind(d, "1.4").update(group="9"), "'1.4'"),
        (lambda d: d.update(levels_in_scope=["TH", "ĐH"]), "'ĐH'"),
        (lambda d: d.pop("level_bounds"), "level_bounds"),
        # cross_check (contract §6): a known measure, a tolerance ≥ 0, on ratio/bands only
        (
            lambda d: _ind(d, "2.5").update(cross_check={"measure": "chu_ky", "tolerance": 0.1}),
            "'chu_ky'",
        ),
        (
            lambda d: _ind(d, "2.5").update(cross_check={"measure": "staff_digital_signature"}),
            "'2.5': 'cross_check' cần",
        ),
        (
            lambda d: _ind(d, "2.5").update(
                cross_check={"measure": "staff_digital_signature", "tolerance": -0.1}
            ),
            "không được âm",
        ),
        (
            lambda d: _ind(d, "2.5").update(
                cross_check={"measure": "staff_digital_signature", "tolerance": "10%"}
            ),
            "tolerance",
        ),
        (
            lambda d: _ind(d, "1.3.1").update(
                cross_check={"measure": "classrooms_internet", "tolerance": 0.1}
            ),
            "'1.3.1'",
        ),
    ],
)
def test_broken_index_is_refused_naming_the_item(mutate, needle: str) -> None:
    with pytest.raises(CdsIndexError) as exc:
        parse_index(_broken(mutate))
    assert needle in str(exc.value)


def test_shipped_index_cross_checks_what_the_exports_give() -> None:
    """Issue 19: teachers' training accounts, pupils per computer, digital signatures; the
    checks reach dbt as two columns of reference.cds_index_indicators. Removing the
    `cross_check` lines of reference/cds_index.yaml makes this fail."""
    index = load_index(SHIPPED_REFERENCE / "cds_index.yaml")
    checks = {
        i.code: (i.cross_check.measure, i.cross_check.tolerance)
        for i in index.indicators
        if i.cross_check is not None
    }
    assert checks == {
        "1.6.1": ("teachers_training_account", 0.10),
        "1.7.2": ("students_per_computer", 0.5),
        "2.5": ("staff_digital_signature", 0.10),
    }
    rows = index.to_arrow_tables()["cds_index_indicators"].to_pylist()
    by_code = {r["indicator_code"]: r for r in rows}
    assert (by_code["2.5"]["cross_check_measure"], by_code["2.5"]["cross_check_tolerance"]) == (
        "staff_digital_signature",
        0.10,
    )
    assert by_code["1.4"]["cross_check_measure"] is None


def test_band_catch_all_rule_message() -> None:
    with pytest.raises(CdsIndexError, match="mức cuối cùng"):
        parse_index(_broken(lambda d: _ind(d, "1.7.2").update(bands=[{"upto": 2, "points": 7}])))


def test_calendar_loads_and_has_plan_dates() -> None:
    cal = load_calendar(SHIPPED_REFERENCE / "reporting_calendar.csv", PERIODS_BY_REPORT)
    cds = cal.filter(
        (pl.col("report") == "cds_assessment") & (pl.col("school_year") == "2024-2025")
    )
    assert cds["due_school"].cast(pl.String).to_list() == ["2025-02-28"]
    assert cds["due_district"].cast(pl.String).to_list() == ["2025-05-25"]
    assert set(cal["school_year"]) == {"2024-2025", "2025-2026"}


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("emis_report,2024-2025,ca_nam,,2024-09-30,2024-10-10,2024-10-20", "kỳ 'ca_nam'"),
        ("students,2024-2026,dau_nam,,2024-09-30,2024-10-10,2024-10-20", "năm học"),
        ("teachers,2024-2025,dau_nam,,2024-09-30,10/10/2024,2024-10-20", "due_school"),
        ("teachers,2024-2025,dau_nam,MN XYZ,2024-09-30,2024-10-10,2024-10-20", "'XYZ'"),
    ],
)
def test_broken_calendar_line_is_named(tmp_path: Path, line: str, needle: str) -> None:
    path = tmp_path / "reporting_calendar.csv"
    path.write_text(
        "report,school_year,period,levels,as_of,due_school,due_district\n" + line + "\n",
        encoding="utf-8",
    )
    with pytest.raises(CalendarError) as exc:
        load_calendar(path, PERIODS_BY_REPORT)
    assert needle in str(exc.value) and "dòng 2" in str(exc.value)


def test_code_lists_map_labels() -> None:
    codes = load_code_lists(SHIPPED_REFERENCE / "code_lists.csv")
    assert codes.lookup("school_level", "TIỂU HỌC") == "TH"
    assert codes.lookup("school_level", "Liên cấp TH-THCS") == "TH_THCS"
    assert codes.lookup("period", "Cuối năm") == "cuoi_nam"
    assert codes.lookup("yes_no", "không đạt") == "no"
