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
"""

from __future__ import annotations

import ast
from pathlib import Path

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
