"""`cds` called by its absolute path, as cron or a service manager would, with no activated
environment: the dbt manifest is still parsed (issue 16). Before the fix, dagster-dbt's
preparer looked for `dbt` on PATH and this test failed with "The dbt executable 'dbt' was not
found on PATH"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster_dbt import DbtProject

from pipelines.assets.dbt import ensure_manifest
from pipelines.settings import DBT_PROJECT_DIR


def test_manifest_is_parsed_without_dbt_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert shutil.which("dbt") is None
    project = DbtProject(project_dir=copy, profiles_dir=copy)
    ensure_manifest(project)
    assert project.manifest_path.exists()
    assert '"model.cds_warehouse.' in project.manifest_path.read_text(encoding="utf-8")
