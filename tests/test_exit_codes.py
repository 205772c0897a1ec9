"""`cds run` exit codes as the README states them (issue 16): 2 when the reference data is
broken, whichever file it is, before anything is read or written. Before, a broken
cds_index.yaml or code_lists.csv failed a step and exited 1 (this test failed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import PROJECT_ROOT, write_registry

# starts `cds run` in a subprocess: left out of `make test-fast`
pytestmark = pytest.mark.e2e

BROKEN = {
    "cds_index.yaml": "index_id: x\ngroups: [}\n",
    "code_lists.csv": "list,label\nschool_level,MN\n",
    "consistency_rules.csv": "rule_id\nx\n",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_reference_exits_2_and_names_the_file(tmp_path: Path, name: str) -> None:
    raw, reference, warehouse = tmp_path / "raw", tmp_path / "ref", tmp_path / "wh"
    write_registry(raw, [("31000001", "Trường A", "Tiểu học")])
    reference.mkdir()
    (reference / name).write_text(BROKEN[name], encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--raw", str(raw),
         "--warehouse", str(warehouse), "--reference", str(reference)],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"✗ Dữ liệu tham chiếu không hợp lệ: {reference / name}:" in result.stderr
    assert not (warehouse / "warehouse.duckdb").exists()


@pytest.mark.parametrize("command", ["run", "ui"])
def test_a_missing_drop_folder_is_refused_before_anything_starts(
    tmp_path: Path, command: str
) -> None:
    """`cds ui` from another folder resolved the default `raw` there and started a UI whose
    first run failed on an empty registry; both commands now name the missing folder."""
    missing = tmp_path / "raw"
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", command, "--raw", str(missing),
         "--warehouse", str(tmp_path / "wh")],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"Không có thư mục dữ liệu nộp: {missing}" in result.stderr
    assert not (tmp_path / "wh").exists()
