"""The consistency and plausibility rules of the statistical report, as data
(`consistency_rules.csv`): the office adds a row, the dbt model
`int_emis__rule_violations` evaluates it. Each `kind` is one way of checking:

- `sum`: left = sum of right (codes), for each listed column;
- `le`: left ≤ right; `column_le`: the column (female/ethnic) ≤ total, for every code;
- `required`: every code the level must report in the period has a total;
- `not_applicable`: no code outside the school's level;
- `max_ratio`: left / right ≤ tolerance (e.g. pupils per class);
- `change_period` / `change_year`: left against the start of the year / the previous year,
  within ± tolerance;
- `zscore`: the ratio left / right among schools of the same level, modified z-score
  0.6745·(x − median)/MAD above tolerance (`informatics` = pupils of the Informatics grades),
  with the MAD floored at `mad_floor` × median (groups of near-identical schools would
  otherwise turn ordinary differences into outliers) and at least 5 schools in the group;
- `match_export`: left against the active records of an export (`students`/`teachers`).
- `match_pushed` (family `across_sync`): the records of a batch (left: `students` or
  `teachers`) a school pushed to the sector database with success (`Thành công` of its
  current push in a term, contract §2.7) against the active records of an export (right:
  `students`, or `teachers` = every active staff record) or a code of the statistical report
  (right: e.g. `201`), of the period sync_calendar.csv pairs with the term; located at the
  push's row of the push history (`int_sync__rule_violations`).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.reference.csv_file import read_reference_csv
from pipelines.reference.vocab import SCHOOL_LEVELS

COLUMNS = (
    "rule_id",
    "family",
    "kind",
    "left",
    "right",
    "columns",
    "tolerance",
    "levels",
    "periods",
    "severity",
    "message_vi",
    "mad_floor",
)
KINDS = (
    "sum",
    "le",
    "column_le",
    "required",
    "not_applicable",
    "max_ratio",
    "change_period",
    "change_year",
    "zscore",
    "match_export",
    "match_pushed",
)
FAMILIES = ("within_report", "over_time", "across_schools", "across_sources", "across_sync")
NEEDS_TOLERANCE = (
    "max_ratio",
    "change_period",
    "change_year",
    "zscore",
    "match_export",
    "match_pushed",
)


class RuleTableError(ValueError):
    pass


def load_consistency_rules(path: Path) -> pl.DataFrame:
    origin = Path(path).name
    df = read_reference_csv(path, RuleTableError, "bảng quy tắc")
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise RuleTableError(f"{origin}: thiếu cột {', '.join(missing)}")
    df = df.select(COLUMNS)
    for n, r in enumerate(df.iter_rows(named=True), start=2):
        where = f"{origin}, dòng {n} (quy tắc {r['rule_id']})"
        if not r["rule_id"] or not r["message_vi"]:
            raise RuleTableError(f"{origin}, dòng {n}: rule_id và message_vi không được trống")
        if r["kind"] not in KINDS:
            raise RuleTableError(f"{where}: loại kiểm tra '{r['kind']}' không hợp lệ")
        if r["family"] not in FAMILIES:
            raise RuleTableError(f"{where}: nhóm '{r['family']}' không hợp lệ")
        if r["severity"] not in ("error", "warning"):
            raise RuleTableError(f"{where}: mức độ phải là error hoặc warning")
        if r["kind"] in NEEDS_TOLERANCE:
            try:
                float(r["tolerance"])
            except (TypeError, ValueError) as exc:
                raise RuleTableError(f"{where}: cần ngưỡng (tolerance) bằng số") from exc
        for lv in (r["levels"] or "").split():
            if lv not in SCHOOL_LEVELS:
                raise RuleTableError(f"{where}: cấp học '{lv}' không hợp lệ")
        if set((r["columns"] or "").split()) - {"total", "female", "ethnic"}:
            raise RuleTableError(f"{where}: cột phải là total, female hoặc ethnic")
    if df["rule_id"].is_duplicated().any():
        raise RuleTableError(f"{origin}: rule_id bị trùng")
    return df.with_columns(
        pl.col("tolerance").cast(pl.Float64, strict=False),
        pl.col("mad_floor").cast(pl.Float64, strict=False),
        pl.col("levels").fill_null(""),
        pl.col("periods").fill_null(""),
    )
