"""Dependencies point one way (issue 16, item 3): no import cycle among the modules of
`pipelines/`, and nothing in `pipelines/reference/` imports from `pipelines/ingest/`.

The imports are read from the source with `ast`, nothing is imported: every `import` and
`from … import` of a `pipelines` module counts, those inside a function too (a deferred
import is still a dependency: `parallel.py` ↔ `runner.py` was such a cycle). An edge goes
to the module named, or to the submodule when `from package import name` names one. The
package `__init__` a submodule's import runs on the way is not counted as an edge: a
package listing its own modules is not a cycle.

How it was checked: with `from pipelines.ingest.runner import evaluate_file` put back
into `_judge` in `ingest/parallel.py`, `test_no_import_cycle` failed naming the cycle
`pipelines.ingest.parallel → pipelines.ingest.runner → pipelines.ingest.parallel`; with
`from pipelines.ingest.text import fold` put back in `reference/code_lists.py`,
`test_reference_does_not_import_ingest` failed naming that line. Both pass as the code is.

A broken `cds_index.yaml` stops only the source that reads the index (cds_assessment):
`test_a_broken_cds_index_stops_only_the_source_that_reads_it` failed as the ingest context
was before (`load_ingest_context` read the index for every source: the registry's landing
asset failed with the index's error) and passes now that the index is read when a source
that uses it first asks.
"""

from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from pipelines.assets.landing import landing_asset
from pipelines.assets.reference import code_lists
from pipelines.ingest.runner import current_registry, ingest_source, load_ingest_context
from pipelines.ingest.sources import SOURCES
from pipelines.reference.cds_index import CdsIndexError
from pipelines.resources import CdsPaths
from pipelines.settings import Settings
from tests.builders import write_registry

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pipelines"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str], text: str | None = None) -> list[tuple[int, str]]:
    """(line, module) of every `pipelines` module `path` (or `text` as if it were there)
    imports, at any depth."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    text = path.read_text(encoding="utf-8") if text is None else text
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(text, str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package upwards
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((node.lineno, sub if sub in known else base))
    return [(line, mod) for line, mod in found if mod in known and mod != name]


def import_graph() -> dict[str, dict[str, int]]:
    """module → {imported module: first line}."""
    mods = modules()
    graph: dict[str, dict[str, int]] = {}
    for name, path in mods.items():
        edges: dict[str, int] = {}
        for line, target in imports_of(path, set(mods)):
            edges.setdefault(target, line)
        graph[name] = edges
    return graph


def find_cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_one_cycle(graph, set(c)) for c in components]


def _one_cycle(graph: dict[str, dict[str, int]], members: set[str]) -> list[str]:
    """A path from the component's first module back to itself, for the message."""
    start = min(members)
    paths = {start: [start]}
    todo = [start]
    while todo:
        v = todo.pop(0)
        for w in sorted(graph[v]):
            if w == start:
                return [*paths[v], start]
            if w in members and w not in paths:
                paths[w] = [*paths[v], w]
                todo.append(w)
    return sorted(members)


def test_no_import_cycle() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_reference_does_not_import_ingest() -> None:
    graph = import_graph()
    wrong = [
        f"{mod} (line {line}) imports {target}"
        for mod, edges in graph.items()
        if mod.startswith("pipelines.reference")
        for target, line in edges.items()
        if target == "pipelines.ingest" or target.startswith("pipelines.ingest.")
    ]
    assert not wrong, "reference/ must not depend on ingest/:\n" + "\n".join(wrong)


def test_the_reader_sees_deferred_and_relative_imports() -> None:
    """The graph is only as good as its reader: an import inside a function is an edge,
    `from pipelines.ingest import runner` and `from . import runner` go to the submodule."""
    known = {"pipelines", "pipelines.ingest", "pipelines.ingest.runner", "pipelines.x"}
    text = (
        "import pipelines.x\n"
        "from . import runner as r\n"
        "def f():\n    from pipelines.ingest import runner\n"
    )
    found = imports_of(PACKAGE / "ingest" / "probe.py", known, text)
    assert sorted(found) == [
        (1, "pipelines.x"),
        (2, "pipelines.ingest.runner"),
        (4, "pipelines.ingest.runner"),
    ]
    assert find_cycles({"a": {"b": 1}, "b": {"a": 1}, "c": {}}) == [["a", "b", "a"]]


def test_a_broken_cds_index_stops_only_the_source_that_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry's landing asset, run by Dagster as the UI and `cds run` do, lands with
    a cds_index.yaml that is not even YAML; cds_assessment stops before judging any file,
    with the index's own error."""
    monkeypatch.setenv("CDS_PSEUDONYM_KEY", "import-direction-test")
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "cds_index.yaml").write_text("index_id: [không đóng\n", encoding="utf-8")
    raw = tmp_path / "raw"
    write_registry(raw, [("31000001", "Trường A", "Tiểu học")])
    settings = Settings(raw_dir=raw, warehouse_dir=tmp_path / "wh", reference_dir=reference)
    settings.warehouse_dir.mkdir()
    schools = landing_asset("schools", [["reference", "code_lists"]], "The registry.")
    result = dg.materialize(
        [code_lists, schools],
        resources={
            "paths": CdsPaths.from_settings(settings),
            "duckdb": DuckDBResource(database=str(settings.warehouse_db)),
        },
        raise_on_error=False,
    )
    assert result.success
    with duckdb.connect(str(settings.warehouse_db)) as con:
        assert con.sql("select count(*) from landing.schools").fetchall() == [(1,)]
        ctx = load_ingest_context(settings, registry=current_registry(con), personal=True)
        for name in ("emis_report", "students", "teachers"):  # nothing to read, no error
            ingest_source(con, SOURCES[name], raw, ctx, datetime(2026, 1, 1), workers=1)
        with pytest.raises(CdsIndexError, match="YAML"):
            ingest_source(con, SOURCES["cds_assessment"], raw, ctx, datetime(2026, 1, 1))
