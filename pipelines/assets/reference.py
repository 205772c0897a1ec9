"""Reference data as assets: validated on load, written to the `reference` schema."""

from collections.abc import Callable
from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.assets.constants import DUCKDB_POOL, OWNER
from pipelines.assets.metadata import markdown_table
from pipelines.reference.calendar import load_calendar
from pipelines.reference.cds_index import load_index
from pipelines.reference.code_lists import load_code_lists
from pipelines.reference.consistency_rules import load_consistency_rules
from pipelines.reference.emis_codes import load_emis_codes
from pipelines.reference.store import replace_table, store_index
from pipelines.resources import CdsPaths

INDEX_TABLES = {
    "cds_index": "The index loaded: id, title, source and level bounds (one row).",
    "cds_index_levels_in_scope": "School levels the index assesses.",
    "cds_index_groups": "Groups of the index with their maximum points.",
    "cds_index_indicators": "Indicators: group, criterion, rule, points, provenance (confirmed/assumed).",
    "cds_index_bands": "Bands of `bands` indicators, per level where the index gives them.",
}


@dg.multi_asset(
    name="cds_index",
    group_name="reference",
    pool=DUCKDB_POOL,
    specs=[
        dg.AssetSpec(
            ["reference", table],
            description=(
                f"{text} From the CĐS index definition (cds_index.yaml: QĐ 4725/QĐ-BGDĐT as "
                "shipped, or the file in --reference), validated before use: a broken index stops "
                "the run with a message naming the item."
            ),
            owners=[OWNER],
            kinds={"python", "duckdb"},
        )
        for table, text in INDEX_TABLES.items()
    ],
)
def cds_index(context: dg.AssetExecutionContext, paths: CdsPaths, duckdb: DuckDBResource):
    path = paths.settings.reference_file("cds_index.yaml")
    index = load_index(path)
    with duckdb.get_connection() as con:
        counts = store_index(con, index)
    indicators = pl.DataFrame(
        [
            {
                "mã": i.code,
                "nhóm": i.group,
                "quy tắc": i.rule,
                "điểm": i.max_points,
                "nguồn gốc": i.provenance,
                "nội dung": i.name,
            }
            for i in index.indicators
        ]
    )
    assumed = sum(1 for i in index.indicators if i.provenance == "assumed")
    context.log.info(
        f"Bộ chỉ số {index.index_id}: {len(index.indicators)} chỉ số, {assumed} giả định"
    )
    common = {"index_id": index.index_id, "file": dg.MetadataValue.path(str(path))}
    for table, n in counts.items():
        extra = (
            {"n_assumed_indicators": assumed, "indicators": markdown_table(indicators, limit=100)}
            if table == "cds_index_indicators"
            else {"levels_in_scope": ", ".join(index.levels_in_scope)}
            if table == "cds_index"
            else {}
        )
        yield dg.MaterializeResult(
            asset_key=["reference", table], metadata={**common, "dagster/row_count": n, **extra}
        )


def reference_table(
    table: str,
    filename: str,
    load: Callable[[Path], pl.DataFrame],
    description: str,
    preview: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> dg.AssetsDefinition:
    """The asset of a reference file that is one table: validated on load (a broken file
    stops the run with a message naming the line), then written to reference.<table>."""

    @dg.asset(
        key=["reference", table],
        group_name="reference",
        owners=[OWNER],
        pool=DUCKDB_POOL,
        kinds={"python", "duckdb"},
        description=description,
    )
    def _reference(paths: CdsPaths, duckdb: DuckDBResource) -> dg.MaterializeResult:
        path = paths.settings.reference_file(filename)
        frame = load(path)
        with duckdb.get_connection() as con:
            n = replace_table(con, table, frame)
        metadata = {"file": dg.MetadataValue.path(str(path)), "dagster/row_count": n}
        if preview is not None:
            metadata["preview"] = markdown_table(preview(frame), limit=100)
        return dg.MaterializeResult(metadata=metadata)

    return _reference


reporting_calendar = reference_table(
    "reporting_calendar",
    "reporting_calendar.csv",
    load_calendar,
    "The reporting calendar (reporting_calendar.csv): which report is due from which school "
    "levels, for which school year and period, by when (due_school) and when the district "
    "must send it on (due_district). Timeliness and schedules are computed from it.",
    preview=lambda f: f.with_columns(pl.col(pl.Date).cast(pl.String)),
)
code_lists = reference_table(
    "code_lists",
    "code_lists.csv",
    lambda path: load_code_lists(path).frame,
    "Code lists (code_lists.csv): the labels schools write for levels, ownership, statuses, "
    "periods and yes/no answers, mapped to the contract's codes.",
)
emis_indicators = reference_table(
    "emis_indicators",
    "emis_indicators.csv",
    load_emis_codes,
    "The statistical report's indicator codes (emis_indicators.csv, contract §2.3): which "
    "school levels and periods must report each code, which carry female/ethnic columns.",
    preview=lambda f: f.select("code", "label", "levels", "periods"),
)
consistency_rules = reference_table(
    "consistency_rules",
    "consistency_rules.csv",
    load_consistency_rules,
    "Consistency and plausibility rules of the statistical report (consistency_rules.csv): "
    "one row per rule with its id, family, kind of check, codes, tolerance, severity and "
    "Vietnamese message. The office adds rules here; dbt evaluates every row.",
    preview=lambda f: f.select("rule_id", "family", "kind", "message_vi"),
)

REFERENCE_ASSETS = [cds_index, reporting_calendar, code_lists, emis_indicators, consistency_rules]
