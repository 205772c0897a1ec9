"""Which dbt nodes a build must run: only those whose inputs changed since the last
successful build of the whole project (issue 16, item 7).

A model is a function of its sources, the project's code and, for the few models that call
the `run_date()` macro, the day the run counts as today. So a model none of whose inputs
changed since the last successful build holds exactly what a rebuild would give, and so does
a test none of whose inputs changed. This module decides from the manifest and a
fingerprint of each source table (pure functions: no dbt, no Dagster, no database):

- no previous build, another dbt project (any model, test, macro or source definition
  changed) or a missing model table → everything;
- otherwise the nodes downstream of a changed source, of a missing relation, or (when the
  run date moved) of a model calling `run_date()`; every test reading one of those.

Nothing else can change a model: the models read no environment variable but the run date
(the state's `project` fingerprint counts every macro's text), and reference data reaches
dbt as source tables like any other input.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any

# The macro whose value changes from day to day (dbt_project/macros/run_date.sql).
RUN_DATE_MACRO = "run_date"
# Nodes a build runs; unit tests run in the test suite, never in a pipeline run.
BUILT_TYPES = ("model", "test", "seed", "snapshot")


@dataclass(frozen=True)
class BuildState:
    """What a successful build was made from: the project, the day, each source table; and
    the tests of warning severity that failed in it (their result stands while their inputs
    do not change)."""

    project: str
    run_date: str
    sources: Mapping[str, str] = field(default_factory=dict)
    warned: frozenset[str] = frozenset()

    def to_json(self) -> str:
        return json.dumps(
            {
                "project": self.project,
                "run_date": self.run_date,
                "sources": dict(self.sources),
                "warned": sorted(self.warned),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> BuildState:
        data = json.loads(text)
        return cls(
            data["project"],
            data["run_date"],
            data.get("sources", {}),
            frozenset(data.get("warned", [])),
        )


@dataclass(frozen=True)
class BuildPlan:
    """The nodes to run (unique ids), whether that is the whole project, and why."""

    nodes: frozenset[str]
    full: bool
    reason: str

    def models(self, manifest: Mapping[str, Any]) -> frozenset[str]:
        return frozenset(u for u in self.nodes if manifest["nodes"][u]["resource_type"] == "model")


def buildable_nodes(manifest: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {
        uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] in BUILT_TYPES
    }


def project_fingerprint(manifest: Mapping[str, Any]) -> str:
    """The project as dbt builds it: each node's code, configuration and inputs, the text of
    every macro, the sources' tables, dbt's version. Not the parse's timestamps."""
    project = manifest["metadata"].get("project_name")
    h = hashlib.sha256(str(manifest["metadata"].get("dbt_version")).encode())
    for uid, node in sorted(buildable_nodes(manifest).items()):
        config = node.get("config") or {}
        h.update(
            json.dumps(
                [
                    uid,
                    (node.get("checksum") or {}).get("checksum"),
                    node.get("raw_code"),
                    config.get("materialized"),
                    config.get("severity"),
                    node.get("schema"),
                    node.get("alias"),
                    (node.get("test_metadata") or {}).get("kwargs"),
                    node["depends_on"],
                ],
                sort_keys=True,
                default=str,
            ).encode()
        )
    for uid, macro in sorted(manifest["macros"].items()):
        if macro.get("package_name") == project:
            h.update(uid.encode())
            h.update(macro.get("macro_sql", "").encode())
    for uid, source in sorted(manifest["sources"].items()):
        h.update(f"{uid}={source['schema']}.{source['identifier']}".encode())
    return h.hexdigest()


def source_tables(manifest: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Each dbt source's unique id → (schema, table)."""
    return {
        uid: (source["schema"], source["identifier"]) for uid, source in manifest["sources"].items()
    }


def _macros_calling(manifest: Mapping[str, Any], name: str) -> set[str]:
    """The project's macro `name` and every macro that calls it, directly or not."""
    project = manifest["metadata"].get("project_name")
    found = {f"macro.{project}.{name}"}
    grew = True
    while grew:
        grew = False
        for uid, macro in manifest["macros"].items():
            if uid not in found and found & set(macro.get("depends_on", {}).get("macros", [])):
                found.add(uid)
                grew = True
    return found


def _downstream(nodes: Mapping[str, Mapping[str, Any]], seeds: Iterable[str]) -> set[str]:
    """`seeds` (nodes or sources) and every buildable node reading one of them, transitively."""
    children: dict[str, list[str]] = {}
    for uid, node in nodes.items():
        for parent in node["depends_on"].get("nodes", []):
            children.setdefault(parent, []).append(uid)
    reached, todo = set(), list(seeds)
    while todo:
        uid = todo.pop()
        if uid in reached:
            continue
        reached.add(uid)
        todo.extend(children.get(uid, []))
    return reached


def plan_build(
    manifest: Mapping[str, Any],
    previous: BuildState | None,
    current: BuildState,
    missing_relations: Iterable[str] = (),
) -> BuildPlan:
    """The nodes this build must run, given the state of the last successful build.
    `missing_relations` are models (unique ids) whose table or view is not in the warehouse."""
    nodes = buildable_nodes(manifest)
    everything = frozenset(nodes)
    if previous is None:
        return BuildPlan(everything, True, "chưa có lần dựng thành công nào trước")
    if previous.project != current.project:
        return BuildPlan(everything, True, "dự án dbt đã thay đổi từ lần dựng trước")
    missing = sorted(missing_relations)
    if missing:
        return BuildPlan(
            everything, True, f"thiếu bảng của {len(missing)} mô hình (ví dụ {missing[0]})"
        )
    seeds = {
        uid
        for uid in source_tables(manifest)
        if previous.sources.get(uid) != current.sources.get(uid)
    }
    reasons = [f"{len(seeds)} nguồn đổi"] if seeds else []
    if previous.run_date != current.run_date:
        dated = _macros_calling(manifest, RUN_DATE_MACRO)
        calling = {
            uid for uid, node in nodes.items() if dated & set(node["depends_on"].get("macros", []))
        }
        seeds |= calling
        reasons.append(f"ngày chạy đổi ({previous.run_date} → {current.run_date})")
    selected = frozenset(_downstream(nodes, seeds) & everything)
    if selected == everything:
        return BuildPlan(everything, True, "mọi mô hình đều đọc dữ liệu đã đổi")
    if not selected:
        return BuildPlan(selected, False, "không nguồn nào đổi từ lần dựng trước")
    return BuildPlan(selected, False, "; ".join(reasons))


def exclusion_args(manifest: Mapping[str, Any], plan: BuildPlan) -> list[str]:
    """dbt arguments that run exactly `plan.nodes`: the others excluded by name with no
    indirect selection, so a test of a rebuilt model that also reads an unchanged one (a
    relationship) still runs, and nothing is added behind the plan's back."""
    skipped = sorted(
        node["name"] for uid, node in buildable_nodes(manifest).items() if uid not in plan.nodes
    )
    args = ["--indirect-selection", "empty"]
    return [*args, "--exclude", " ".join(skipped)] if skipped else args


def unchanged_models(manifest: Mapping[str, Any], plan: BuildPlan) -> list[str]:
    """The models the plan does not run, each after the models it reads (Dagster takes a
    multi-asset's outputs in that order). None of them reads a model the plan runs: the plan
    holds everything downstream of what changed."""
    nodes = buildable_nodes(manifest)
    models = {u for u, n in nodes.items() if n["resource_type"] == "model" and u not in plan.nodes}
    graph = {u: [p for p in nodes[u]["depends_on"].get("nodes", []) if p in models] for u in models}
    return list(TopologicalSorter(graph).static_order())


def unchanged_tests(manifest: Mapping[str, Any], plan: BuildPlan) -> list[str]:
    """The tests the plan does not run: their result is the last build's."""
    return sorted(
        u
        for u, n in buildable_nodes(manifest).items()
        if n["resource_type"] == "test" and u not in plan.nodes
    )


def warned_after(
    previous: BuildState | None, plan: BuildPlan, warned_now: set[str]
) -> frozenset[str]:
    """The warning tests failing after this build: those it ran and saw fail, and those it
    did not run that failed before."""
    kept = (previous.warned if previous else frozenset()) - plan.nodes
    return frozenset(kept | warned_now)
