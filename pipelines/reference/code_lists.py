"""Code lists (`code_lists.csv`): the labels schools write, mapped to the contract's codes.

Matching is by folded label (case, diacritics, spacing ignored), so `Tiểu học`, `TIỂU HỌC`
and NFD `Tiểu học` all map to `TH`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.reference.csv_file import read_reference_csv
from pipelines.reference.folding import fold

REQUIRED_LISTS = (
    "school_level",
    "ownership",
    "school_status",
    "period",
    "yes_no",
    "birth_province",
    "gender",
    "student_status",
    "staff_status",
    "position",
    "qualification",
    "transcript",
    "results",
    "sync_term",
    "sync_batch",
    "sync_status",
)


class CodeListError(ValueError):
    pass


class CodeLists:
    def __init__(self, df: pl.DataFrame, origin: str = "code_lists.csv") -> None:
        missing = {"list", "label", "code"} - set(df.columns)
        if missing:
            raise CodeListError(f"{origin}: thiếu cột {', '.join(sorted(missing))}")
        self.frame = df  # as read, for the reference.code_lists table
        self._maps: dict[str, dict[str, str]] = {}
        self._active: dict[str, set[str]] = {}
        if "active" in df.columns:
            for lst, code, active in df.select("list", "code", "active").iter_rows():
                if (active or "").strip() == "y":
                    self._active.setdefault(lst.strip(), set()).add(code.strip())
        for n, (lst, label, code) in enumerate(
            df.select("list", "label", "code").iter_rows(), start=2
        ):
            if not lst or not label or not code:
                raise CodeListError(f"{origin}, dòng {n}: list, label và code không được trống")
            mapping = self._maps.setdefault(lst.strip(), {})
            key = fold(label)
            if key in mapping and mapping[key] != code.strip():
                raise CodeListError(
                    f"{origin}, dòng {n}: nhãn '{label}' của danh mục {lst} đã gán mã khác"
                )
            mapping[key] = code.strip()
        absent = [name for name in REQUIRED_LISTS if name not in self._maps]
        if absent:
            raise CodeListError(f"{origin}: thiếu danh mục {', '.join(absent)}")

    def markers(self) -> dict[str, str]:
        """Folded first words of a line that ends a table (`end`: a signature block) or
        that totals it (`total`), from the optional list `table_marker`."""
        return dict(self._maps.get("table_marker", {}))

    def mapping(self, name: str) -> dict[str, str]:
        return self._maps[name]

    def active_codes(self, name: str) -> list[str]:
        """Codes of a status list marked `active = y` (who is expected to be counted)."""
        return sorted(self._active.get(name, set()))

    def codes(self, name: str) -> list[str]:
        return sorted(set(self._maps[name].values()))

    def lookup(self, name: str, label: str | None) -> str | None:
        return self._maps[name].get(fold(label)) if label else None

    def map_expr(self, name: str, folded: pl.Expr) -> pl.Expr:
        """Map a column of *folded* labels to codes (unknown → null)."""
        return folded.replace_strict(self._maps[name], default=None, return_dtype=pl.String)


def load_code_lists(path: Path) -> CodeLists:
    df = read_reference_csv(path, CodeListError, "danh mục mã")
    return CodeLists(df, origin=Path(path).name)
