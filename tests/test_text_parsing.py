from __future__ import annotations

import unicodedata
from datetime import date

import polars as pl
import pytest

from pipelines.ingest.text import fold, parse_count_expr, parse_date_expr, parse_number_expr


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Mã trường", "MA TRUONG"),
        ("Điểm tự\nđánh giá", "diem tu danh gia"),
        (unicodedata.normalize("NFD", "Số định danh cá nhân"), "SỐ ĐỊNH DANH CÁ NHÂN"),
        ("  Tử   số ", "tử số"),
        ("MA_TRUONG", "Mã trường"),
    ],
)
def test_fold_matches_variants(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_fold_keeps_different_headers_apart() -> None:
    assert fold("Tử số") != fold("Mẫu số")
    assert fold("Nữ") != fold("Nội dung")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("28/02/2025", date(2025, 2, 28)),
        ("1/2/2025", date(2025, 2, 1)),
        ("2025-02-28", date(2025, 2, 28)),
        ("2025-02-28 00:00:00", date(2025, 2, 28)),
        ("45716", date(2025, 2, 28)),
        ("45716.0", date(2025, 2, 28)),
        ("28-02-2025", date(2025, 2, 28)),
        ("31/02/2025", None),
        ("hôm qua", None),
        (None, None),
    ],
)
def test_dates(text: str | None, expected: date | None) -> None:
    assert (
        pl.DataFrame({"d": [text]}, schema={"d": pl.String}).select(parse_date_expr("d")).item()
        == expected
    )


@pytest.mark.parametrize(
    ("text", "number", "count"),
    [
        ("6", 6.0, 6),
        ("6.0", 6.0, 6),
        ("6,5", 6.5, None),
        ("1.234", 1234.0, 1234),
        ("1 234", 1234.0, 1234),
        ("-3", -3.0, None),
        ("abc", None, None),
        (None, None, None),
    ],
)
def test_numbers_and_counts(text: str | None, number: float | None, count: int | None) -> None:
    df = pl.DataFrame({"n": [text]}, schema={"n": pl.String})
    assert df.select(parse_number_expr("n")).item() == number
    assert df.select(parse_count_expr("n")).item() == count
