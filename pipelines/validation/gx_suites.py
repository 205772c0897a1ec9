"""Run a Great Expectations suite from `expectations/<name>.json` on a DataFrame.

GX 1.x has no DuckDB or Polars data source, and its SQL data source over duckdb_engine
reports false failures (it fetches after closing the connection). So the landing table is
read with DuckDB and handed to GX's pandas data source, which really evaluates every
expectation. GX is imported here, lazily, once per process (the import takes ~10 s).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.settings import EXPECTATIONS_DIR

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Failure:
    expectation: str
    column: str | None
    severity: str
    description_vi: str
    unexpected_count: int | None
    examples: list[Any]
    rows: list[int]  # `_row` of failing rows where the table carries lineage
    places: list[str] = field(default_factory=list)  # "<file> dòng <row>" of failing rows


@dataclass
class SuiteOutcome:
    suite: str
    element_count: int
    evaluated: int
    failures: list[Failure] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.failures

    @property
    def severity(self) -> str | None:
        if any(f.severity == "error" for f in self.failures):
            return "error"
        return "warning" if self.failures else None


def merge_outcomes(outcomes: list[SuiteOutcome]) -> SuiteOutcome:
    """One outcome for a table validated in parts (earlier loads, then each new chunk).
    Exact for these suites: their uniqueness rules are per load (`_load_seq` in the key)."""
    merged: dict[tuple, Failure] = {}
    for outcome in outcomes:
        for f in outcome.failures:
            key = (f.expectation, f.column, f.severity, f.description_vi)
            if key not in merged:
                merged[key] = Failure(**{**asdict(f), "examples": [], "rows": [], "places": []})
                merged[key].unexpected_count = None
            m = merged[key]
            if f.unexpected_count is not None:
                m.unexpected_count = (m.unexpected_count or 0) + f.unexpected_count
            m.examples = (m.examples + f.examples)[:10]
            m.rows = (m.rows + f.rows)[:20]
            m.places = (m.places + f.places)[:20]
    return SuiteOutcome(
        suite=outcomes[0].suite,
        element_count=sum(o.element_count for o in outcomes),
        evaluated=max(o.evaluated for o in outcomes),
        failures=list(merged.values()),
    )


def outcome_to_json(outcome: SuiteOutcome) -> str:
    return json.dumps(asdict(outcome), ensure_ascii=False, default=str)


def outcome_from_json(text: str) -> SuiteOutcome:
    data = json.loads(text)
    return SuiteOutcome(
        suite=data["suite"],
        element_count=data["element_count"],
        evaluated=data["evaluated"],
        failures=[Failure(**f) for f in data["failures"]],
    )


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


def load_suite_spec(name: str) -> dict[str, Any]:
    return json.loads(suite_path(name).read_text(encoding="utf-8"))


@cache
def _context():  # type: ignore[no-untyped-def]
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    ctx = gx.get_context(mode="ephemeral")
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    except Exception:  # progress bars are cosmetic; never fail validation over them
        pass
    ctx.data_sources.add_pandas("landing")
    return ctx


DOCS_SITE = "cds_warehouse"
_docs_dir: list[Path] = []  # the folder the (one, cached) context's site writes to


def _docs_site(ctx, docs_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """Point the context's Data Docs site at `docs_dir` (again only when it changes)."""
    if _docs_dir == [docs_dir]:
        return
    if _docs_dir:
        ctx.delete_data_docs_site(DOCS_SITE)
    docs_dir.mkdir(parents=True, exist_ok=True)
    ctx.add_data_docs_site(
        site_name=DOCS_SITE,
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    _docs_dir[:] = [docs_dir]


def run_suite(
    name: str,
    df: pd.DataFrame,
    parameters: dict[str, Any] | None = None,
    docs_dir: Path | None = None,
) -> SuiteOutcome:
    """Validate `df` with the suite `name`; every failing expectation is returned.
    With `docs_dir`, the result is also rendered into Great Expectations Data Docs there."""
    import great_expectations as gx
    import pandas as pd
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    spec = load_suite_spec(name)
    ctx = _context()
    source = ctx.data_sources.get("landing")
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name)
    try:
        batch = asset.get_batch_definition("whole")
    except KeyError:
        batch = asset.add_batch_definition_whole_dataframe("whole")
    expectations = [
        ExpectationConfiguration(
            type=e["type"], kwargs=e["kwargs"], meta=e.get("meta", {})
        ).to_domain_obj()
        for e in spec["expectations"]
    ]
    suite = ctx.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
    definition = ctx.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{name}_validation", data=batch, suite=suite)
    )
    if docs_dir is None:
        result = definition.run(
            batch_parameters={"dataframe": df},
            expectation_parameters=parameters or {},
            result_format="COMPLETE",
        )
    else:  # the same validation through a checkpoint that also renders Data Docs
        _docs_site(ctx, docs_dir)
        checkpoint = ctx.checkpoints.add_or_update(
            gx.Checkpoint(
                name=f"{name}_checkpoint",
                validation_definitions=[definition],
                actions=[
                    gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])
                ],
                result_format="COMPLETE",
            )
        )
        run = checkpoint.run(
            batch_parameters={"dataframe": df}, expectation_parameters=parameters or {}
        )
        [result] = run.run_results.values()
    failures: list[Failure] = []
    for r in result.results:
        if r.success:
            continue
        cfg = r.expectation_config
        meta = cfg.meta or {}
        res = r.result or {}
        idx = res.get("unexpected_index_list") or []
        rows: list[int] = []
        places: list[str] = []
        if "_row" in df.columns and idx and all(isinstance(i, int) for i in idx):
            failing = df.iloc[idx[:20]]
            rows = [int(v) for v in failing["_row"].tolist() if pd.notna(v)]
            if "_source_file" in df.columns:
                places = [
                    f"{f} dòng {int(r)}"
                    for f, r in zip(failing["_source_file"], failing["_row"], strict=True)
                    if pd.notna(r)
                ]
        error = (r.exception_info or {}).get("exception_message") if r.exception_info else None
        failures.append(
            Failure(
                expectation=cfg.type,
                column=cfg.kwargs.get("column"),
                severity=meta.get("severity", "error"),
                description_vi=meta.get("description_vi", cfg.type)
                + (f" ({error})" if error else ""),
                unexpected_count=res.get("unexpected_count"),
                examples=[_plain(v) for v in (res.get("partial_unexpected_list") or [])[:10]],
                rows=rows,
                places=places,
            )
        )
    return SuiteOutcome(
        suite=name, element_count=len(df), evaluated=len(result.results), failures=failures
    )


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)
