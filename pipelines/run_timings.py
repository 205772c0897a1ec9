"""How long each step of a run took, grouped into the pipeline's stages.

`cds run --timings FILE` writes these figures; `make bench` reads them. The stages follow the
asset groups: reference and landing assets are *ingest*, Great Expectations checks are
*validation*, the dbt build (models and their tests) is *dbt*, and the analytics database,
reports and docs are *publish*. Whatever the steps do not account for (Python start-up,
loading definitions, Dagster's own bookkeeping) is *overhead*.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

STAGES = ("ingest", "validation", "dbt", "publish")
_GROUP_STAGE = {"reference": "ingest", "landing": "ingest", "publish": "publish"}


def op_stages(defs: dg.Definitions) -> dict[str, str]:
    """Op name → stage, from the definitions' assets and checks."""
    stages: dict[str, str] = {}
    for checks in defs.asset_checks or []:
        stages[checks.node_def.name] = "validation"
    for asset in defs.assets or []:
        if not isinstance(asset, dg.AssetsDefinition):
            continue
        groups = set(asset.group_names_by_key.values())
        stage = next((_GROUP_STAGE[g] for g in sorted(groups) if g in _GROUP_STAGE), "dbt")
        stages[asset.node_def.name] = stage
    return stages


def stage_seconds(steps: Iterable[tuple[str, float]], stages: dict[str, str]) -> dict[str, float]:
    """Sum step durations per stage; a step of an unknown op counts as overhead."""
    totals = dict.fromkeys(STAGES, 0.0)
    totals["overhead"] = 0.0
    for step_key, seconds in steps:
        op = step_key.split("[")[0].split(".")[0]  # a graph's step: its asset's op
        totals[stages.get(op, "overhead")] += seconds
    return totals


def step_durations(instance: dg.DagsterInstance, run_id: str) -> list[tuple[str, float]]:
    """(step key, seconds) of every step that started and ended in the run."""
    started: dict[str, float] = {}
    durations: list[tuple[str, float]] = []
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            started[event.step_key] = entry.timestamp
        elif (
            event.event_type
            in (
                dg.DagsterEventType.STEP_SUCCESS,
                dg.DagsterEventType.STEP_FAILURE,
            )
            and event.step_key in started
        ):
            durations.append((event.step_key, entry.timestamp - started.pop(event.step_key)))
    return durations
