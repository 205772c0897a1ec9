"""Reference data as assets: validated on load, written to the `reference` schema."""

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
from pipelines.reference.store import replace_table, store_calendar, store_index
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


@dg.asset(
    key=["reference", "reporting_calendar"],
    group_name="reference",
    owners=[OWNER],
    pool=DUCKDB_POOL,
    kinds={"python", "duckdb"},
    description=(
        "The reporting calendar (reporting_calendar.csv): which report is due from which school "
        "levels, for which school year and period, by when (due_school) and when the district "
        "must send it on (due_district). Timeliness and schedules are computed from it."
    ),
)
def reporting_calendar(paths: CdsPaths, duckdb: DuckDBResource) -> dg.MaterializeResult:
    path = paths.settings.reference_file("reporting_calendar.csv")
    calendar = load_calendar(path)
    with duckdb.get_connection() as con:
        n = store_calendar(con, calendar)
    return dg.MaterializeResult(
        metadata={
            "file": dg.MetadataValue.path(str(path)),
            "dagster/row_count": n,
            "calendar": markdown_table(calendar.with_columns(pl.col(pl.Date).cast(pl.String))),
        }
    )


@dg.asset(
    key=["reference", "code_lists"],
    group_name="reference",
    owners=[OWNER],
    pool=DUCKDB_POOL,
    kinds={"python", "duckdb"},
    description=(
        "Code lists (code_lists.csv): the labels schools write for levels, ownership, statuses, "
        "periods and yes/no answers, mapped to the contract's codes."
    ),
)
def code_lists(paths: CdsPaths, duckdb: DuckDBResource) -> dg.MaterializeResult:
    path = paths.settings.reference_file("code_lists.csv")
    load_code_lists(path)  # validates
    df = pl.read_csv(path, infer_schema=False)
    with duckdb.get_connection() as con:
        n = replace_table(con, "code_lists", df)
    return dg.MaterializeResult(
        metadata={"file": dg.MetadataValue.path(str(path)), "dagster/row_count": n}
    )


@dg.asset(
    key=["reference", "emis_indicators"],
    group_name="reference",
    owners=[OWNER],
    pool=DUCKDB_POOL,
    kinds={"python", "duckdb"},
    description=(
        "The statistical report's indicator codes (emis_indicators.csv, contract §2.3): which "
        "school levels and periods must report each code, which carry female/ethnic columns."
    ),
)
def emis_indicators(paths: CdsPaths, duckdb: DuckDBResource) -> dg.MaterializeResult:
    path = paths.settings.reference_file("emis_indicators.csv")
    codes = load_emis_codes(path)
    with duckdb.get_connection() as con:
        n = replace_table(con, "emis_indicators", codes)
    return dg.MaterializeResult(
        metadata={
            "file": dg.MetadataValue.path(str(path)),
            "dagster/row_count": n,
            "codes": markdown_table(codes.select("code", "label", "levels", "periods"), limit=60),
        }
    )


@dg.asset(
    key=["reference", "consistency_rules"],
    group_name="reference",
    owners=[OWNER],
    pool=DUCKDB_POOL,
    kinds={"python", "duckdb"},
    description=(
        "Consistency and plausibility rules of the statistical report (consistency_rules.csv): "
        "one row per rule with its id, family, kind of check, codes, tolerance, severity and "
        "Vietnamese message. The office adds rules here; dbt evaluates every row."
    ),
)
def consistency_rules(paths: CdsPaths, duckdb: DuckDBResource) -> dg.MaterializeResult:
    path = paths.settings.reference_file("consistency_rules.csv")
    rules = load_consistency_rules(path)
    with duckdb.get_connection() as con:
        n = replace_table(con, "consistency_rules", rules)
    return dg.MaterializeResult(
        metadata={
            "file": dg.MetadataValue.path(str(path)),
            "dagster/row_count": n,
            "rules": markdown_table(rules.select("rule_id", "family", "kind", "message_vi")),
        }
    )


REFERENCE_ASSETS = [cds_index, reporting_calendar, code_lists, emis_indicators, consistency_rules]
