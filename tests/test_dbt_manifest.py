"""`cds` called by its absolute path, as cron or a service manager would, with no activated
environment: the dbt manifest is still parsed (issue 16). Before the fix, dagster-dbt's
preparer looked for `dbt` on PATH and this test failed with "The dbt executable 'dbt' was not
found on PATH"."""

from __future__ import annotations

import os
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


def test_processes_starting_at_once_never_read_half_a_manifest(tmp_path: Path) -> None:
    """Three processes needing the manifest at once (a test suite on a fresh clone, the UI's
    code server and a run) each get a whole one. Before, they parsed into the same file at
    once and most failed with "unexpected content after document"."""
    import json
    import subprocess
    import sys

    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    probe = (
        "import json, sys; from pathlib import Path; from dagster_dbt import DbtProject; "
        "from pipelines.assets.dbt import ensure_manifest; "
        f"p = DbtProject(project_dir=Path({str(copy)!r}), profiles_dir=Path({str(copy)!r})); "
        "ensure_manifest(p); json.loads(p.manifest_path.read_text()); print('ok')"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", probe], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=600)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0] and outs == ["ok"] * 3
    json.loads((copy / "target" / "manifest.json").read_text(encoding="utf-8"))
    assert not list((copy / "target").glob(".parse-*"))


def test_dbt_invocations_build_no_in_process_adapter() -> None:
    """Issue 16.7: dagster-dbt's `cli()` builds an in-process dbt adapter before each
    invocation (2–9 s here) for row counts and column metadata this project never fetches;
    `DbtResource` skips it. If dagster-dbt renames or stops calling the hook, the override
    would silently do nothing: this test notices. Checked by renaming the override."""
    import inspect

    from dagster_dbt import DbtCliResource

    from pipelines.resources import DbtResource, dbt_executable

    assert "self._initialize_dbt_core_adapter(" in inspect.getsource(DbtCliResource.cli)
    assert "_initialize_dbt_core_adapter" in DbtResource.__dict__
    resource = DbtResource(project_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable())
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_docs_kept_under_their_fingerprint_are_copied_whole(tmp_path: Path) -> None:
    """A second warehouse with the same project and columns copies the dbt docs kept by the
    first instead of running `dbt docs generate` again; a half-kept copy is never used."""
    from pipelines.assets.dbt import DOCS_FILES, copy_docs, keep_docs

    generated, shared, second = tmp_path / "a", tmp_path / "docs-0123", tmp_path / "b"
    generated.mkdir()
    for name in DOCS_FILES:
        (generated / name).write_text(f"<{name}>", encoding="utf-8")
    assert not copy_docs(shared, second)  # nothing kept yet: generate
    keep_docs(generated, shared)
    assert not list(tmp_path.glob("*.tmp"))
    assert copy_docs(shared, second)
    for name in DOCS_FILES:
        assert (second / name).read_text(encoding="utf-8") == f"<{name}>"
    (shared / "catalog.json").unlink()  # half a copy (a process killed while keeping it)
    assert not copy_docs(shared, tmp_path / "c")


def test_a_second_warehouse_keeps_dbt_s_parse(tmp_path: Path) -> None:
    """dbt's parse of the project (`partial_parse.msgpack`) made for one warehouse serves
    another: the profile no longer holds the warehouse's path (pipelines/dbt_connection.py
    opens it). Checked with the path back in `profiles.yml`: the second parse logged "Unable
    to do partial parsing because profile has changed" and this test failed."""
    import subprocess

    from pipelines.resources import dbt_executable

    def parse(warehouse: str, target: Path) -> str:
        env = {**os.environ, "CDS_WAREHOUSE_DIR": warehouse}
        subprocess.run(
            [dbt_executable(), "parse", "--target-path", str(target), "--log-path", str(target)],
            cwd=DBT_PROJECT_DIR,
            env=env,
            check=True,
            capture_output=True,
        )
        return (target / "dbt.log").read_text(encoding="utf-8")

    first, second = tmp_path / "first", tmp_path / "second"
    parse(str(tmp_path / "office_a"), first)
    second.mkdir()
    shutil.copy(first / "partial_parse.msgpack", second / "partial_parse.msgpack")
    log = parse(str(tmp_path / "office_b"), second)
    assert "Unable to do partial parsing" not in log
    assert "Partial parsing enabled" in log


def test_old_dbt_invocation_folders_are_pruned(tmp_path: Path) -> None:
    """dbt's invocation folders beyond the ten newest go, unless written in the last ten
    minutes; the manifest, the parse state and kept docs stay. Before, every run left 17 MB
    in dbt_project/target for ever. Checked with `keep` ignored (all old folders deleted):
    the first assertion failed."""
    import time

    from pipelines.assets.dbt import prune_invocations

    now = time.time()
    folders = []
    for n in range(14):
        folder = tmp_path / f"dbt_models-{n:07x}-abcdef{n % 10}"
        (folder / "compiled").mkdir(parents=True)
        (folder / "dbt.log").write_text("{}", encoding="utf-8")
        (folder / "compiled" / "model.sql").write_text("select 1", encoding="utf-8")
        age = 60 if n == 0 else 3600 * n  # folder 0 written a minute ago
        for path in (folder / "dbt.log", folder / "compiled" / "model.sql", folder / "compiled"):
            os.utime(path, (now - age, now - age))
        os.utime(folder, (now - age, now - age))
        folders.append(folder)
    kept = [tmp_path / "manifest.json", tmp_path / "partial_parse.msgpack"]
    for path in kept:
        path.write_text("x", encoding="utf-8")
    (tmp_path / "docs-0123456789abcdef").mkdir()
    # the ten newest by what was written in them stay: folders 0-9; 10-13 go
    assert sorted(prune_invocations(tmp_path)) == folders[10:]
    assert all(f.exists() for f in folders[:10])
    assert all(p.exists() for p in kept) and (tmp_path / "docs-0123456789abcdef").is_dir()
    # with none to keep, a folder written in the last ten minutes still stays, also when
    # only its compiled SQL is new (a build's log keeps warnings only: it may not move)
    (folders[9] / "compiled" / "late.sql").write_text("select 2", encoding="utf-8")
    assert sorted(prune_invocations(tmp_path, keep=0)) == folders[1:9]
    assert folders[0].exists() and folders[9].exists()


def test_dbt_file_log_is_kept_at_warnings_unless_asked(monkeypatch) -> None:
    """The build's file log at debug level cost 1 s of an incremental build (issue 16.7):
    builds ask for warnings only; DBT_LOG_LEVEL_FILE still chooses (the crash test reads
    NodeStart events, which are debug)."""
    from pipelines.assets.dbt import file_log_args

    monkeypatch.delenv("DBT_LOG_LEVEL_FILE", raising=False)
    assert file_log_args() == ["--log-level-file", "warn"]
    monkeypatch.setenv("DBT_LOG_LEVEL_FILE", "debug")
    assert file_log_args() == []


def test_a_failed_tests_sql_is_found_among_dbt_s_compiled_files(tmp_path: Path) -> None:
    """The build writes no manifest (`--no-write-json`, issue 16.7), so a failed test's SQL,
    run again for its first failing rows, is read from the files dbt compiled. For every data
    test of the project (short, hashed and singular names), the file found is the SQL dbt
    compiled, as `dbt compile` records it in its manifest."""
    import json
    import subprocess

    from pipelines.assets.dbt import compiled_sql
    from pipelines.resources import dbt_executable

    target = tmp_path / "target"
    (tmp_path / "wh").mkdir()  # an empty warehouse: compiling a test reads no table
    subprocess.run(
        [dbt_executable(), "compile", "--select", "resource_type:test", "--exclude",
         "resource_type:unit_test", "--target-path", str(target), "--log-path", str(target)],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "CDS_WAREHOUSE_DIR": str(tmp_path / "wh")},
        check=True,
        capture_output=True,
    )  # fmt: skip
    nodes = json.loads((target / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    tests = {uid: n for uid, n in nodes.items() if n["resource_type"] == "test"}
    assert len(tests) > 100
    assert any(len(n["name"]) > len(Path(n["path"]).stem) for n in tests.values())  # hashed
    for uid, node in tests.items():
        assert compiled_sql(target, node) == node["compiled_code"], uid
