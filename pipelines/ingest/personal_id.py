"""Personal identification numbers (số định danh cá nhân, contract §3), checked in bulk.

12 digits: 3-digit birth-registration province code, a gender-and-century digit
(0/1 male/female 1900–1999, 2/3 2000–2099, 4/5 2100–2199, 8/9 1800–1899), the last two
digits of the birth year, then 6 digits. `id_rule_expr` names the first rule an ID breaks
(null when the form is valid for that person); duplicates across records are checked where
all records of a period are together (on pseudonymised keys, see issue 5).
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

# gender-and-century digit → (century start, female?)
CENTURY_DIGITS: dict[int, tuple[int, bool]] = {
    0: (1900, False),
    1: (1900, True),
    2: (2000, False),
    3: (2000, True),
    4: (2100, False),
    5: (2100, True),
    8: (1800, False),
    9: (1800, True),
}

RULES_VI: dict[str, str] = {
    "id_missing": "Thiếu số định danh cá nhân",
    "id_wrong_format": "Số định danh cá nhân phải gồm đúng 12 chữ số",
    "id_unknown_province": "3 chữ số đầu của số định danh không phải mã tỉnh nơi đăng ký khai sinh",
    "id_gender_century_mismatch": "Chữ số thứ 4 (giới tính và thế kỷ sinh) không khớp giới tính hoặc năm sinh",
    "id_birth_year_mismatch": "Chữ số thứ 5–6 của số định danh không khớp năm sinh",
}


def century_digit(birth_year: int, female: bool) -> int:
    """The 4th digit for a person (used by the generator; the inverse of the check)."""
    for digit, (start, is_female) in CENTURY_DIGITS.items():
        if start <= birth_year < start + 100 and is_female == female:
            return digit
    raise ValueError(f"no century digit for {birth_year}")


def id_rule_expr(
    id_col: str, female_col: str, birth_year_col: str, provinces: Iterable[str]
) -> pl.Expr:
    """First rule broken by each ID, or null. `female_col` is Boolean (null: unknown gender),
    `birth_year_col` an integer year (null: unknown)."""
    pid = pl.col(id_col).cast(pl.String).str.strip_chars()
    digit = pid.str.slice(3, 1).cast(pl.Int32, strict=False)
    century = digit.replace_strict(
        {d: c for d, (c, _) in CENTURY_DIGITS.items()}, default=None, return_dtype=pl.Int32
    )
    id_female = digit.replace_strict(
        {d: f for d, (_, f) in CENTURY_DIGITS.items()}, default=None, return_dtype=pl.Boolean
    )
    year = pl.col(birth_year_col)
    female = pl.col(female_col)
    gender_bad = century.is_null() | (female.is_not_null() & (id_female != female))
    century_bad = year.is_not_null() & ((year < century) | (year >= century + 100))
    yy = pid.str.slice(4, 2).cast(pl.Int32, strict=False)
    return (
        pl.when(pid.is_null() | (pid == ""))
        .then(pl.lit("id_missing"))
        .when(~pid.str.contains(r"^\d{12}$"))
        .then(pl.lit("id_wrong_format"))
        .when(~pid.str.slice(0, 3).is_in(list(provinces)))
        .then(pl.lit("id_unknown_province"))
        .when(gender_bad | century_bad)
        .then(pl.lit("id_gender_century_mismatch"))
        .when(year.is_not_null() & (yy != year % 100))
        .then(pl.lit("id_birth_year_mismatch"))
        .otherwise(pl.lit(None, pl.String))
    )
