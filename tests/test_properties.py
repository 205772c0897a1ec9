"""Property-based tests (hypothesis) of the reader and the personal-ID validator (issue 8):
whatever a cell holds, ingestion never crashes; every row is accepted or quarantined, or the
file is rejected with a reason, and the counts add up."""

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
from pipelines.ingest.personal_id import RULES_VI, century_digit, id_rule_expr
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


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(PROVINCES),
    st.booleans(),
    st.integers(min_value=1900, max_value=2099),
    st.from_regex(r"\d{6}", fullmatch=True),
)
def test_well_formed_ids_pass(province: str, female: bool, year: int, serial: str) -> None:
    pid = f"{province}{century_digit(year, female)}{year % 100:02d}{serial}"
    assert _rules([pid], [female], [year]) == [None]


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
