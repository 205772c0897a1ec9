"""Pure, vectorised parsing of the cell values schools send (contract §1).

Every function takes or returns Polars expressions / frames so whole columns are parsed
at once; nothing here loops over rows in Python.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import polars as pl

_EXCEL_EPOCH = date(1899, 12, 30)


def fold(text: str | None) -> str:
    """Fold a header or label for matching: Unicode-normalised, case-, diacritic- and
    whitespace-insensitive (`"Mã\\ntrường "` and NFD `"MÃ TRƯỜNG"` both give `"matruong"`)."""
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFD", str(text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("đ", "d").replace("Đ", "D").casefold()
    return "".join(ch for ch in stripped if ch.isalnum())


def fold_expr(col: str | pl.Expr) -> pl.Expr:
    """`fold` over a whole column, in Polars (no Python per value)."""
    expr = pl.col(col) if isinstance(col, str) else col
    return (
        expr.str.normalize("NFD")
        .str.replace_all(r"\p{Mn}", "")
        .str.replace_all("[đĐ]", "d")
        .str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}]", "")
    )


def nfc_expr(col: str) -> pl.Expr:
    """Strip and NFC-normalise free text (NFD files would otherwise never equal NFC ones)."""
    return pl.col(col).str.strip_chars().str.normalize("NFC").replace("", None)


def parse_date_expr(col: str) -> pl.Expr:
    """Dates as `dd/mm/yyyy`, `d/m/yyyy`, ISO `yyyy-mm-dd` (with or without a time), or
    Excel serial numbers. Unparseable values become null (callers decide what that means)."""
    s = pl.col(col).str.strip_chars()
    serial = s.str.extract(r"^(\d{4,6})(?:\.0+)?$", 1).cast(pl.Int64, strict=False)
    return pl.coalesce(
        s.str.extract(r"^(\d{4}-\d{1,2}-\d{1,2})(?:[ T].*)?$", 1).str.to_date(
            "%Y-%m-%d", strict=False
        ),
        s.str.replace_all(r"[.\-]", "/").str.to_date("%d/%m/%Y", strict=False),
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


def parse_count_expr(col: str) -> pl.Expr:
    """A count: a non-negative whole number; anything else → null."""
    n = parse_number_expr(col)
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
