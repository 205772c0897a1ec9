"""Dagster resources: where the data is (paths), the warehouse (DuckDB, one writer at a
time), and dbt."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from packaging.version import Version
from pydantic import PrivateAttr

from pipelines.settings import Settings
from pipelines.warehouse_lock import warehouse_lock


class CdsPaths(dg.ConfigurableResource):
    """The drop folder, the warehouse folder and the reference folder of this deployment."""

    raw_dir: str
    warehouse_dir: str
    reference_dir: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> CdsPaths:
        return cls(
            raw_dir=str(settings.raw_dir),
            warehouse_dir=str(settings.warehouse_dir),
            reference_dir=str(settings.reference_dir) if settings.reference_dir else None,
        )

    @property
    def settings(self) -> Settings:
        return Settings(
            raw_dir=Path(self.raw_dir),
            warehouse_dir=Path(self.warehouse_dir),
            reference_dir=Path(self.reference_dir) if self.reference_dir else None,
        )


class DbtResource(DbtCliResource):
    """dagster-dbt's resource, told dbt-core's version by the installed package instead of
    running `dbt --version` in a subprocess before every invocation (2.6 s here: the import
    of dbt; issue 9's profile). dbt-core runs in this environment, so the two agree."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        """No in-process dbt adapter: dagster-dbt builds one before every invocation (an
        import of dbt and a DuckDB connection, 2 s unloaded, 9 s on a busy machine) only for
        `fetch_row_counts` and `fetch_column_metadata`, which this project does not use. dbt
        itself runs in its subprocess as before."""
        return None


def dbt_executable() -> str:
    """The dbt installed beside this Python (`.venv/bin/dbt`), so `.venv/bin/cds run` works
    without an activated environment; else whatever `dbt` is on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


class GxValidator(dg.ConfigurableResource):
    """Great Expectations for the landing checks. With `warm_worker`, a worker process
    started with the run imports GX beside the ingest and validates small batches
    (`pipelines.validation.worker`); without it, or on one core, GX runs in this process."""

    warm_worker: bool = False
    _validator: Any = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        from pipelines.validation.worker import WarmValidator

        self._validator = WarmValidator(warm=self.warm_worker and (os.cpu_count() or 1) > 1)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._validator is not None:
            self._validator.close()

    def run_suite(
        self, name: str, df: Any, parameters: dict[str, Any], docs_dir: Path | None = None
    ) -> Any:
        """`pipelines.validation.gx_suites.run_suite`, in the warm worker when there is one."""
        from pipelines.validation.worker import WarmValidator

        # outside a run (a direct call in a test) there is no worker: validated here
        validator = self._validator or WarmValidator(warm=False)
        return validator.run_suite(name, df, parameters, docs_dir=docs_dir)


class WarehouseDuckDB(DuckDBResource):
    """dagster-duckdb's resource, holding the warehouse's writer lock while a connection is
    open: a run launched from the UI waits for `cds run` instead of failing on DuckDB's
    lock (see `pipelines.warehouse_lock`). In lake mode (`lake_catalog` set) the connection
    is an in-memory DuckDB with the lake attached and in use (`pipelines.lake`)."""

    lake_catalog: str | None = None
    lake_data: str | None = None
    warehouse_folder: str | None = None  # lake mode: the local folder (lock, journal)

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseDuckDB:
        config = {"memory_limit": settings.duckdb_memory_limit}
        if settings.lake is None:
            return cls(database=str(settings.warehouse_db), connection_config=config)
        return cls(
            database=":memory:",
            connection_config={**config, "temp_directory": str(settings.lake_temp_dir)},
            lake_catalog=settings.lake.catalog,
            lake_data=settings.lake.data_path,
            warehouse_folder=str(settings.warehouse_dir),
        )

    @property
    def warehouse_dir(self) -> Path:
        """The local warehouse folder: its writer lock, journal and published files."""
        if self.warehouse_folder:
            return Path(self.warehouse_folder)
        return Path(self.database).parent

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        log = dg.get_dagster_logger()
        with (
            warehouse_lock(self.warehouse_dir, wait=True, log=log.info),
            super().get_connection() as con,
        ):
            if self.lake_catalog:
                from pipelines.lake import Lake, attach

                attach(con, Lake(self.lake_catalog, self.lake_data or ""), self.warehouse_dir)
            yield con

    @contextmanager
    def appender_connection(self, name: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """A lake connection for one of several concurrent appenders (a province's step):
        without the writer lock (the appenders run side by side inside one run that holds
        or waits for it in its planning step) and with its own spill folder."""
        assert self.lake_catalog, "concurrent appenders need a lake"
        from pipelines.lake import Lake, attach

        temp = Path(str(self.connection_config.get("temp_directory", self.warehouse_dir))) / name
        config = {**self.connection_config, "temp_directory": str(temp)}
        con = duckdb.connect(":memory:", config=config)
        try:
            attach(con, Lake(self.lake_catalog, self.lake_data or ""), self.warehouse_dir)
            yield con
        finally:
            con.close()
