"""The warehouse on DuckLake (`cds run --lake CATALOG --lake-data PATH`).

In lake mode the landing, audit, reference, staging, intermediate and marts schemas are
tables of a DuckLake: a catalog (a DuckDB file on one machine, or a PostgreSQL database
that many machines reach) and Parquet data files under `--lake-data`. Every connection of
the pipeline is an in-memory DuckDB that attaches the lake as `lake` and uses it, so the
same SQL (`landing.schools`, `marts.dim_school`) runs in both modes; dbt attaches it the
same way (profile target `lake`).

The ducklake and postgres extensions come from PyPI packages pinned with DuckDB 1.5.5
(nothing is downloaded at run time): `INSTALL '<file in site-packages>'` copies each once
into DuckDB's extension folder, where `LOAD ducklake` (and dbt-duckdb's attach) find it.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # duckdb is imported where it is used: `cds --help` stays quick
    import duckdb

ALIAS = "lake"

# DuckDB extension → the PyPI package that ships it (for this DuckDB version only).
EXTENSION_PACKAGES = {
    "ducklake": "duckdb_extension_ducklake",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
}

# Catalog databases DuckLake reaches through another extension, by their prefix.
_CATALOG_SCHEMES = ("postgres:", "sqlite:", "mysql:")


class LakeError(ValueError):
    """A lake setting that cannot work (said in Vietnamese)."""


@dataclass(frozen=True)
class Lake:
    """Where the lake is: `catalog` as DuckDB's ATTACH takes it (`ducklake:…`), and the
    folder (or object-storage URL) of its data files."""

    catalog: str
    data_path: str

    @classmethod
    def parse(cls, catalog: str, data_path: str | None) -> Lake:
        """`--lake`/`CDS_LAKE` as the user writes it: `ducklake:/path/x.ducklake`,
        `ducklake:postgres:dbname=… host=…`, or the same without `ducklake:` (contract §7).
        A relative catalog file or data folder is taken from the current directory: dbt
        runs elsewhere. A file catalog keeps its data beside it (`<file>.files`) unless
        `--lake-data` says otherwise; a PostgreSQL catalog needs `--lake-data`."""
        spec = catalog.strip()
        if spec.lower().startswith("ducklake:"):
            spec = spec[len("ducklake:") :]
        if not spec:
            raise LakeError("--lake trống: cần tệp danh mục hoặc 'postgres:dbname=… host=…'")
        remote = spec.lower().startswith(_CATALOG_SCHEMES)
        if not remote:
            spec = str(Path(spec).expanduser().resolve())
        if data_path and data_path.strip():
            data = _absolute(data_path.strip())
        elif remote:
            raise LakeError(
                "Danh mục DuckLake trên PostgreSQL cần --lake-data (CDS_LAKE_DATA): thư mục "
                "chung mà mọi máy ghi được, nơi lưu các tệp Parquet của kho"
            )
        else:
            data = spec + ".files" + os.sep
        return cls(catalog=f"ducklake:{spec}", data_path=data)

    @classmethod
    def from_env(cls) -> Lake | None:
        catalog = os.environ.get("CDS_LAKE", "").strip()
        return cls.parse(catalog, os.environ.get("CDS_LAKE_DATA")) if catalog else None

    def to_env(self) -> dict[str, str]:
        return {"CDS_LAKE": self.catalog, "CDS_LAKE_DATA": self.data_path}

    @property
    def on_postgres(self) -> bool:
        return self.catalog.lower().startswith("ducklake:postgres:")

    @property
    def catalog_file(self) -> Path | None:
        """The catalog's file on this machine; None for a catalog database (PostgreSQL…)."""
        spec = self.catalog[len("ducklake:") :]
        return None if spec.lower().startswith(_CATALOG_SCHEMES) else Path(spec)

    def attach_sql(self) -> str:
        return (
            f"attach if not exists {_quote(self.catalog)} as {ALIAS} "
            f"(data_path {_quote(self.data_path)})"
        )


def _absolute(path: str) -> str:
    """A local folder made absolute; a URL (`s3://…`) as it is."""
    if "://" in path:
        return path
    return str(Path(path).expanduser().resolve()) + os.sep


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def extension_file(name: str) -> Path:
    """The extension's file inside its PyPI package, for the running DuckDB's version."""
    import duckdb

    package = EXTENSION_PACKAGES[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LakeError(f"Thiếu gói {package} (cài lại môi trường: make install)")
    folder = Path(next(iter(spec.submodule_search_locations)))
    path = folder / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise LakeError(
            f"Gói {package} không có phần mở rộng {name} cho DuckDB {duckdb.__version__} "
            f"({path}): DuckDB và các gói phần mở rộng phải cùng phiên bản (pyproject.toml)"
        )
    return path


def install_extensions(con: duckdb.DuckDBPyConnection | None = None) -> None:
    """Copy the shipped extensions into DuckDB's extension folder once (no network), so
    `LOAD ducklake` and dbt-duckdb's ATTACH find them in any process of this machine."""
    import duckdb

    own = con is None
    con = con or duckdb.connect()
    try:
        installed = {
            r[0]
            for r in con.execute(
                "select extension_name from duckdb_extensions() where installed"
            ).fetchall()
        }
        for name in EXTENSION_PACKAGES:
            if name not in installed:
                con.execute(f"install {_quote(str(extension_file(name)))}")
    finally:
        if own:
            con.close()


def attach(con: duckdb.DuckDBPyConnection, lake: Lake, warehouse_dir: Path) -> None:
    """Attach the lake to `con` and make it the default database; remember the local
    warehouse folder (the ingest journal lives there, not in the lake)."""
    install_extensions(con)
    con.execute("load ducklake")
    if lake.on_postgres:
        con.execute("load postgres_scanner")
    con.execute(lake.attach_sql())
    con.execute(f"use {ALIAS}")
    con.execute(f"set variable cds_warehouse_dir = {_quote(str(warehouse_dir))}")


def in_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether `con` writes to a DuckLake (no sequences, no PRIMARY KEY there)."""
    row = con.execute(
        "select type from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    return bool(row) and row[0] == "ducklake"
