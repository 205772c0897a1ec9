"""The lake's dbt profile survives a spill (issue 17). dbt-duckdb runs every `settings` entry
again on each new cursor, and DuckDB refuses `SET temp_directory` once it has spilled there.
With the spill folder among the settings, a province-sized lake build (national-4 at four
districts a province) failed at the first model after a spill: "Cannot switch temporary
directory after the current one has been used". It is now given when the connection opens.
"""

from __future__ import annotations

import os
from argparse import Namespace
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import DBT_PROJECT_DIR

# forces DuckDB to spill an ordered 3M-row set to its temporary folder
SPILLING_QUERY = (
    "select count(*) from (select i, md5(i::varchar) s from range(3000000) t(i) order by s)"
)


def _lake_credentials(monkeypatch: pytest.MonkeyPatch, warehouse: Path):
    """The `lake` target of dbt_project/profiles.yml as dbt renders it."""
    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt.flags import set_from_args
    from dbt_common.context import set_invocation_context

    monkeypatch.setenv("CDS_WAREHOUSE_DIR", str(warehouse))
    set_from_args(Namespace(), None)
    set_invocation_context(os.environ)
    raw = read_profile(str(DBT_PROJECT_DIR))
    profile = Profile.from_raw_profiles(
        raw, "cds_warehouse", ProfileRenderer({}), target_override="lake"
    )
    return profile.credentials


def test_a_new_cursor_after_a_spill_opens(tmp_path: Path, monkeypatch) -> None:
    from dbt.adapters.duckdb.environments import Environment

    creds = _lake_credentials(monkeypatch, tmp_path)
    # as dbt-duckdb opens it (environments.initialize_db), with little memory to spill
    config = {**(creds.config_options or {}), "memory_limit": "30MB", "threads": 1}
    with duckdb.connect(":memory:", config=config) as con:
        first = Environment.initialize_cursor(creds, con.cursor())  # a model's cursor
        first.execute("set memory_limit = '30MB'")
        assert first.execute(SPILLING_QUERY).fetchone() == (3_000_000,)
        cursor = Environment.initialize_cursor(creds, con.cursor())  # the next model's
        assert cursor.execute("select 1").fetchone() == (1,)
    assert creds.config_options["temp_directory"] == f"{tmp_path}/.lake-tmp"


def test_duckdb_refuses_the_spill_folder_again_once_used(tmp_path: Path) -> None:
    """Why the folder is not a setting: the same value, set again after a spill, fails."""
    folder = str(tmp_path / "spill")
    config = {"temp_directory": folder, "memory_limit": "30MB", "threads": 1}
    with duckdb.connect(":memory:", config=config) as con:
        con.execute(SPILLING_QUERY).fetchall()
        with pytest.raises(duckdb.NotImplementedException, match="temporary directory"):
            con.cursor().execute(f"set temp_directory = '{folder}'")
