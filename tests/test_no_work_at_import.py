"""Issue 16: importing the definitions does no work. Before, `import pipelines.definitions`
created the warehouse folder, wrote CDS_* variables into os.environ and could run `dbt parse`;
this test failed on each of the first two. Dagster builds `defs` when it loads the location."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.builders import PROJECT_ROOT

PROBE = """
import json, os, sys
before = dict(os.environ)
import pipelines.definitions as d
ours = ("CDS_", "DBT_", "DAGSTER")  # a library may set its own (polars: _RJEM_MALLOC_CONF)
changed = sorted(k for k in set(os.environ) | set(before)
                 if k.startswith(ours) and os.environ.get(k) != before.get(k))
print(json.dumps({"changed": changed, "lazy": not hasattr(d.defs, "resolve_asset_graph")}))
"""


def test_importing_the_definitions_creates_nothing_and_changes_no_variable(tmp_path: Path) -> None:
    warehouse = tmp_path / "not_yet"
    manifest = PROJECT_ROOT / "dbt_project" / "target" / "manifest.json"
    stamp = manifest.stat().st_mtime_ns if manifest.exists() else None
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDS_")}
    env["CDS_WAREHOUSE_DIR"] = str(warehouse)
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"changed": [], "lazy": True}
    assert not warehouse.exists()
    assert not (tmp_path / "warehouse").exists()
    assert (manifest.stat().st_mtime_ns if manifest.exists() else None) == stamp


def test_dagster_loads_the_definitions_lazily(tmp_path: Path, monkeypatch) -> None:
    from pipelines.definitions import defs

    monkeypatch.setenv("CDS_RAW_DIR", str(PROJECT_ROOT / "raw"))
    monkeypatch.setenv("CDS_WAREHOUSE_DIR", str(tmp_path / "wh"))
    built = defs()
    assert built.resolve_job_def("full_pipeline") is not None
    assert (tmp_path / "wh").is_dir()  # created when built, not when imported
