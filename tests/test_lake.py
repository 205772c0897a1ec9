"""`cds run --lake` (issue 17, item 2): the warehouse on DuckLake builds the same marts.

A small district cut from the bundled sample (the registry and every file of seven schools:
quarantined rows, corrupt files, resubmissions, a personal ID shared across schools) is run
three ways: embedded (`warehouse.duckdb`), on a catalog file, and on a PostgreSQL catalog of
a throwaway server this module starts and stops. Each published table is compared row by
row with the embedded run's, and so are the marts kept in the lake itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.lake import Lake, attach
from tests.builders import PROJECT_ROOT, cds_run
from tests.conftest import query
from tests.pg_server import throwaway_postgres

# starts the whole pipeline (cds run) and PostgreSQL: left out of `make test-fast`
pytestmark = pytest.mark.e2e

SCHOOLS = ("31305001", "31305004", "31305012", "31305015", "31305020", "31305043", "31305053")
ENV = {"CDS_PSEUDONYM_KEY": "test-secret-for-the-lake"}


def _district(root: Path) -> Path:
    raw = root / "raw"
    shutil.copytree(PROJECT_ROOT / "raw" / "schools", raw / "schools")
    for path in (PROJECT_ROOT / "raw").rglob("*"):
        if path.is_file() and path.name.startswith(SCHOOLS):
            target = raw / path.relative_to(PROJECT_ROOT / "raw")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    return raw


def _run(raw: Path, warehouse: Path, *lake: str) -> str:
    result = cds_run(raw, warehouse, extra_env=ENV, extra_args=list(lake))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def _published(analytics: Path) -> dict[str, list[tuple]]:
    tables = [
        r[0]
        for r in query(
            analytics,
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1",
        )
    ]
    return {t: sorted(query(analytics, f"select * from marts.{t}"), key=repr) for t in tables}


def _lake_marts(lake: Lake, tables: list[str]) -> dict[str, list[tuple]]:
    """The marts as the lake holds them (read by an analyst's own connection)."""
    con = duckdb.connect()
    try:
        attach(con, lake, Path("/nonexistent"))
        return {t: sorted(con.sql(f"select * from marts.{t}").fetchall(), key=repr) for t in tables}
    finally:
        con.close()


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("lake")
    raw = _district(root)
    _run(raw, root / "embedded")
    return {"root": root, "raw": raw, "marts": _published(root / "embedded" / "analytics.duckdb")}


def _assert_same_marts(district: dict, warehouse: Path, lake: Lake) -> None:
    marts = district["marts"]
    assert len(marts) >= 11 and sum(map(len, marts.values())) > 0
    published = _published(warehouse / "analytics.duckdb")
    assert published.keys() == marts.keys()
    for table, rows in marts.items():
        assert published[table] == rows, table
    for table, rows in _lake_marts(lake, list(marts)).items():
        assert rows == marts[table], table


def test_a_catalog_file_lake_builds_the_same_marts(district: dict) -> None:
    root = district["root"]
    warehouse = root / "lake_file_warehouse"
    catalog, data = root / "lake" / "catalog.ducklake", root / "lake" / "data"
    catalog.parent.mkdir()
    out = _run(
        district["raw"], warehouse, "--lake", f"ducklake:{catalog}", "--lake-data", str(data)
    )
    assert "DuckLake" in out
    lake = Lake.parse(f"ducklake:{catalog}", str(data))
    _assert_same_marts(district, warehouse, lake)
    # the tables live in the lake; the warehouse folder holds what is published
    assert not (warehouse / "warehouse.duckdb").exists()
    assert list(data.rglob("*.parquet"))
    assert list((warehouse / "reports").glob("bao_cao_cds_*.xlsx"))
    assert list((warehouse / "parquet").rglob("*.parquet"))
    # a second run over the same files loads nothing again and changes nothing (a rejected
    # file is judged again on every run, and recorded again under a new load number)
    loads = _loads(lake, warehouse)
    _run(district["raw"], warehouse, "--lake", f"ducklake:{catalog}", "--lake-data", str(data))
    _assert_same_marts(district, warehouse, lake)
    assert _loads(lake, warehouse) == loads


def _loads(lake: Lake, warehouse: Path) -> dict[str, object]:
    """What the lake has loaded: accepted loads and their numbers, rows per landing table."""
    con = duckdb.connect()
    try:
        attach(con, lake, warehouse)
        tables = [
            r[0]
            for r in con.sql(
                "select table_name from duckdb_tables() where database_name = 'lake' "
                "and schema_name = 'landing' order by 1"
            ).fetchall()
        ]
        return {
            "accepted": con.sql(
                "select load_seq, source_file from audit.ingest_files "
                "where status = 'accepted' order by 1"
            ).fetchall(),
            "by_status": con.sql(
                "select status, count(*) from audit.ingest_files group by 1 order by 1"
            ).fetchall(),
            **{t: con.sql(f"select count(*) from landing.{t}").fetchone() for t in tables},
        }
    finally:
        con.close()


def test_a_postgresql_catalog_builds_the_same_marts(district: dict) -> None:
    root = district["root"]
    warehouse = root / "lake_pg_warehouse"
    data = root / "lake_pg_data"
    with throwaway_postgres() as dsn:
        catalog = f"ducklake:postgres:{dsn}"
        # CDS_LAKE and CDS_LAKE_DATA say the same as --lake and --lake-data
        result = cds_run(
            district["raw"],
            warehouse,
            extra_env={**ENV, "CDS_LAKE": catalog, "CDS_LAKE_DATA": str(data)},
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        _assert_same_marts(district, warehouse, Lake.parse(catalog, str(data)))
    assert not (warehouse / "warehouse.duckdb").exists()
