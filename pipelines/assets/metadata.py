"""Turn frames into metadata a person reads in the Dagster UI."""

import dagster as dg
import polars as pl


def markdown_table(df: pl.DataFrame, limit: int = 50) -> dg.MetadataValue:
    if df.height == 0:
        return dg.MetadataValue.md("_(không có dòng nào)_")
    shown = df.head(limit)
    header = "| " + " | ".join(shown.columns) + " |"
    sep = "| " + " | ".join("---" for _ in shown.columns) + " |"
    body = [
        "| " + " | ".join("" if v is None else str(v).replace("|", "/") for v in row) + " |"
        for row in shown.iter_rows()
    ]
    more = [f"\n_… và {df.height - limit} dòng nữa_"] if df.height > limit else []
    return dg.MetadataValue.md("\n".join([header, sep, *body, *more]))
