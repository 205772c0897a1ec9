"""Provinces in parallel (`--parallel N`, lake only): the landing of every source but the
registry as one graph of Dagster steps.

`plan_provinces` (one writer, pool `duckdb_writer`) lists the files, gives each to the
province of its school and reserves each province's load numbers
(`pipelines.ingest.provinces`); `ingest_province` runs once per province (Dagster's dynamic
mapping: the provinces come from the registry), each step in its own process under the
multiprocess executor, at most N at once, and only appends to the lake's tables;
`finish_provinces` (one writer again) forgets the rejections that a later load of the same
file recorded again, the one write that deletes rows.
"""

from datetime import datetime

import dagster as dg

from pipelines.assets.constants import DUCKDB_POOL, OWNER
from pipelines.ingest.landing import (
    ensure_landing_table,
    ensure_schemas,
    forget_superseded_rejections,
    next_load_seqs,
)
from pipelines.ingest.parallel import ingest_workers
from pipelines.ingest.provinces import ProvinceShare, plan
from pipelines.ingest.runner import (
    FileIngestError,
    _listing,
    current_registry,
    ingest_source,
    load_ingest_context,
)
from pipelines.ingest.sources import SOURCES
from pipelines.resources import CdsPaths, WarehouseDuckDB

# every source read against the registry: all of them but the registry itself
PROVINCE_SOURCES = tuple(name for name, s in SOURCES.items() if "landing/schools" in s.upstream)
PROVINCE_ASSET = "province_landing"


@dg.op(ins={"upstream": dg.In(dg.Nothing)}, out=dg.DynamicOut(ProvinceShare), pool=DUCKDB_POOL)
def plan_provinces(context: dg.OpExecutionContext, paths: CdsPaths, duckdb: WarehouseDuckDB):
    settings = paths.settings
    with duckdb.get_connection() as con:
        ensure_schemas(con)  # created here, once: the provinces' steps only append
        for name in PROVINCE_SOURCES:
            ensure_landing_table(con, name, SOURCES[name].landing_schema)
        registry = current_registry(con, "school_code, province_code")
        first = next_load_seqs(con, 1)[0]
    listings = {name: _listing(settings.raw_dir, name) for name in PROVINCE_SOURCES}
    school_province = {
        code: province
        for code, province in registry.iter_rows()
        if code is not None and province is not None
    }
    for share in plan(listings, school_province, first):
        context.log.info(f"Tỉnh {share.province}: {share.n_files} tệp")
        yield dg.DynamicOutput(share, mapping_key=share.key)


@dg.op
def ingest_province(
    context: dg.OpExecutionContext,
    share: ProvinceShare,
    paths: CdsPaths,
    duckdb: WarehouseDuckDB,
) -> dict[str, int]:
    """One province's files of every source, appended to landing and audit; returns the
    files recorded per source."""
    settings = paths.settings
    parallel = max(1, settings.parallel or 1)
    workers = max(1, ingest_workers() // parallel)  # the cores shared by the provinces
    loaded_at = datetime.now()
    recorded: dict[str, int] = {}
    with duckdb.appender_connection(share.key) as con:
        registry = current_registry(con, ensure=False)
        for name in PROVINCE_SOURCES:
            source = SOURCES[name]
            ctx = load_ingest_context(settings, registry=registry, personal=source.personal)
            try:
                summary = ingest_source(
                    con, source, settings.raw_dir, ctx, loaded_at, workers=workers, share=share
                )
            except FileIngestError as exc:
                raise dg.Failure(
                    description=str(exc),
                    metadata={"file": exc.source_file, "error": exc.error},
                ) from exc
            recorded[name] = len(summary.outcomes)
            for o in summary.outcomes:
                if o.status == "rejected":
                    context.log.warning(f"{o.reject_message_vi} [quy tắc {o.reject_rule}]")
    context.log.info(f"Tỉnh {share.province}: đã ghi {recorded}")
    return recorded


@dg.op(
    out={name: dg.Out(dg.Nothing) for name in PROVINCE_SOURCES},
    pool=DUCKDB_POOL,
)
def finish_provinces(context: dg.OpExecutionContext, recorded: list, duckdb: WarehouseDuckDB):
    with duckdb.get_connection() as con:
        forgotten = forget_superseded_rejections(con)
        totals = {
            name: con.execute(f"select count(*) from landing.{name}").fetchone()[0]
            for name in PROVINCE_SOURCES
        }
    context.log.info(f"{len(recorded)} tỉnh; {forgotten} lần từ chối cũ được thay bằng lần mới")
    for name in PROVINCE_SOURCES:
        context.add_output_metadata({"dagster/row_count": totals[name]}, output_name=name)


# what the sources' landing reads besides the files (`Source.upstream`), as the graph's inputs
UPSTREAM = ("landing/schools", "reference/cds_index", "reference/code_lists",
            "reference/emis_indicators")  # fmt: skip
assert {k for name in PROVINCE_SOURCES for k in SOURCES[name].upstream} <= set(UPSTREAM)


@dg.graph_multi_asset(
    name=PROVINCE_ASSET,
    group_name="landing",
    ins={
        key.replace("/", "__"): dg.AssetIn(key=key.split("/"), dagster_type=dg.Nothing)
        for key in UPSTREAM
    },
    outs={
        name: dg.AssetOut(
            key=["landing", name],
            dagster_type=dg.Nothing,
            owners=[OWNER],
            kinds={"python", "duckdb"},
            description=SOURCES[name].description_vi,
        )
        for name in PROVINCE_SOURCES
    },
)
def province_landing(
    landing__schools, reference__cds_index, reference__code_lists, reference__emis_indicators
):
    """The landing assets of PROVINCE_SOURCES as one graph: plan, provinces, finish."""
    upstream = [landing__schools, reference__cds_index, reference__code_lists,
                reference__emis_indicators]  # fmt: skip
    shares = plan_provinces(upstream)
    return finish_provinces(shares.map(ingest_province).collect())
