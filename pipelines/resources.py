"""Dagster resources: where the data is (paths) and the warehouse connection (DuckDB)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

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
