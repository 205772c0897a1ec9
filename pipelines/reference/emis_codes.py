"""The EMIS indicator code list (`emis_indicators.csv`, contract §2.3): which codes exist,
which levels and periods must report them, which carry female/ethnic breakdowns."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.reference.csv_file import read_reference_csv
from pipelines.reference.vocab import SCHOOL_LEVELS

COLUMNS = ("code", "label", "levels", "periods", "breakdown", "category", "grade")
CATEGORIES = ("classes", "students", "staff", "infrastructure", "services")


class EmisCodeError(ValueError):
    pass


def parse_emis_codes(df: pl.DataFrame, origin: str = "emis_indicators.csv") -> pl.DataFrame:
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise EmisCodeError(f"{origin}: thiếu cột {', '.join(missing)}")
    df = df.select(COLUMNS).with_columns(pl.col(c).str.strip_chars() for c in COLUMNS)
    for n, row in enumerate(df.iter_rows(named=True), start=2):
        where = f"{origin}, dòng {n} (mã {row['code']})"
        if not (row["code"] or "").isdigit():
            raise EmisCodeError(f"{where}: mã chỉ tiêu phải là số")
        for lv in (row["levels"] or "").split():
            if lv not in SCHOOL_LEVELS:
                raise EmisCodeError(f"{where}: cấp học '{lv}' không hợp lệ")
        periods = (row["periods"] or "").split()
        if not periods or set(periods) - {"dau_nam", "cuoi_nam"}:
            raise EmisCodeError(f"{where}: kỳ báo cáo phải là dau_nam và/hoặc cuoi_nam")
        if row["breakdown"] not in ("y", "n"):
            raise EmisCodeError(f"{where}: breakdown phải là y hoặc n")
        if row["category"] not in CATEGORIES:
            raise EmisCodeError(f"{where}: nhóm '{row['category']}' không hợp lệ")
    dup = df.filter(pl.col("code").is_duplicated())
    if dup.height:
        raise EmisCodeError(f"{origin}: mã {dup['code'][0]} bị trùng")
    return df.with_columns(
        pl.col("levels").fill_null(""), pl.col("grade").cast(pl.Int32, strict=False)
    )


def load_emis_codes(path: Path) -> pl.DataFrame:
    df = read_reference_csv(path, EmisCodeError, "danh mục chỉ tiêu")
    return parse_emis_codes(df, origin=Path(path).name)
