"""Personal data never leaves ingestion (contract §3): no full name and no personal ID from
the raw files anywhere in warehouse.duckdb or analytics.duckdb; person_key is stable for a
secret and changes with it."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.ingest.pseudonym import Pseudonymizer, load_pseudonymizer
from pipelines.ingest.sources.specs import STUDENTS_SPEC, TEACHERS_SPEC
from pipelines.ingest.workbook import FileRejected, read_table
from tests.builders import PROJECT_ROOT
from tests.conftest import SAMPLE_SECRET as SECRET

# one run over the sample, shared (tests/conftest.py: SAMPLE_RUN_MODULES)
pytestmark = pytest.mark.e2e


def _personal_values(raw: Path) -> tuple[set[str], set[str]]:
    names: set[str] = set()
    ids: set[str] = set()
    for source, spec in (("students", STUDENTS_SPEC), ("teachers", TEACHERS_SPEC)):
        for path in sorted((raw / source).rglob("*.*")):
            try:
                data = read_table(path, spec).data
            except FileRejected:
                continue
            data = data.with_columns(pl.col(pl.String).str.normalize("NFC"))
            names |= set(data["full_name"].drop_nulls().to_list())
            ids |= {i for i in data["personal_id"].drop_nulls().to_list() if len(i) >= 9}
    return names, ids


@pytest.fixture(scope="module")
def run(sample_run: dict) -> dict:
    """The sample district's run (tests/conftest.py), made with SECRET."""
    names, ids = _personal_values(sample_run["raw"])
    return {
        "root": sample_run["root"],
        "names": names,
        "ids": ids,
        "log": sample_run["stdout"] + sample_run["stderr"],
    }


def _all_text(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        texts: list[str] = []
        for schema, table in tables:
            cols = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? "
                    "and table_name = ?",
                    [schema, table],
                ).fetchall()
            ]
            select = ", ".join(f'cast("{c}" as varchar)' for c in cols)
            for row in con.execute(f'select {select} from "{schema}"."{table}"').fetchall():
                texts.extend(v for v in row if v)
        return texts
    finally:
        con.close()


def _word_windows(text: str) -> set[str]:
    words = re.findall(r"[\w']+", text)
    return {" ".join(words[i : i + n]) for n in (2, 3, 4) for i in range(len(words) - n + 1)}


@pytest.mark.parametrize("db", ["warehouse.duckdb", "analytics.duckdb"])
def test_no_name_and_no_personal_id_in_any_table(run: dict, db: str) -> None:
    assert len(run["names"]) > 10_000 and len(run["ids"]) > 10_000
    texts = _all_text(run["root"] / "warehouse" / db)
    assert texts
    digits = {d for t in texts for d in re.findall(r"\d{9,}", t)}
    assert digits & run["ids"] == set()  # no ID, whole or inside a longer text
    cells = set(texts)
    assert cells & run["names"] == set()  # no name as a cell
    windows = set().union(*(_word_windows(t) for t in cells if len(t) > 20 and " " in t))
    assert windows & run["names"] == set()  # nor inside a message, a value or a JSON record


def test_analytics_has_no_person_level_rows(run: dict) -> None:
    con = duckdb.connect(str(run["root"] / "warehouse" / "analytics.duckdb"), read_only=True)
    cols = {
        r[0] for r in con.execute("select column_name from information_schema.columns").fetchall()
    }
    con.close()
    assert not cols & {
        "person_key",
        "identity_key",
        "full_name",
        "personal_id",
        "student_code",
        "staff_code",
    }


def test_secret_never_logged(run: dict) -> None:
    assert SECRET not in run["log"]


def test_same_id_same_key_across_schools_and_runs(run: dict) -> None:
    con = duckdb.connect(str(run["root"] / "warehouse" / "warehouse.duckdb"), read_only=True)
    expected = Pseudonymizer(SECRET.encode()).keys(pl.Series(["031215001234"]))[0]
    stored = {
        r[0] for r in con.execute("select person_key from landing.students limit 200").fetchall()
    }
    con.close()
    assert all(k is None or len(k) == 64 for k in stored)
    same = Pseudonymizer(SECRET.encode())
    other = Pseudonymizer(b"another-secret")
    ids = pl.Series(["031215001234", "031215001234", "079300123456"])
    assert same.keys(ids).to_list()[0] == same.keys(ids).to_list()[1] == expected
    assert same.keys(ids).to_list() != other.keys(ids).to_list()


def test_key_file_is_created_owner_only(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CDS_PSEUDONYM_KEY", raising=False)
    key_file = tmp_path / "secrets" / "pseudonym.key"
    monkeypatch.setenv("CDS_PSEUDONYM_KEY_FILE", str(key_file))
    first = load_pseudonymizer()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    again = load_pseudonymizer()  # the same key on the next run
    ids = pl.Series(["031215001234"])
    assert first.keys(ids).to_list() == again.keys(ids).to_list()
    assert "secret" not in repr(first).lower().replace("<secret>", "")
    os.chmod(key_file, 0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        load_pseudonymizer()


def test_secret_in_no_file_the_run_wrote(run: dict) -> None:
    """Not in the warehouse, analytics.duckdb, Parquet, Excel, HTML, dbt or GX docs."""
    written = [f for f in (run["root"] / "warehouse").rglob("*") if f.is_file()]
    assert len(written) > 20
    assert [f for f in written if SECRET.encode() in f.read_bytes()] == []


def test_key_file_readable_by_others_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CDS_PSEUDONYM_KEY", raising=False)
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text("abc")
    key_file.chmod(0o644)
    monkeypatch.setenv("CDS_PSEUDONYM_KEY_FILE", str(key_file))
    with pytest.raises(PermissionError, match="chmod 600"):
        load_pseudonymizer()


def test_no_secret_in_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked and not [f for f in tracked if f.startswith(".secrets/") or f.endswith(".key")]
    assert ".secrets/" in (PROJECT_ROOT / ".gitignore").read_text().split()
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".secrets/pseudonym.key"], cwd=PROJECT_ROOT
    )
    assert ignored.returncode == 0
