"""Where things are: the drop folder, the warehouse, the reference data, the lake.

`cds run --raw/--warehouse/--reference/--lake/--lake-data` and the environment variables
`CDS_RAW_DIR`, `CDS_WAREHOUSE_DIR`, `CDS_REFERENCE_DIR`, `CDS_LAKE`, `CDS_LAKE_DATA`,
`CDS_PARALLEL` (what the Dagster UI reads) set them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipelines.lake import Lake

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHIPPED_REFERENCE = PROJECT_ROOT / "reference"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"


def run_date() -> date:
    """The day a run counts as today: `CDS_RUN_DATE` (ISO, e.g. `2025-06-01`) when set, so a
    rebuild or a test sees the dates a past run saw; otherwise today."""
    pinned = os.environ.get("CDS_RUN_DATE", "").strip()
    return date.fromisoformat(pinned) if pinned else date.today()


@dataclass(frozen=True)
class Settings:
    raw_dir: Path
    warehouse_dir: Path
    reference_dir: Path | None = None
    # The warehouse's tables in a DuckLake instead of warehouse.duckdb (None: embedded).
    lake: Lake | None = None
    # Provinces ingested at once by Dagster's multiprocess executor (`--parallel N`, lake
    # only); None: the sources are ingested one after the other, as always.
    parallel: int | None = None

    @classmethod
    def from_env(cls) -> Settings:
        ref = os.environ.get("CDS_REFERENCE_DIR")
        return cls(
            raw_dir=Path(os.environ.get("CDS_RAW_DIR", "raw")).resolve(),
            warehouse_dir=Path(os.environ.get("CDS_WAREHOUSE_DIR", "warehouse")).resolve(),
            reference_dir=Path(ref).resolve() if ref else None,
            lake=Lake.from_env(),
            parallel=int(os.environ["CDS_PARALLEL"]) if os.environ.get("CDS_PARALLEL") else None,
        )

    def to_env(self) -> dict[str, str]:
        env = {"CDS_RAW_DIR": str(self.raw_dir), "CDS_WAREHOUSE_DIR": str(self.warehouse_dir)}
        if self.reference_dir:
            env["CDS_REFERENCE_DIR"] = str(self.reference_dir)
        if self.lake:
            env.update(self.lake.to_env())
        if self.parallel:
            env["CDS_PARALLEL"] = str(self.parallel)
        return env

    @property
    def duckdb_memory_limit(self) -> str:
        """DuckDB's memory limit for the warehouse (`CDS_DUCKDB_MEMORY_LIMIT`, default 3GB),
        for the pipeline's connections and dbt's alike: its default, 80 % of RAM, lets a
        national run's cache grow past the 8 GB the machine can spare."""
        return os.environ.get("CDS_DUCKDB_MEMORY_LIMIT", "3GB")

    @property
    def warehouse_db(self) -> Path:
        return self.warehouse_dir / "warehouse.duckdb"

    @property
    def lake_temp_dir(self) -> Path:
        """Where DuckDB spills in lake mode (its connections are in memory)."""
        return self.warehouse_dir / ".lake-tmp"

    @property
    def analytics_db(self) -> Path:
        return self.warehouse_dir / "analytics.duckdb"

    def reference_file(self, name: str) -> Path:
        """A reference file from `--reference DIR` where it holds one, else the shipped one."""
        if self.reference_dir is not None and (self.reference_dir / name).is_file():
            return self.reference_dir / name
        return SHIPPED_REFERENCE / name
