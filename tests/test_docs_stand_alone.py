"""The project's documentation stands alone and stays in step with the code (issue 15, item 8).

A person who clones the repository must be able to read everything its Markdown points at:
no link or path may lead outside the repository (the data contract and the index format
live in `docs/`, in the project's own words). And `docs/interface.md` must name every
published table and every `cds` subcommand, so that a new table or command cannot ship
undocumented. Fast: reads files and the click group, runs nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
INTERFACE = ROOT / "docs" / "interface.md"
# Folders that hold no documentation of the project's own (data, builds, environments).
SKIP_DIRS = {"raw", "warehouse", "logs", "node_modules", "target", "dbt_packages", "__pycache__"}

# `../` climbing out of a folder (the `...` of an elided path such as `raw/.../x.xlsx` is not
# one), the workspace's shared folder, or an absolute path into the development machine.
OUTSIDE = re.compile(r"(?<!\.)\.\./|\bshared/(?:contract|reference)\b|/work/")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def markdown_files() -> list[Path]:
    found = []
    for path in sorted(ROOT.rglob("*.md")):
        rel = path.relative_to(ROOT)
        if any(p.startswith(".") or p in SKIP_DIRS for p in rel.parts[:-1]):
            continue
        found.append(path)
    return found


def _outside_mentions(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [f"{n}: {line.strip()}" for n, line in enumerate(lines, 1) if OUTSIDE.search(line)]


def test_the_markdown_files_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in markdown_files()}
    assert {
        "README.md",
        "BENCHMARKS.md",
        "docs/interface.md",
        "docs/cds-index-format.md",
    } <= names


@pytest.mark.parametrize(
    "path",
    [p for p in markdown_files() if p.name != "README.md" or p.parent != ROOT],
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_no_markdown_points_outside_the_repository(path: Path) -> None:
    found = _outside_mentions(path)
    assert not found, (
        f"{path.relative_to(ROOT)} names a path outside the repository, which a person who "
        "clones it cannot read:\n  " + "\n  ".join(found)
    )


def test_readme_points_only_inside_the_repository() -> None:
    """README.md must not send the reader to `../shared/…` (issue 15, item 8). The interface
    is `docs/interface.md`; the index format is `docs/cds-index-format.md`."""
    found = _outside_mentions(ROOT / "README.md")
    assert not found, (
        "README.md still points outside the repository (issue 15 item 8): link "
        "docs/interface.md instead of ../shared/contract/README.md and "
        "docs/cds-index-format.md instead of ../shared/reference/cds-index-format.md. "
        "Lines:\n  " + "\n  ".join(found)
    )


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_lead_to_files_of_the_repository(path: Path) -> None:
    broken = []
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("#"):
            continue  # a URL, a mail address, an anchor on the same page
        resolved = (path.parent / target.split("#", 1)[0]).resolve()
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(target)
    assert not broken, (
        f"{path.relative_to(ROOT)}: links that lead nowhere in the repository: {broken}"
    )


def _mentioned(name: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def test_every_published_table_is_in_the_interface() -> None:
    marts = yaml.safe_load(
        (ROOT / "dbt_project" / "models" / "marts" / "_marts.yml").read_text(encoding="utf-8")
    )
    tables = [m["name"] for m in marts["models"]]
    assert tables, "no published table found in _marts.yml"
    text = INTERFACE.read_text(encoding="utf-8")
    missing = [t for t in tables if not _mentioned(f"`{t}`", text)]
    assert not missing, (
        f"published tables not described in docs/interface.md §6: {missing} "
        "(add each with its grain, columns and formulas)"
    )


def test_every_cds_subcommand_is_in_the_interface() -> None:
    from pipelines.cli import main

    commands = sorted(main.commands)
    assert {"run", "check", "ui", "generate"} <= set(commands)
    text = INTERFACE.read_text(encoding="utf-8")
    missing = [c for c in commands if not _mentioned(f"cds {c}", text)]
    assert not missing, (
        f"cds subcommands not described in docs/interface.md §7: {missing} "
        "(add each with its options and exit codes)"
    )
