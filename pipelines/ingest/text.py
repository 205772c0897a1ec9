"""Pure, vectorised parsing of the cell values schools send (contract §1).

Every function takes or returns Polars expressions / frames so whole columns are parsed
at once; nothing here loops over rows in Python.
"""

from __future__ import annotations

import re
from datetime import date

import polars as pl

from pipelines.reference.folding import fold

_EXCEL_EPOCH = date(1899, 12, 30)


def fold_expr(col: str | pl.Expr) -> pl.Expr:
    """`fold` (`reference/folding.py`) over a whole column, in Polars (no Python per value):
    the two must fold alike."""
    expr = pl.col(col) if isinstance(col, str) else col
    folded = (
        expr.str.normalize("NFD")
        .str.replace_all(r"\p{Mn}", "")
        .str.replace_all("[đĐ]", "d")
        .str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}]", "")
    )
    return pl.when(folded == "").then(expr.str.replace_all(r"\s", "")).otherwise(folded)


def nfc_expr(col: str) -> pl.Expr:
    """Strip and NFC-normalise free text (NFD files would otherwise never equal NFC ones)."""
    return pl.col(col).str.strip_chars().str.normalize("NFC").replace("", None)


# A time after a date (`05/10/2024 08:30`, `05/10/2024 8:30:00 SA`) says nothing of the day.
_TIME = r"(?:[ T,]+\d{1,2}[:h]\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*(?:AM|PM|SA|CH))?)?"
_DMY = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})" + _TIME + "$"
_YMD = r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$"
# `ngày 05 tháng 10 năm 2024`, also after a place (`Hà Nội, ngày …`), matched folded
_WORDS = r"(?:^|ngay)(\d{1,2})thang(\d{1,2})nam(\d{4})$"


def full_year_expr(year: pl.Expr, today: date) -> pl.Expr:
    """A year as written: four digits as they are; two digits in this century unless that
    lies past next year (`15/10/24` is 2024, a birth year `85` is 1985)."""
    y = year.cast(pl.Int32, strict=False)
    return (
        pl.when(year.str.len_chars() != 2)
        .then(y)
        .when(y + 2000 <= today.year + 1)
        .then(y + 2000)
        .otherwise(y + 1900)
    )


def _ymd(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
    return pl.format("{}-{}-{}", y.cast(pl.String).str.zfill(4), m.str.zfill(2), d.str.zfill(2))


def parse_date_expr(col: str, today: date | None = None) -> pl.Expr:
    """Dates as people and programs write them: `dd/mm/yyyy`, `d/m/yy` (two-digit years,
    see `full_year_expr`), with `.` or `-` between, with a time after them, ISO
    `yyyy-mm-dd` (with or without a time), `ngày 05 tháng 10 năm 2024`, or an Excel serial
    number (a fraction is the time of day). Unparseable values become null (callers decide
    what that means)."""
    today = today or date.today()
    s = pl.col(col).str.strip_chars().str.to_uppercase()
    serial = s.str.extract(r"^(\d{4,6})(?:\.\d+)?$", 1).cast(pl.Int64, strict=False)
    dmy = [s.str.extract(_DMY, i) for i in (1, 2, 3)]
    ymd = [s.str.extract(_YMD, i) for i in (1, 2, 3)]
    words = [fold_expr(col).str.extract(_WORDS, i) for i in (1, 2, 3)]
    return pl.coalesce(
        _ymd(ymd[0], ymd[1], ymd[2]).str.to_date("%Y-%m-%d", strict=False).alias(col),
        _ymd(full_year_expr(dmy[2], today), dmy[1], dmy[0]).str.to_date("%Y-%m-%d", strict=False),
        _ymd(words[2], words[1], words[0]).str.to_date("%Y-%m-%d", strict=False),
        pl.when(serial.is_between(1, 2_958_465)).then(
            pl.lit(_EXCEL_EPOCH) + pl.duration(days=serial)
        ),
    )


def parse_number_expr(col: str) -> pl.Expr:
    """Numbers as Excel or a person writes them: `6`, `6.0`, `6,5` (decimal comma),
    `1.234` / `1,234` / `1 234` (thousands). Not a number → null."""
    s = pl.col(col).str.strip_chars().str.replace_all("\u00a0", "")
    thousands = s.str.contains(r"^-?\d{1,3}([.,\s]\d{3})+$")
    decimal_comma = s.str.contains(r"^-?\d+,\d+$")
    cleaned = (
        pl.when(thousands)
        .then(s.str.replace_all(r"[.,\s]", ""))
        .when(decimal_comma)
        .then(s.str.replace(",", "."))
        .otherwise(s)
    )
    return cleaned.cast(pl.Float64, strict=False)


# A dash alone is how statistical forms write "none" (`-`, en dash, em dash, minus sign).
ZERO_DASHES = r"^[-‐‑‒–—―−]$"


def parse_count_expr(col: str) -> pl.Expr:
    """A count: a non-negative whole number, a dash alone meaning 0; anything else → null."""
    dash = pl.col(col).str.strip_chars().str.contains(ZERO_DASHES)
    n = pl.when(dash).then(pl.lit(0.0)).otherwise(parse_number_expr(col)).alias(col)
    return pl.when((n >= 0) & (n == n.floor())).then(n).cast(pl.Int64, strict=False)


_HEADER_NOISE = re.compile(r"\(\s*(?:\d+|\*+|[ivxlc]+)\s*\)|\*+", re.IGNORECASE)
_HEADER_PREFIXES = ("trongdo",)  # `TRONG ĐÓ: NỮ` is the `Nữ` column


def fold_header(text: str | None) -> str:
    """`fold` for a table header, without what schools add to one: a column number
    (`Tổng số\\n(3)`), a footnote mark (`Tổng số (*)`), a `Trong đó:` prefix."""
    folded = fold(_HEADER_NOISE.sub("", text or ""))
    for prefix in _HEADER_PREFIXES:
        if folded.startswith(prefix) and len(folded) > len(prefix):
            folded = folded.removeprefix(prefix)
    return folded
