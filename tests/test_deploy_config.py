"""The several-machine configuration of docs/deploy.md (issue 17, item 4), loaded by Dagster.

`deploy/dagster.yaml` is read by Dagster's own loader (`InstanceRef.from_dir`, which checks
it against the instance schema), and each class it names has its config checked against
that class's own schema where the class is installed: Dagster's storage is PostgreSQL
(dagster-postgres), runs are queued (at most 8 at once, pools of one slot) and launched
by `dagster_k8s.K8sRunLauncher` with the lake's settings and the shared volume. Every
host, user and password is an environment variable, and docs/deploy.md names each one.
`deploy/dagster.local.yaml` holds the same settings with Dagster's default launcher
(runs are processes of this machine) and SQLite storage; it is loaded into a real
instance. Nothing is started: no PostgreSQL, no Docker, no cluster.

dagster-k8s is not a dependency (the run pods need it, not the warehouse): the launcher's
config is checked here by name and shape; against dagster-k8s 0.29.27's own schema it
was checked by hand with that package on PYTHONPATH (`process_config` succeeded).

How it was checked: with `password: {env: DAGSTER_PG_PASSWORD}` replaced by a written
password in deploy/dagster.yaml, `test_no_secret_is_written_in_the_files` failed naming
`storage.postgres.postgres_db.password`; with `max_concurrent_runs: 4` in
dagster.local.yaml, `test_the_local_variant_has_the_same_settings_and_loads` failed on
the `concurrency` key. Both restored; they pass as the files are.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance
from dagster._config import process_config
from dagster._core.instance.ref import InstanceRef
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._serdes.config_class import class_from_code_pointer

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
SECRET_KEYS = {"password", "username", "hostname", "host", "port", "db_name", "postgres_url"}
# Only these differ between the cluster and one machine.
MACHINE_KEYS = {"storage", "run_launcher"}


def _yaml(name: str) -> dict:
    return yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))


def _env_names(node, path: str = "") -> dict[str, str]:
    """Every `{env: NAME}` in a config: its path → NAME."""
    if isinstance(node, dict):
        if set(node) == {"env"}:
            return {path: node["env"]}
        found: dict[str, str] = {}
        for key, value in node.items():
            found |= _env_names(value, f"{path}.{key}".lstrip("."))
        return found
    if isinstance(node, list):
        return {k: v for i, item in enumerate(node) for k, v in _env_names(item, path).items()}
    return {}


def _leaves(node, path: str = ""):
    """(path, value) of every setting; an `{env: NAME}` is one value."""
    if isinstance(node, dict) and set(node) != {"env"}:
        for key, value in node.items():
            yield from _leaves(value, f"{path}.{key}".lstrip("."))
    elif isinstance(node, list):
        for item in node:
            yield from _leaves(item, path)
    else:
        yield path, node


@pytest.fixture
def deploy_env(monkeypatch, tmp_path: Path) -> dict[str, str]:
    env = {name: f"value-of-{name}" for name in _env_names(_yaml("dagster.yaml")).values()}
    env |= {"DAGSTER_PG_PORT": "5432", "CDS_DAGSTER_STORAGE": str(tmp_path / "dagster")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def _checked(data) -> dict:
    """A class's config checked against that class's own schema, env variables resolved."""
    klass = class_from_code_pointer(data.module_name, data.class_name)
    result = process_config(klass.config_type(), data.config_dict)
    assert result.success, (data.class_name, result.errors)
    return result.value


def test_the_deploy_instance_is_postgres_queued_and_on_kubernetes(deploy_env) -> None:
    ref = InstanceRef.from_dir(str(DEPLOY), config_filename="dagster.yaml")

    storage = ref.storage_data
    assert (storage.module_name, storage.class_name) == (
        "dagster_postgres",
        "DagsterPostgresStorage",
    )
    db = _checked(storage)["postgres_db"]
    assert db["password"] == deploy_env["DAGSTER_PG_PASSWORD"]
    assert db["hostname"] == deploy_env["DAGSTER_PG_HOST"] and db["port"] == 5432

    coordinator = ref.run_coordinator_data
    assert coordinator.class_name == "QueuedRunCoordinator"
    _checked(coordinator)
    assert ref.settings["retention"] == {
        "sensor": {"purge_after_days": {"skipped": 1, "failure": 7}}
    }
    assert ref.settings["concurrency"] == {
        "runs": {"max_concurrent_runs": 8},
        "pools": {"default_limit": 1},
    }

    launcher = ref.run_launcher_data
    assert (launcher.module_name, launcher.class_name) == ("dagster_k8s", "K8sRunLauncher")
    config = launcher.config_dict
    assert config["instance_config_map"] and config["env_secrets"] == ["cds-postgres"]
    assert {"CDS_LAKE", "CDS_LAKE_DATA", "CDS_WAREHOUSE_DIR"} <= set(config["env_vars"])
    assert config["job_namespace"] == {"env": "CDS_K8S_NAMESPACE"}
    mounts = {m["name"]: m["mountPath"] for m in config["volume_mounts"]}
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in config["volumes"]}
    assert mounts == {"cds-shared": "/srv/cds"} and claims == {"cds-shared": "cds-shared"}
    assert config["resources"]["limits"]["memory"]

    for data in (ref.compute_logs_data, ref.local_artifact_storage_data):
        assert _checked(data)["base_dir"] == deploy_env["CDS_DAGSTER_STORAGE"]


@pytest.mark.parametrize("name", ["dagster.yaml", "dagster.local.yaml"])
def test_no_secret_is_written_in_the_files(name: str) -> None:
    written = [
        path
        for path, value in _leaves(_yaml(name))
        if path.rsplit(".", 1)[-1] in SECRET_KEYS and not isinstance(value, dict | None)
    ]
    assert not written, f"{name}: written in the file, not an env variable: {written}"
    text = (DEPLOY / name).read_text(encoding="utf-8")
    assert "://" not in text and "@" not in text  # no connection URL with a password


def test_every_env_variable_is_documented() -> None:
    doc = DEPLOY_DOC.read_text(encoding="utf-8")
    config = _yaml("dagster.yaml")
    names = set(_env_names(config).values()) | set(config["run_launcher"]["config"]["env_vars"])
    names |= {"PGPASSWORD"}  # the lake catalog's password, from the same Secret
    missing = sorted(n for n in names if f"`{n}`" not in doc)
    assert not missing, f"not described in docs/deploy.md: {missing}"


def test_the_local_variant_has_the_same_settings_and_loads(deploy_env) -> None:
    cluster, local = _yaml("dagster.yaml"), _yaml("dagster.local.yaml")
    assert "run_launcher" not in local  # Dagster's default: a process per run
    assert set(local["storage"]) == {"sqlite"}
    for key in (cluster.keys() | local.keys()) - MACHINE_KEYS:
        assert local.get(key) == cluster.get(key), key

    instance = DagsterInstance.from_config(str(DEPLOY), config_filename="dagster.local.yaml")
    try:
        assert isinstance(instance.run_launcher, DefaultRunLauncher)
        coordinator = instance.run_coordinator
        assert isinstance(coordinator, QueuedRunCoordinator)
        concurrency = instance.get_concurrency_config()  # what the queue daemon reads
        assert concurrency.run_queue_config.max_concurrent_runs == 8
        assert concurrency.pool_config.default_pool_limit == 1
        assert instance.get_runs() == []  # its storage opened, under CDS_DAGSTER_STORAGE
        assert Path(deploy_env["CDS_DAGSTER_STORAGE"]).is_dir()
    finally:
        instance.dispose()
