"""Property-based tests (hypothesis) of the reader, the personal-ID validator and the landing
write (issue 8): whatever a cell holds, ingestion never crashes; every row is accepted or
quarantined, or the file is rejected with a reason, and the counts add up.

Issue 21, item 8: well-formed IDs are built here from the rule as docs/interface.md §3
states it (province, gender-and-century digit, two-digit year, six digits), over every
century the rule covers (1800–2199), never with the validator's own `century_digit`; and
the landing write is fuzzed: random files, rewritten, copied and broken between runs, leave
landing + quarantine holding each file's rows exactly once, and a run with nothing new
changes nothing.

How this was checked (issue 21), each in a copy of the checkout, restored, never committed:
- the 1800s digits (8, 9) removed from `CENTURY_DIGITS` in pipelines/ingest/personal_id.py:
  `test_well_formed_ids_pass` failed on a person born in the 1800s (the former test, built
  with `century_digit` over 1900–2099, passed);
- `_forget_rejections` in pipelines/ingest/landing.py made a no-op:
  `test_landing_write_keeps_every_row_once` failed (a rejected file tried again was recorded
  twice);
- `done[sha] = rel` removed from `ingest_source` (pipelines/ingest/runner.py): the same test
  failed (a copy made in the same run landed its rows a second time).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.generate.build import COLUMNS
from pipelines.generate.writers import Layout, write_table
from pipelines.ingest.personal_id import CENTURY_DIGITS, RULES_VI, id_rule_expr
from pipelines.ingest.runner import evaluate_file, load_ingest_context
from pipelines.ingest.sources import SOURCES
from pipelines.ingest.sources.people import mask_id_expr
from pipelines.reference.code_lists import load_code_lists
from pipelines.settings import SHIPPED_REFERENCE, Settings

PROVINCES = sorted(load_code_lists(SHIPPED_REFERENCE / "code_lists.csv").codes("birth_province"))
SCHOOL = "31000001"

# ── the personal-ID validator ───────────────────────────────────────────────────────────


def _rules(ids: list[str | None], female: list[bool | None], years: list[int | None]) -> list:
    df = pl.DataFrame(
        {"pid": ids, "female": female, "year": years},
        schema={"pid": pl.String, "female": pl.Boolean, "year": pl.Int32},
    )
    return df.select(id_rule_expr("pid", "female", "year", PROVINCES)).to_series().to_list()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(max_size=20), st.from_regex(r"\d{9,13}", fullmatch=True)),
            st.one_of(st.none(), st.booleans()),
            st.one_of(st.none(), st.integers(min_value=1800, max_value=2199)),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_any_id_gets_no_rule_or_a_known_rule(rows: list[tuple]) -> None:
    ids, female, years = (list(c) for c in zip(*rows, strict=True))
    for result in _rules(ids, female, years):
        assert result is None or result in RULES_VI


# docs/interface.md §3, written out here: the 4th digit by century of birth and gender
# (0/1 male/female born 1900–1999, 2/3 2000–2099, 4/5 2100–2199, 8/9 1800–1899)
GENDER_CENTURY_DIGIT = {
    (1800, False): 8,
    (1800, True): 9,
    (1900, False): 0,
    (1900, True): 1,
    (2000, False): 2,
    (2000, True): 3,
    (2100, False): 4,
    (2100, True): 5,
}
FIRST_YEAR, LAST_YEAR = 1800, 2199  # every century the rule covers


def _well_formed(province: str, female: bool, year: int, serial: str) -> str:
    digit = GENDER_CENTURY_DIGIT[(year // 100 * 100, female)]
    return f"{province}{digit}{year % 100:02d}{serial}"


PERSON = (
    st.sampled_from(PROVINCES),
    st.booleans(),
    st.integers(min_value=FIRST_YEAR, max_value=LAST_YEAR),
    st.from_regex(r"\d{6}", fullmatch=True),
)


def test_the_validator_claims_the_same_centuries() -> None:
    """The validator's own table covers 1800–2199, as the contract says: the property
    below draws from that whole range."""
    starts = {start for start, _ in CENTURY_DIGITS.values()}
    assert (min(starts), max(starts) + 99) == (FIRST_YEAR, LAST_YEAR)


@settings(max_examples=300, deadline=None)
@given(*PERSON, st.booleans(), st.booleans())
def test_well_formed_ids_pass(
    province: str, female: bool, year: int, serial: str, gender_known: bool, year_known: bool
) -> None:
    """A well-formed ID passes for its person, and when the gender or the birth year is
    unknown (the check is skipped, not failed)."""
    pid = _well_formed(province, female, year, serial)
    who = (female if gender_known else None, year if year_known else None)
    assert _rules([pid], [who[0]], [who[1]]) == [None]


@settings(max_examples=200, deadline=None)
@given(*PERSON, st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=99))
def test_an_id_that_disagrees_with_its_person_is_named(
    province: str, female: bool, year: int, serial: str, digit: int, shift: int
) -> None:
    """Another 4th digit breaks gender-and-century; other year digits break the birth year."""
    pid = _well_formed(province, female, year, serial)
    if digit != int(pid[3]):
        wrong = pid[:3] + str(digit) + pid[4:]
        assert _rules([wrong], [female], [year]) == ["id_gender_century_mismatch"]
    wrong_year = pid[:4] + f"{(year + shift) % 100:02d}" + pid[6:]
    assert _rules([wrong_year], [female], [year]) == ["id_birth_year_mismatch"]


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"\d{12}", fullmatch=True))
def test_masked_id_never_shows_the_id(pid: str) -> None:
    masked = pl.DataFrame({"p": [pid]}).select(mask_id_expr("p")).item()
    assert pid not in masked and pid[3:] not in masked


# ── the reader and a source's rules, on arbitrary cells ─────────────────────────────────

CELL = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["#VALUE!", "1.234", "1,5", "31/02/2024", "45716", "Đã ký", "  ", "=1+1"]),
)


@pytest.fixture(scope="module")
def context():
    registry = pl.DataFrame(
        {"school_code": [SCHOOL], "level": ["TH"], "is_active": [True]},
    )
    settings_ = Settings(raw_dir=Path("."), warehouse_dir=Path("."), reference_dir=None)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDS_PSEUDONYM_KEY", "hypothesis-test-secret")
        yield {
            name: load_ingest_context(settings_, registry=registry, personal=SOURCES[name].personal)
            for name in ("students", "teachers", "emis_report", "cds_assessment")
        }


def _header(source: str) -> list[tuple[str, object]]:
    header: list[tuple[str, object]] = [("Mã trường", SCHOOL), ("Năm học", "2024-2025")]
    if source != "cds_assessment":
        header.append(("Kỳ báo cáo", "Đầu năm"))
    header.append(
        (
            "Ngày xuất dữ liệu" if source in ("students", "teachers") else "Ngày báo cáo",
            "05/10/2024",
        )
    )
    return header


def _judge(path: Path, source: str, ctx) -> None:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    outcome = evaluate_file(path, path.name, sha, SOURCES[source], ctx)
    assert outcome.status in ("accepted", "rejected")
    if outcome.status == "rejected":
        assert outcome.reject_rule and outcome.reject_message_vi
        assert outcome.rows_read == 0
    else:
        assert outcome.rows_read == outcome.rows_accepted + outcome.rows_quarantined
        errors = outcome.issues.filter(pl.col("severity") == "error")
        assert set(errors["_row"].drop_nulls()) == set(outcome.quarantined["_row"])
        assert errors["message_vi"].null_count() == 0


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    source=st.sampled_from(["students", "teachers", "emis_report", "cds_assessment"]),
    suffix=st.sampled_from([".xlsx", ".csv"]),
    data=st.data(),
)
def test_arbitrary_cells_never_crash_ingestion(context, source: str, suffix: str, data) -> None:
    columns = COLUMNS[source]
    rows = data.draw(
        st.lists(st.lists(CELL, min_size=len(columns), max_size=len(columns)), max_size=15)
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{source}{suffix}"
        write_table(
            path,
            header=_header(source),
            columns=columns,
            rows=rows,
            layout=Layout(header_layout="split"),
        )
        _judge(path, source, context[source])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    source=st.sampled_from(["students", "emis_report"]),
    suffix=st.sampled_from([".xlsx", ".xls", ".csv"]),
    content=st.binary(max_size=2_000),
)
def test_arbitrary_bytes_are_rejected_or_read(
    context, source: str, suffix: str, content: bytes
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"tep{suffix}"
        path.write_bytes(content)
        _judge(path, source, context[source])


# ── the landing write, fuzzed: files written, rewritten, copied and broken between runs ──

NAMES = ("a", "b", "c")
COPY, BROKEN = "copy of a", "broken"
EMIS_CODES = ["101", "111", "201", "301", "999"]  # 999 is not in the index: quarantined
COUNT = st.one_of(
    st.none(), st.integers(min_value=-3, max_value=400), st.sampled_from(["x", "1.234", "-"])
)
EMIS_FILE = st.lists(
    st.tuples(st.sampled_from(EMIS_CODES), COUNT, COUNT, COUNT), min_size=1, max_size=8
)
STEP = st.dictionaries(
    st.sampled_from(NAMES),
    st.tuples(
        st.sampled_from([".csv", ".xlsx"]),
        st.one_of(EMIS_FILE, st.just(COPY), st.just(BROKEN)),
    ),
    min_size=1,
    max_size=3,
)

# a rejected file is judged again on every run, under a new load number: compared without it
_TABLES = {
    "landing.emis_report": "select * exclude (_loaded_at, _load_seq) from landing.emis_report",
    "audit.ingest_files": "select * exclude (loaded_at, load_seq) from audit.ingest_files",
    "audit.ingest_issues": "select * exclude (loaded_at, load_seq) from audit.ingest_issues",
    "audit.quarantined_rows": "select * exclude (loaded_at, load_seq) from audit.quarantined_rows",
}


def _snapshot(con) -> dict[str, list]:
    return {t: sorted(map(repr, con.execute(sql).fetchall())) for t, sql in _TABLES.items()}


def _write_step(raw: Path, step: dict, rows_of: dict[str, int]) -> None:
    """Write one step's files under raw/emis_report/; `rows_of` learns each new content's
    data rows (its sha256 → rows written), the input the landing must account for."""
    folder = raw / "emis_report"
    folder.mkdir(parents=True, exist_ok=True)
    for name, (suffix, content) in sorted(step.items()):
        for old in folder.glob(f"{name}.*"):
            old.unlink()  # a school sending the file again, maybe in another format
        path = folder / f"{name}{suffix}"
        if content == BROKEN:
            path.write_bytes(b"PK\x03\x04 not a workbook " + name.encode())
            continue
        if content == COPY:
            source = next(iter(sorted(folder.glob("a.*"))), None)
            if source is None or source == path:
                continue
            path = path.with_suffix(source.suffix)
            path.write_bytes(source.read_bytes())
            continue
        rows = [[code, f"Chỉ tiêu {i}", *counts] for i, (code, *counts) in enumerate(content)]
        write_table(
            path,
            header=_header("emis_report"),
            columns=COLUMNS["emis_report"],
            rows=rows,
            layout=Layout(header_layout="split"),
        )
        rows_of.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), len(rows))


def _check_landing(con, rows_of: dict[str, int], present: set[str]) -> None:
    landed = dict(
        con.execute("select _file_sha256, count(*) from landing.emis_report group by 1").fetchall()
    )
    kept = dict(
        con.execute(
            "select file_sha256, count(*) from audit.quarantined_rows group by 1"
        ).fetchall()
    )
    files = con.execute(
        "select file_sha256, source_file, status, rows_read, rows_accepted, rows_quarantined "
        "from audit.ingest_files"
    ).fetchall()
    accepted = [f for f in files if f[2] == "accepted"]
    # every content ever present was accepted exactly once, with exactly the rows written
    assert sorted(f[0] for f in accepted) == sorted(present)
    for sha, _file, _status, read, ok, quarantined in accepted:
        assert read == rows_of[sha] == ok + quarantined
        assert (landed.get(sha, 0), kept.get(sha, 0)) == (ok, quarantined)
    assert set(landed) | set(kept) <= present  # nothing from a rejected or copied file
    assert sum(landed.values()) + sum(kept.values()) == sum(rows_of[s] for s in present)
    # a file is recorded once per content and path: a rejection tried again replaces itself
    keys = [(f[0], f[1], f[2]) for f in files]
    assert len(keys) == len(set(keys))
    assert all(f[3] == 0 for f in files if f[2] != "accepted")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=1, max_size=4), batch_files=st.integers(1, 3))
def test_landing_write_keeps_every_row_once(context, steps: list[dict], batch_files: int) -> None:
    """Random reports (good rows, quarantined rows, counts as text), the same names written
    again with new content, copies and broken files, run after run in batches of 1–3 files:
    landing + quarantine hold each accepted content's rows once, as many as were written;
    a run that finds nothing new leaves every table as it was."""
    from datetime import datetime

    import duckdb

    from pipelines.ingest import runner

    ctx = context["emis_report"]
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "BATCH_FILES", batch_files)
        raw = Path(tmp) / "raw"
        con = duckdb.connect()  # in memory: no crash journal
        rows_of: dict[str, int] = {}
        present: set[str] = set()  # contents accepted so far
        for k, step in enumerate(steps):
            _write_step(raw, step, rows_of)
            at = datetime(2025, 1, 1 + k)
            runner.ingest_source(con, SOURCES["emis_report"], raw, ctx, at, workers=1)
            present |= {
                sha
                for p in (raw / "emis_report").iterdir()
                if (sha := hashlib.sha256(p.read_bytes()).hexdigest()) in rows_of
            }
            _check_landing(con, rows_of, present)
            before = _snapshot(con)
            runner.ingest_source(con, SOURCES["emis_report"], raw, ctx, at, workers=1)
            assert _snapshot(con) == before  # idempotent: nothing new, nothing written
        con.close()
