"""Every case of contract §3, expected results written out."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.ingest.personal_id import century_digit, id_rule_expr
from pipelines.reference.code_lists import load_code_lists
from pipelines.settings import SHIPPED_REFERENCE

PROVINCES = load_code_lists(SHIPPED_REFERENCE / "code_lists.csv").codes("birth_province")


def rule(pid: str | None, female: bool | None, year: int | None) -> str | None:
    df = pl.DataFrame(
        {"pid": [pid], "female": [female], "year": [year]},
        schema={"pid": pl.String, "female": pl.Boolean, "year": pl.Int32},
    )
    return df.select(id_rule_expr("pid", "female", "year", PROVINCES)).item()


@pytest.mark.parametrize(
    ("pid", "female", "year", "expected"),
    [
        ("031099001234", False, 1999, None),  # male, born 1999 → 0
        ("031199001234", True, 1999, None),  # female, born 1999 → 1
        ("031200001234", False, 2000, None),  # male, born 2000 → 2 (century boundary)
        ("031300001234", True, 2000, None),  # female, born 2000 → 3
        ("001215123456", False, 2015, None),
        ("096310123456", True, 2010, None),
        ("031499001234", False, 2199, None),  # 4: male 2100–2199
        ("031599001234", True, 2199, None),
        ("031899001234", False, 1899, None),  # 8: male 1800–1899
        ("031999001234", True, 1899, None),
        ("031099001234", False, 2099, "id_gender_century_mismatch"),  # 0 is 1900s, not 2000s
        ("031200001234", False, 1999, "id_gender_century_mismatch"),  # born 1999 needs 0/1
        ("031299001234", False, 1999, "id_gender_century_mismatch"),
        ("031300001234", False, 2000, "id_gender_century_mismatch"),  # 3 is female
        ("031200001234", True, 2000, "id_gender_century_mismatch"),  # 2 is male
        ("031600001234", False, 2000, "id_gender_century_mismatch"),  # 6 is no century digit
        ("031710001234", True, 2010, "id_gender_century_mismatch"),
        ("031215001234", False, 2016, "id_birth_year_mismatch"),
        ("031300001234", True, 2001, "id_birth_year_mismatch"),
        ("003215001234", False, 2015, "id_unknown_province"),  # 003 is not a code
        ("097215001234", False, 2015, "id_unknown_province"),
        ("03121500123", False, 2015, "id_wrong_format"),  # 11 digits
        ("0312150012345", False, 2015, "id_wrong_format"),  # 13 digits
        ("03121500123A", False, 2015, "id_wrong_format"),
        ("031 215 001 234", False, 2015, "id_wrong_format"),
        (None, False, 2015, "id_missing"),
        ("", True, 2015, "id_missing"),
        ("031215001234", None, None, None),  # nothing to compare with: the form is valid
    ],
)
def test_id_rules(
    pid: str | None, female: bool | None, year: int | None, expected: str | None
) -> None:
    assert rule(pid, female, year) == expected


@pytest.mark.parametrize(
    ("year", "female", "digit"),
    [
        (1999, False, 0),
        (1999, True, 1),
        (2000, False, 2),
        (2000, True, 3),
        (2100, True, 5),
        (1850, False, 8),
    ],
)
def test_century_digit(year: int, female: bool, digit: int) -> None:
    assert century_digit(year, female) == digit


def test_63_province_codes() -> None:
    assert len(PROVINCES) == 63 and "031" in PROVINCES and "003" not in PROVINCES
