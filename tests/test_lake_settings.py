"""The lake's settings and its SQL dialect, without running the pipeline (issue 17).

How `--lake`/`CDS_LAKE` is read, that the extensions load from their PyPI packages with no
network, that the landing and audit schemas and a batch of file outcomes are written to a
DuckLake as to warehouse.duckdb (no sequence, no primary key there), and that a
warehouse.duckdb written by DuckDB 2.x is refused with a message saying how to rebuild it.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.cli import _warehouse_free
from pipelines.ingest.journal import FOLDER, Journal
from pipelines.ingest.landing import FileOutcome, ensure_schemas, write_outcomes
from pipelines.lake import Lake, LakeError, attach, extension_file, in_lake
from pipelines.settings import PROJECT_ROOT, Settings

FIXTURES = Path(__file__).parent / "fixtures"


def test_the_catalog_is_read_as_the_contract_writes_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    file_lake = Lake.parse("lake/catalog.ducklake", None)
    assert file_lake.catalog == f"ducklake:{tmp_path}/lake/catalog.ducklake"
    assert file_lake.data_path == f"{tmp_path}/lake/catalog.ducklake.files/"
    assert Lake.parse(file_lake.catalog, file_lake.data_path) == file_lake  # stable round trip
    pg = Lake.parse("postgres:dbname=cds host=127.0.0.1 port=5433", "data")
    assert pg.catalog == "ducklake:postgres:dbname=cds host=127.0.0.1 port=5433"
    assert pg.on_postgres and pg.data_path == f"{tmp_path}/data/"
    assert Lake.parse("ducklake:" + pg.catalog[len("ducklake:") :], "data") == pg
    assert Lake.parse("ducklake:/x.ducklake", "s3://bucket/cds/").data_path == "s3://bucket/cds/"
    with pytest.raises(LakeError, match="--lake-data"):
        Lake.parse("ducklake:postgres:dbname=cds", None)


def test_settings_carry_the_lake_to_dbt_and_the_ui(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CDS_LAKE", f"ducklake:{tmp_path}/c.ducklake")
    monkeypatch.setenv("CDS_LAKE_DATA", str(tmp_path / "d"))
    settings = Settings.from_env()
    assert settings.lake == Lake(f"ducklake:{tmp_path}/c.ducklake", f"{tmp_path}/d/")
    assert settings.to_env()["CDS_LAKE"] == settings.lake.catalog
    monkeypatch.delenv("CDS_LAKE")
    assert Settings.from_env().lake is None


def test_extensions_come_from_their_pypi_packages() -> None:
    for name in ("ducklake", "postgres_scanner"):
        path = extension_file(name)
        assert path.is_file() and f"v{duckdb.__version__}" in path.parts


def _outcome(name: str, status: str = "accepted") -> FileOutcome:
    accepted = pl.DataFrame({"school_code": ["31000001"], "_sheet": ["S"], "_row": [7]})
    return FileOutcome(
        source="schools",
        source_file=name,
        file_sha256=name * 4,
        file_size=10,
        status=status,
        meta={"school_code": "31000001"},
        rows_read=1,
        accepted=accepted if status == "accepted" else None,
    )


def test_outcomes_are_written_to_a_lake_with_their_own_load_numbers(tmp_path: Path) -> None:
    lake = Lake.parse(str(tmp_path / "c.ducklake"), str(tmp_path / "data"))
    con = duckdb.connect()
    attach(con, lake, tmp_path / "warehouse")
    assert in_lake(con)
    ensure_schemas(con)
    ensure_schemas(con)  # again: nothing to create
    con.execute("create table landing.schools (school_code varchar, _source_file varchar, "
                "_file_sha256 varchar, _sheet varchar, _row bigint, _loaded_at timestamp, "
                "_load_seq bigint)")  # fmt: skip
    schema = {"school_code": pl.String}
    now = datetime(2025, 6, 1)
    assert write_outcomes(con, [_outcome("a"), _outcome("b")], schema, now) == [1, 2]
    assert write_outcomes(con, [_outcome("c", "rejected")], schema, now) == [3]
    assert write_outcomes(con, [_outcome("d")], schema, now) == [4]
    assert con.sql("select _load_seq from landing.schools order by 1").fetchall() == [
        (1,),
        (2,),
        (4,),
    ]
    journal = Journal.for_connection(con, "schools")
    assert journal is not None
    assert journal.path == tmp_path / "warehouse" / FOLDER / "schools.jsonl"
    con.close()
    embedded = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    assert not in_lake(embedded)
    embedded.close()


def test_a_warehouse_written_by_a_newer_duckdb_is_refused_with_how_to_rebuild(
    tmp_path: Path,
) -> None:
    settings = Settings(raw_dir=tmp_path / "raw", warehouse_dir=tmp_path / "warehouse")
    settings.warehouse_dir.mkdir()
    # an empty database written by `duckdb.connect()` under DuckDB 2.0.1, which the project
    # had before the pin to 1.5.5
    shutil.copy(FIXTURES / "written_by_duckdb_2.0.1.duckdb", settings.warehouse_db)
    code, message = _warehouse_free(settings)
    assert code == 1
    assert "mới hơn" in message and f"rm {settings.warehouse_db}" in message


def test_an_analyst_reads_the_lake_read_only_as_the_readme_shows(tmp_path: Path) -> None:
    """The README's Python lines ("Reading the lake directly"), in their own process, on a
    catalog file a run has written and released: they read the mart and a write is refused.
    Checked with `(read_only)` dropped from the README: the insert went through and this
    test failed."""
    import re
    import subprocess
    import sys

    lake = Lake.parse(f"ducklake:{tmp_path / 'catalog.ducklake'}", str(tmp_path / "data"))
    con = duckdb.connect()
    attach(con, lake, tmp_path)
    con.execute(
        "create schema marts; create table marts.cds_maturity_school as "
        "select * from (values ('2024-2025', 2), ('2024-2025', 3), ('2025-2026', 2)) "
        "as t(school_year, verified_level)"
    )
    con.close()
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Reading the lake directly", 1)[1]
    snippet = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    snippet = snippet.replace("/srv/cds/catalog.ducklake", str(tmp_path / "catalog.ducklake"))
    write = (
        "\ntry:\n    con.execute(\"insert into lake.marts.cds_maturity_school values ('x', 1)\")\n"
        "except duckdb.Error as error:\n    print('REFUSED', error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", snippet + write], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "2024-2025" in result.stdout and "2025-2026" in result.stdout
    assert "REFUSED" in result.stdout and "read-only" in result.stdout
