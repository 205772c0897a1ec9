"""Row rules as data: each rule names the cells it condemns with a Polars expression.

`apply_row_rules` evaluates every rule over the whole frame at once. Rows failing an
`error` rule are quarantined (kept, with every reason); `warning` rules keep the row and
list the issue. Nothing is dropped silently: rows in = rows accepted + rows quarantined.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

ISSUE_SCHEMA = {
    "_row": pl.Int64,
    "field": pl.String,
    "rule_id": pl.String,
    "severity": pl.String,
    "message_vi": pl.String,
    "value": pl.String,
    "_sheet": pl.String,  # the sheet of `_row`, where a table spans several sheets
}


@dataclass(frozen=True)
class RowRule:
    rule_id: str
    field: str  # the column (contract header) the issue points at
    fails: pl.Expr  # true where the row breaks the rule
    message_vi: str | pl.Expr  # an expression: a message per row (e.g. a suggestion)
    severity: str = "error"  # error → quarantine the row; warning → keep it
    value: pl.Expr | None = None  # what to show as the offending value (default: the field)


@dataclass
class RuleOutcome:
    accepted: pl.DataFrame
    quarantined: pl.DataFrame  # the rejected rows themselves
    issues: pl.DataFrame  # one row per (row, rule) breach, ISSUE_SCHEMA


def apply_row_rules(
    df: pl.DataFrame, rules: list[RowRule], field_labels: dict[str, str]
) -> RuleOutcome:
    """Evaluate `rules` on `df` (which must carry `_row`)."""
    if not rules or df.height == 0:
        return RuleOutcome(df, df.clear(), pl.DataFrame(schema=ISSUE_SCHEMA))
    flags = df.with_columns(
        *[r.fails.fill_null(False).alias(f"__fail{n}") for n, r in enumerate(rules)]
    )
    issue_frames = []
    for n, r in enumerate(rules):
        failing = flags.filter(pl.col(f"__fail{n}"))
        if failing.height == 0:
            continue
        value = (
            r.value
            if r.value is not None
            else pl.col(r.field)
            if r.field in df.columns
            else pl.lit(None)
        )
        issue_frames.append(
            failing.select(
                pl.col("_row"),
                (pl.col("_sheet") if "_sheet" in df.columns else pl.lit(None, pl.String)).alias(
                    "_sheet"
                ),
                pl.lit(field_labels.get(r.field, r.field)).alias("field"),
                pl.lit(r.rule_id).alias("rule_id"),
                pl.lit(r.severity).alias("severity"),
                (r.message_vi if isinstance(r.message_vi, pl.Expr) else pl.lit(r.message_vi))
                .cast(pl.String)
                .alias("message_vi"),
                value.cast(pl.String).alias("value"),
            )
        )
    error_cols = [f"__fail{n}" for n, r in enumerate(rules) if r.severity == "error"]
    is_bad = pl.any_horizontal(error_cols) if error_cols else pl.lit(False)
    drop = [f"__fail{n}" for n in range(len(rules))]
    issues = (
        pl.concat(issue_frames).sort("_sheet", "_row", "rule_id").select(list(ISSUE_SCHEMA))
        if issue_frames
        else pl.DataFrame(schema=ISSUE_SCHEMA)
    )
    return RuleOutcome(
        accepted=flags.filter(~is_bad).drop(drop),
        quarantined=flags.filter(is_bad).drop(drop),
        issues=issues,
    )


def duplicated_after_first(col: str) -> pl.Expr:
    """True on the second and later rows carrying the same non-blank value."""
    return pl.col(col).is_not_null() & (pl.int_range(pl.len()).over(col) > 0)
