"""`--parallel N` (lake only): provinces ingested side by side by Dagster's multiprocess
executor, then one dbt build and publish.

The definitions keep every asset; the landing of the sources read against the registry is
the graph `province_landing` (`pipelines.assets.provinces`) instead of one asset per
source. Three jobs cut the pipeline where the work changes shape:

- `before_provinces`: the reference data and the registry (in one process, as always);
- `province_ingest`: plan, one step per province (at most N at once, each its own
  process: `multiprocess_executor` with `max_concurrent: N`), finish;
- `after_provinces`: the GX checks of the provinces' tables, the ingest log, dbt, publish.

`cds run --parallel N` runs the three in order, in one Dagster instance of its own; the UI
has them too, with `full_pipeline` (everything in one process) beside them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import dagster as dg

from pipelines.settings import Settings

BEFORE_JOB = "before_provinces"
PROVINCE_JOB = "province_ingest"
AFTER_JOB = "after_provinces"

# Each province step forked from a server that has already imported the pipeline (Dagster's
# `forkserver` start method) instead of a fresh interpreter importing Dagster, Polars, DuckDB
# and the definitions again for every step ("spawn", Dagster's default).
FORKSERVER = {"forkserver": {"preload_modules": ["pipelines.definitions"]}}
_ran = False  # run_in_order, once per process (see there)


def parallel_definitions(
    settings: Settings,
    assets: Sequence[dg.AssetsDefinition],
    asset_checks: Sequence[Any],
    resources: dict[str, Any],
    full_pipeline: dg.UnresolvedAssetJobDefinition,
) -> dg.Definitions:
    """`assets` with the provinces' graph in place of their landing assets, and the jobs
    above. No sensor or schedule: a province's new file is loaded by the next run."""
    from pipelines.assets.provinces import province_landing

    graph_keys = set(province_landing.keys)
    kept = [a for a in assets if not (set(a.keys) & graph_keys)]
    provinces = dg.AssetSelection.assets(province_landing).without_checks()
    before = provinces.upstream(include_self=False).required_multi_asset_neighbors()
    jobs = [
        full_pipeline,
        dg.define_asset_job(
            BEFORE_JOB, selection=before, description="Dữ liệu tham chiếu và danh mục trường."
        ),
        dg.define_asset_job(
            PROVINCE_JOB,
            selection=provinces,
            description=f"Nạp tệp theo tỉnh, tối đa {settings.parallel} tỉnh cùng lúc.",
            executor_def=dg.multiprocess_executor.configured(
                {"max_concurrent": settings.parallel, "start_method": FORKSERVER}
            ),
        ),
        dg.define_asset_job(
            AFTER_JOB,
            selection=(dg.AssetSelection.all() - before - provinces)
            | dg.AssetSelection.checks_for_assets(province_landing),
            description="Kiểm tra, biến đổi (dbt) và xuất bản sau khi các tỉnh đã nạp.",
        ),
    ]
    return dg.Definitions(
        assets=[*kept, province_landing],
        asset_checks=list(asset_checks),
        jobs=jobs,
        resources=resources,
        executor=dg.in_process_executor,
    )


@contextmanager
def run_in_order(
    defs: dg.Definitions, settings: Settings, run_config: dict, province_job: Callable
) -> Iterator[tuple[dg.DagsterInstance, list]]:
    """Run the three jobs, stopping after one that failed; yields the instance and their
    results (read them inside: the instance is removed afterwards). `province_job` is the
    module-level function that builds the province job in each step's process. The steps
    in child processes find the writer lock held by this process (`pipelines.warehouse_lock`).

    Once per process: the steps are forked from Python's fork server, started by the first
    call with this process's environment (the settings, the lock's holder) and kept for the
    life of the process, so a second call with other settings would hand its steps the
    first one's. `cds run` makes one call and exits."""
    global _ran
    if _ran:
        raise RuntimeError(
            "run_in_order runs once per process (its steps' fork server keeps "
            "the first call's environment)"
        )
    _ran = True
    from pipelines.warehouse_lock import held_by_this_process

    os.environ.update(held_by_this_process(settings.warehouse_dir))
    results: list = []
    with (
        tempfile.TemporaryDirectory(prefix="cds-dagster-") as home,
        dg.DagsterInstance.local_temp(home) as instance,
    ):
        for name in (BEFORE_JOB, PROVINCE_JOB, AFTER_JOB):
            if name == PROVINCE_JOB:
                result = dg.execute_job(
                    dg.reconstructable(province_job), instance, run_config=run_config
                )
            else:
                result = defs.resolve_job_def(name).execute_in_process(
                    instance=instance, raise_on_error=False, run_config=run_config
                )
            results.append(result)
            if not result.success:
                break
        yield instance, results
