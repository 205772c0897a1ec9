"""The `e2e` marker stays honest (issue 21): every test that starts the whole pipeline (`cds
run` through `tests.builders.cds_run` or `python -m pipelines.cli run|ui`, the full job in
process) or PostgreSQL is marked `e2e`, so `make test-fast` (`-m "not e2e"`) leaves it out.

The source of tests/*.py is scanned (a test starts the pipeline when it, a module-level helper
or fixture it uses, or a fixture of conftest.py does), and every such test must carry the e2e
mark in what pytest collected."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import PROJECT_ROOT
from tests.conftest import SAMPLE_RUN_MODULES

TESTS = PROJECT_ROOT / "tests"
PIPELINE_COMMANDS = {"run", "ui"}  # `python -m pipelines.cli run|ui`


def _starts_directly(node: ast.AST) -> bool:
    """`node`'s own code starts the pipeline (or PostgreSQL)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in ("cds_run", "throwaway_postgres"):  # tests/pg_server.py
                return True
            # the whole job in process: execute_in_process without an asset selection
            if name == "execute_in_process" and not any(
                k.arg == "asset_selection" for k in sub.keywords
            ):
                return True
        if isinstance(sub, ast.List | ast.Tuple):
            words = [e.value for e in sub.elts if isinstance(e, ast.Constant)]
            if "pipelines.cli" in words and PIPELINE_COMMANDS & set(words):
                return True
        if (
            isinstance(sub, ast.Constant)
            and isinstance(sub.value, str)
            and sub.value.startswith(("postgresql://", "postgres://"))
        ):
            return True
        if isinstance(sub, ast.Import | ast.ImportFrom):
            names = [a.name for a in sub.names] + [getattr(sub, "module", None) or ""]
            if any(n.split(".")[0] in {"psycopg", "psycopg2", "asyncpg"} for n in names):
                return True
    return False


def _used_names(func: ast.FunctionDef) -> set[str]:
    """Names a function calls or refers to, and the fixtures it asks for."""
    names = {a.arg for a in func.args.args + func.args.kwonlyargs}
    names |= {n.id for n in ast.walk(func) if isinstance(n, ast.Name)}
    return names


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def _starting(functions: dict[str, ast.FunctionDef], known: set[str]) -> set[str]:
    """Names of functions that start the pipeline, themselves or through another one."""
    starting = set(known) | {name for name, f in functions.items() if _starts_directly(f)}
    changed = True
    while changed:
        changed = False
        for name, func in functions.items():
            if name not in starting and _used_names(func) & starting:
                starting.add(name)
                changed = True
    return starting


def pipeline_tests() -> set[str]:
    """Node ids (without parameters) of the tests that start the pipeline."""
    conftest = _functions(ast.parse((TESTS / "conftest.py").read_text(encoding="utf-8")))
    from_conftest = _starting(conftest, set())
    found: set[str] = set()
    for path in sorted(TESTS.glob("test_*.py")):
        if path.name == Path(__file__).name:  # the scanner's own patterns
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = _functions(tree)
        # a helper or fixture of the module that shadows a conftest name is the module's own
        inherited = from_conftest - functions.keys()
        starting = _starting(functions, inherited)
        found |= {
            f"tests/{path.name}::{name}"
            for name in functions
            if name.startswith("test_") and name in starting
        }
    return found


def _collected_e2e(modules: set[str]) -> set[str]:
    """Node ids (without parameters) that pytest selects with `-m e2e` in `modules`."""
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "e2e",
         "-p", "no:cacheprovider", *(f"tests/{m}" for m in sorted(modules))],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert out.returncode in (0, 5), out.stdout[-3000:] + out.stderr[-3000:]
    return {line.split("[")[0] for line in out.stdout.splitlines() if "::" in line}


def _node(item: pytest.Item) -> str:
    return f"tests/{item.path.name}::{getattr(item, 'originalname', item.name)}"


def test_the_scan_finds_the_known_pipeline_tests() -> None:
    """The scan is not vacuous: it sees each way the suite starts the pipeline."""
    found = pipeline_tests()
    assert {
        "tests/test_sample_district.py::test_analytics_holds_the_marts_only",  # module fixture
        "tests/test_crash_and_concurrency.py::test_second_cds_run_is_refused_and_a_ui_step_waits",
        "tests/test_ui_browser.py::test_fresh_start_sensor_runs_yellow_checks_and_ui_materialisation",
        "tests/test_definitions.py::test_publish_shows_follow_up_and_bands_as_metadata",
    } <= found
    assert "tests/test_definitions.py::test_landing_feeds_staging" not in found
    assert "tests/test_text_parsing.py::test_dates" not in found


def test_every_pipeline_test_is_marked_e2e(collected_items: list[pytest.Item]) -> None:
    """Read from this session's own collection (`make test`, `make test-fast`: every module
    is collected, `-m` deselects after the marks are set); a module this session did not
    collect (a single file was asked for) is collected again in a subprocess."""
    expected = pipeline_tests()
    marked: dict[str, bool] = {}
    for item in collected_items:
        node = _node(item)
        marked[node] = marked.get(node, True) and item.get_closest_marker("e2e") is not None
    unmarked = {n for n in expected if n in marked and not marked[n]}
    missing = {n for n in expected if n not in marked}
    if missing:
        modules = {n.split("::")[0].removeprefix("tests/") for n in missing}
        e2e = _collected_e2e(modules)
        unmarked |= missing - e2e
    unmarked = sorted(unmarked)
    assert unmarked == [], (
        "these tests start the whole pipeline (or PostgreSQL) and are not marked e2e: add "
        "`pytestmark = pytest.mark.e2e` to the module or `@pytest.mark.e2e` to the test"
    )


def test_the_modules_sharing_the_sample_run_go_to_one_worker() -> None:
    """A module that asks for the `sample_run` fixture is listed in SAMPLE_RUN_MODULES, or
    `--dist loadfile` may send it to the other worker, which then runs the pipeline again."""
    users = set()
    for path in sorted(TESTS.glob("test_*.py")):
        for func in _functions(ast.parse(path.read_text(encoding="utf-8"))).values():
            if "sample_run" in {a.arg for a in func.args.args}:
                users.add(path.name)
    assert users == SAMPLE_RUN_MODULES
