"""Vietnamese names of the published tables and columns (`labels_vi.csv`): the Excel and
HTML headers, and the comments and Vietnamese views in analytics.duckdb."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.reference.csv_file import read_reference_csv

COLUMNS = ("kind", "name", "label_vi")


class LabelError(ValueError):
    pass


@dataclass(frozen=True)
class Labels:
    tables: dict[str, str]
    columns: dict[str, str]
    values: dict[str, dict[str, str]]  # column → code → label (`value` rows: column.code)

    def column(self, name: str) -> str:
        return self.columns.get(name, name)

    def table(self, name: str) -> str:
        return self.tables.get(name, name)

    def rename(self, df: pl.DataFrame) -> pl.DataFrame:
        """The frame with Vietnamese headers (a column without a label keeps its name)."""
        return df.rename({c: self.column(c) for c in df.columns})

    def translate(self, df: pl.DataFrame) -> pl.DataFrame:
        """Codes shown as words (`green` → `Xanh`), booleans as Có/Không, headers in
        Vietnamese: the frame a person reads."""
        df = df.with_columns(
            pl.col(c).replace(self.values[c]) for c in df.columns if c in self.values
        ).with_columns(
            pl.col(c).replace_strict(
                {True: "Có", False: "Không"}, default=None, return_dtype=pl.String
            )
            for c, t in df.schema.items()
            if t == pl.Boolean
        )
        return self.rename(df)


def parse_labels(df: pl.DataFrame, origin: str = "labels_vi.csv") -> Labels:
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise LabelError(f"{origin}: thiếu cột {', '.join(missing)}")
    df = df.select(COLUMNS).with_columns(pl.col(c).str.strip_chars() for c in COLUMNS)
    for n, row in enumerate(df.iter_rows(named=True), start=2):
        if row["kind"] not in ("table", "column", "value"):
            raise LabelError(f"{origin}, dòng {n}: kind phải là table, column hoặc value")
        if row["kind"] == "value" and "." not in (row["name"] or ""):
            raise LabelError(f"{origin}, dòng {n}: nhãn giá trị phải có dạng cột.mã")
        if not row["name"] or not row["label_vi"]:
            raise LabelError(f"{origin}, dòng {n}: thiếu name hoặc label_vi")
    dup = df.filter(pl.struct("kind", "name").is_duplicated())
    if dup.height:
        raise LabelError(f"{origin}: '{dup['name'][0]}' có hai nhãn")
    pick = {
        k: dict(df.filter(pl.col("kind") == k).select("name", "label_vi").iter_rows())
        for k in ("table", "column")
    }
    values: dict[str, dict[str, str]] = {}
    for name, label in df.filter(pl.col("kind") == "value").select("name", "label_vi").iter_rows():
        column, _, code = name.partition(".")
        values.setdefault(column, {})[code] = label
    return Labels(tables=pick["table"], columns=pick["column"], values=values)


def _read(path: Path) -> pl.DataFrame:
    return read_reference_csv(path, LabelError, "tệp nhãn")


def load_labels(path: Path) -> Labels:
    return parse_labels(_read(path), origin=Path(path).name)


def load_labels_or_none(path: Path) -> Labels:
    """The labels, or none (codes stay codes) when the file cannot be read: a label never
    stops a load, a check or the definitions from loading."""
    try:
        return load_labels(path)
    except (LabelError, OSError, pl.exceptions.PolarsError):
        return Labels(tables={}, columns={}, values={})


def status_words(path: Path) -> dict[str, str]:
    """A file's outcome in words (`value` rows of `status`: `Nhận`, `Bị từ chối`), for the
    ingest's metadata and `cds check`; empty (the codes stay) when the file cannot be read."""
    return load_labels_or_none(path).values.get("status", {})


def load_labels_frame(path: Path) -> pl.DataFrame:
    """The validated file as a table for dbt (reference.labels_vi): kind, name, label_vi,
    and for `value` rows the column and the code (`report.students` → report, students),
    so that the models write `Dữ liệu học sinh`, never `students` (issue 19, item 6)."""
    df = _read(path)
    parse_labels(df, origin=Path(path).name)  # refused whole when broken
    return df.select(pl.col(c).str.strip_chars() for c in COLUMNS).with_columns(
        pl.when(pl.col("kind") == "value")
        .then(pl.col("name").str.split_exact(".", 1).struct.field("field_0"))
        .alias("value_of"),
        pl.when(pl.col("kind") == "value")
        .then(pl.col("name").str.splitn(".", 2).struct.field("field_1"))
        .alias("code"),
    )
