"""The dbt profile's connection to the warehouse (a dbt-duckdb plugin, `profiles.yml`).

The profile names the file `warehouse.duckdb`; this plugin opens it in `$CDS_WAREHOUSE_DIR`
(relative paths from dbt's folder, `../warehouse` when unset), as the profile's `path`
did before with an `env_var()`. Why: dbt keeps its parse of the project
(`partial_parse.msgpack`) only while the profile's connection settings are unchanged, and
the path was one of them, so every warehouse other than the last one dbt saw (a second
office's, each test's) made dbt parse the whole project again (3–5 s of every build).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.adapters.duckdb.plugins import BasePlugin

FILE_NAME = "warehouse.duckdb"  # the profile's `path`; its stem is the database's name


def warehouse_file() -> Path:
    return Path(os.environ.get("CDS_WAREHOUSE_DIR", "../warehouse")) / FILE_NAME


class Plugin(BasePlugin):
    def update_connection_config(self, creds: DuckDBCredentials, config: dict[str, Any]) -> None:
        """Called before dbt-duckdb connects: the profile's file, in this run's warehouse."""
        if creds.path == FILE_NAME:
            creds.path = str(warehouse_file())
