"""Personal data never leaves ingestion (contract §3): no full name and no personal ID from
the raw files anywhere in warehouse.duckdb or analytics.duckdb; no person-level row in what
is published; person_key is HMAC-SHA256(secret, ID), stable for a secret and changing with
it; the secret is in no log, no file a run writes, and not in the repository.

Issue 21, item 5: the stored keys are compared with keys computed here, with Python's
`hmac`, from the formula the README and docs/interface.md §3 give (never with the
pseudonymizer under test), row by row against the IDs the raw files hold; a null key
cannot pass; the secret scan covers the sample run's secret and the deployment's default
key file (`.secrets/pseudonym.key`), in the run's files, the project's warehouse/,
dbt_project/target/ and logs, and every file git tracks; "no person-level row" is checked
on the rows and values of every published table and Parquet file, not on column names.

How this was checked (issue 21): in a copy of the checkout (other engineers share this
one), product code was broken once and the sample run made again, then this module run:
- people.py's `finish` keyed pupils' IDs as HMAC(secret, school code + ID) and left every
  staff key null: `test_stored_keys_are_the_hmac_of_the_raw_ids[students]` and
  `[teachers]` failed, and so did `test_keys_are_stable_across_schools_and_change_with_the_
  secret` (no ID shared by two schools had one key any more); the former test could not
  have failed (it computed its expected key with the pseudonymizer itself and accepted
  null keys);
- a dbt mart `pupil_list` (school, class, birth year, gender of every pupil; no name, ID or
  key) was added: `test_analytics_has_no_person_level_rows` failed on its row count;
- `load_pseudonymizer` printed the secret and wrote it under dbt_project/target/:
  `test_secret_never_logged` and `test_secret_in_no_file_the_run_or_the_project_wrote`
  failed;
- the default key file's value was written into docs/interface.md and the file committed
  in the copy's own git: `test_no_secret_in_the_repository` failed.
Restored; no break was committed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import subprocess
import unicodedata
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.ingest.pseudonym import DEFAULT_KEY_FILE, Pseudonymizer, load_pseudonymizer
from pipelines.ingest.sources.specs import STUDENTS_SPEC, TEACHERS_SPEC
from pipelines.ingest.workbook import FileRejected, read_table
from tests.builders import PROJECT_ROOT, SESSION_DATE
from tests.conftest import SAMPLE_SECRET as SECRET

# one run over the sample, shared (tests/conftest.py: SAMPLE_RUN_MODULES)
pytestmark = pytest.mark.e2e

PEOPLE = {"students": (STUDENTS_SPEC, "student_code"), "teachers": (TEACHERS_SPEC, "staff_code")}


def _nfc(value: str | None) -> str | None:
    """A cell as ingestion keeps free text: stripped, NFC, blank is null."""
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value.strip())
    return value or None


def _fold(name: str) -> str:
    """A name folded as people.py's `identity_key` describes (accents, đ, case, spacing and
    punctuation dropped), written here from that description."""
    bare = "".join(c for c in unicodedata.normalize("NFD", name) if unicodedata.category(c) != "Mn")
    folded = "".join(c for c in bare.replace("đ", "d").replace("Đ", "d").lower() if c.isalnum())
    return folded or re.sub(r"\s", "", name)


def _birth(value: str | None) -> str:
    """The birth date as ISO text, or '' when it is not a date ingestion keeps (the sample
    writes `dd/mm/yyyy`, or a date cell read as `yyyy-mm-dd 00:00:00`)."""
    if value is None:
        return ""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            day = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        ok = date(1900, 1, 1) <= day <= date.fromisoformat(SESSION_DATE)
        return day.isoformat() if ok else ""
    raise AssertionError(f"a birth date this test cannot read: {value!r}")


def hmac_hex(secret: str, text: str) -> str:
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def _raw_people(raw: Path) -> dict:
    """Names, IDs and, per landed row (source, file, sheet, row), the ID and the identity
    text of every person in the raw exports, read with the project's reader."""
    names: set[str] = set()
    ids: set[str] = set()
    rows: dict[str, dict[tuple[str, str | None, int], tuple[str | None, str]]] = {}
    for source, (spec, _code) in PEOPLE.items():
        rows[source] = {}
        for path in sorted((raw / source).rglob("*.*")):
            try:
                read = read_table(path, spec)
            except FileRejected:
                continue
            rel = path.relative_to(raw).as_posix()
            data = read.data
            sheets = data["_sheet"] if "_sheet" in data.columns else [None] * data.height
            for sheet, row, pid, name, birth in zip(
                sheets,
                data["_row"],
                data["personal_id"] if "personal_id" in data.columns else [None] * data.height,
                data["full_name"] if "full_name" in data.columns else [None] * data.height,
                data["birth_date"] if "birth_date" in data.columns else [None] * data.height,
                strict=True,
            ):
                pid, name = _nfc(pid), _nfc(name)
                if name:
                    names.add(name)
                if pid and len(pid) >= 9:
                    ids.add(pid)
                identity = f"{pid or ''}|{_fold(name) if name else ''}|{_birth(_nfc(birth))}"
                rows[source][(rel, sheet or read.sheet, row)] = (pid, identity)
    return {"names": names, "ids": ids, "rows": rows}


@pytest.fixture(scope="module")
def run(sample_run: dict) -> dict:
    """The sample district's run (tests/conftest.py), made with SECRET."""
    people = _raw_people(sample_run["raw"])
    return {
        "root": sample_run["root"],
        **people,
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


@pytest.mark.parametrize("source", sorted(PEOPLE))
def test_stored_keys_are_the_hmac_of_the_raw_ids(run: dict, source: str) -> None:
    """Every landed person's `person_key` is HMAC-SHA256(secret, ID) of the ID in its own
    raw row, and `identity_key` the HMAC of `ID|folded name|birth date`, computed here with
    `hmac`; a row with an ID has a key (no null passes), a row without one has none. So the
    same ID has the same key in every school and every run made with the secret."""
    con = duckdb.connect(str(run["root"] / "warehouse" / "warehouse.duckdb"), read_only=True)
    landed = con.execute(
        f"select _source_file, _sheet, _row, person_key, identity_key from landing.{source}"
    ).fetchall()
    con.close()
    raw = run["rows"][source]
    assert len(landed) > 5_000
    with_id = checked = 0
    for file, sheet, row, person_key, identity_key in landed:
        pid, identity = raw[(file, sheet, row)]  # every landed row is a raw row
        if pid is None:
            assert person_key is None, (file, row)
        else:
            with_id += 1
            assert person_key == hmac_hex(SECRET, pid), (file, sheet, row)
        assert identity_key == hmac_hex(SECRET, identity), (file, sheet, row)
        checked += 1
    assert checked == len(landed)
    # nearly every row has an ID (the sample's faults blank a few): all of them were keyed
    assert with_id > 0.95 * len(landed)


def test_keys_are_stable_across_schools_and_change_with_the_secret(run: dict) -> None:
    """The same ID sent by two schools (the sample's `id_duplicate_across_schools` faults)
    lands with one key; another secret gives other keys for the same IDs."""
    con = duckdb.connect(str(run["root"] / "warehouse" / "warehouse.duckdb"), read_only=True)
    shared = con.execute(
        "select person_key, count(distinct school_code) from landing.students "
        "where person_key is not null group by 1 having count(distinct school_code) > 1"
    ).fetchall()
    con.close()
    assert shared
    ids = pl.Series(sorted(run["ids"])[:50])
    mine, other = Pseudonymizer(SECRET.encode()), Pseudonymizer(b"another-secret")
    assert mine.keys(ids).to_list() == [hmac_hex(SECRET, i) for i in ids]
    assert set(mine.keys(ids)).isdisjoint(other.keys(ids))


def _published_tables(warehouse: Path) -> dict[str, tuple[int, list[set[str]]]]:
    """Every published table (analytics.duckdb's marts, every Parquet export): its row count
    and the distinct values of each column, as text."""
    out: dict[str, tuple[int, list[set[str]]]] = {}
    con = duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        relations = [(f"{s}.{t}", f'"{s}"."{t}"') for s, t in tables]
        for folder in sorted((warehouse / "parquet").iterdir()):
            glob = f"{folder}/**/*.parquet" if folder.is_dir() else str(folder)
            relations.append((f"parquet/{folder.name}", f"read_parquet('{glob}')"))
        for name, relation in relations:
            cols = [d[0] for d in con.execute(f"select * from {relation} limit 0").description]
            n = con.execute(f"select count(*) from {relation}").fetchone()[0]
            values = [
                {
                    r[0]
                    for r in con.execute(
                        f'select distinct cast("{c}" as varchar) from {relation}'
                    ).fetchall()
                    if r[0] is not None
                }
                for c in cols
            ]
            out[name] = (n, values)
    finally:
        con.close()
    return out


def test_analytics_has_no_person_level_rows(run: dict) -> None:
    """What is published holds no row per person: every table and Parquet export has fewer
    rows than the pupils of any one period, and no cell is a pupil's or staff member's code,
    key, name or 12-digit ID."""
    warehouse = run["root"] / "warehouse"
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    per_period = [
        n
        for (n,) in con.execute(
            "select count(distinct person_key) from landing.students group by school_year, period"
        ).fetchall()
    ]
    personal = {
        v
        for (v,) in con.execute(
            "select student_code from landing.students union select person_key from "
            "landing.students union select identity_key from landing.students "
            "union select staff_code from landing.teachers union select person_key from "
            "landing.teachers union select identity_key from landing.teachers"
        ).fetchall()
        if v is not None
    }
    con.close()
    assert len(per_period) >= 2 and min(per_period) > 10_000 and len(personal) > 50_000
    personal |= run["names"] | {i for i in run["ids"] if len(i) == 12}
    published = _published_tables(warehouse)
    assert len(published) >= 2 * 11  # the 11 marts, in analytics.duckdb and as Parquet
    too_many = {t: n for t, (n, _) in published.items() if n >= min(per_period)}
    assert too_many == {}, "a published table has as many rows as a period's pupils"
    for table, (_n, columns) in published.items():
        for values in columns:
            assert values.isdisjoint(personal), table


def test_secret_never_logged(run: dict) -> None:
    assert SECRET not in run["log"]


def test_key_file_is_created_owner_only(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CDS_PSEUDONYM_KEY", raising=False)
    key_file = tmp_path / "secrets" / "pseudonym.key"
    monkeypatch.setenv("CDS_PSEUDONYM_KEY_FILE", str(key_file))
    first = load_pseudonymizer()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    value = key_file.read_text(encoding="utf-8")
    assert re.fullmatch(r"[0-9a-f]{64}", value)  # 64 random hex characters
    again = load_pseudonymizer()  # the same key on the next run
    ids = pl.Series(["031215001234"])
    assert first.keys(ids).to_list() == again.keys(ids).to_list() == [hmac_hex(value, ids[0])]
    assert "secret" not in repr(first).lower().replace("<secret>", "")
    assert value not in repr(first)
    os.chmod(key_file, 0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        load_pseudonymizer()


def _deployment_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    """The default key file's value (`.secrets/pseudonym.key`): what every run without
    CDS_PSEUDONYM_KEY (make run, the UI, most tests' runs) keys with. Created as a first run
    would create it when this checkout has none yet."""
    if not DEFAULT_KEY_FILE.exists():
        monkeypatch.delenv("CDS_PSEUDONYM_KEY", raising=False)
        monkeypatch.delenv("CDS_PSEUDONYM_KEY_FILE", raising=False)
        load_pseudonymizer()
    value = DEFAULT_KEY_FILE.read_text(encoding="utf-8").strip()
    assert len(value) >= 32
    return value


def _forms(secret: str) -> list[bytes]:
    """The secret as text, as hex, and as the two HMAC pads (key XOR 0x36 / 0x5c, RFC 2104)
    that the pseudonymizer hands DuckDB, raw and hex: a leak of any of them is a leak."""
    key = secret.encode("utf-8")
    key = (key if len(key) <= 64 else hashlib.sha256(key).digest()).ljust(64, b"\0")
    pads = [bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)]
    return [
        secret.encode(),
        secret.encode().hex().encode(),
        *pads,
        *(p.hex().encode() for p in pads),
    ]


def _files_holding(roots: list[Path], needles: list[bytes]) -> list[str]:
    found = []
    for root in roots:
        for f in root.rglob("*") if root.is_dir() else [root]:
            try:
                if f.is_symlink() or not f.is_file():
                    continue
                data = f.read_bytes()
            except (FileNotFoundError, PermissionError):  # another run's scratch, gone
                continue
            if any(n in data for n in needles):
                found.append(str(f))
    return found


def test_secret_in_no_file_the_run_or_the_project_wrote(run: dict, monkeypatch) -> None:
    """Neither the sample run's secret nor the deployment's default key is in any file the
    run wrote (warehouse, analytics.duckdb, Parquet, Excel, HTML, dbt and GX docs, the
    ingest journal), in the project's own warehouse/, dbt_project/target/ (every dbt
    invocation's artefacts: manifests, run results, compiled SQL) or in the logs."""
    written = [f for f in (run["root"] / "warehouse").rglob("*") if f.is_file()]
    assert len(written) > 20
    target = PROJECT_ROOT / "dbt_project" / "target"
    # the run's dbt wrote here: an invocation folder with its compiled SQL
    assert target.is_dir() and any(target.glob("dbt_models-*/compiled/**/*.sql"))
    needles = _forms(SECRET) + _forms(_deployment_secret(monkeypatch))
    places = [
        run["root"],
        PROJECT_ROOT / "warehouse",
        target,
        PROJECT_ROOT / "dbt_project" / "logs",
        PROJECT_ROOT / "logs",
    ]
    assert _files_holding(places, needles) == []


def test_key_file_readable_by_others_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CDS_PSEUDONYM_KEY", raising=False)
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text("abc")
    key_file.chmod(0o644)
    monkeypatch.setenv("CDS_PSEUDONYM_KEY_FILE", str(key_file))
    with pytest.raises(PermissionError, match="chmod 600"):
        load_pseudonymizer()


def test_no_secret_in_the_repository(monkeypatch) -> None:
    """No key file is tracked, .secrets/ is ignored, and no tracked file holds the
    deployment's key in any form (its content is read, not only its name)."""
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    tracked = [f for f in tracked if f]
    assert len(tracked) > 100
    assert not [f for f in tracked if f.startswith(".secrets/") or f.endswith(".key")]
    assert ".secrets/" in (PROJECT_ROOT / ".gitignore").read_text().split()
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".secrets/pseudonym.key"], cwd=PROJECT_ROOT
    )
    assert ignored.returncode == 0
    needles = _forms(_deployment_secret(monkeypatch))
    assert _files_holding([PROJECT_ROOT / f for f in tracked], needles) == []
