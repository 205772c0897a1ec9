"""Dagster resources: where the data is (paths), and dbt; DuckDB is dagster-duckdb's."""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import version
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging.version import Version

from pipelines.settings import Settings


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
