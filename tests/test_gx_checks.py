"""Great Expectations really validates: a clean landing table passes, a broken one fails,
and in Dagster the blocking check stops the assets downstream."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from pipelines.assets.landing import landing_asset
from pipelines.assets.reference import code_lists
from pipelines.checks.gx_checks import GX_CHECKS
from pipelines.resources import CdsPaths, GxValidator
from pipelines.settings import Settings
from pipelines.validation.gx_suites import run_suite
from tests.builders import write_registry

gx_landing_schools = GX_CHECKS[0]  # the registry's suite
schools = landing_asset("schools", [["reference", "code_lists"]], "The registry.")


@pytest.fixture()
def landed(tmp_path: Path) -> tuple[Settings, dict]:
    raw = tmp_path / "raw"
    write_registry(
        raw,
        [
            ("31000001", "Trường A", "Tiểu học"),
            ("31000002", "Trường B", "THCS"),
            ("31000003", "Trường C", "Mầm non"),
        ],
    )
    settings = Settings(raw_dir=raw, warehouse_dir=tmp_path / "wh")
    settings.warehouse_dir.mkdir()
    resources = {
        "paths": CdsPaths.from_settings(settings),
        "duckdb": DuckDBResource(database=str(settings.warehouse_db)),
        # the run's resource as `cds run` configures it: GX in a worker started with the run
        "gx": GxValidator(warm_worker=True),
    }
    result = dg.materialize([code_lists, schools], resources=resources)
    assert result.success
    return settings, resources


@dg.asset(key=["marts", "downstream_probe"], deps=[["landing", "schools"]])
def downstream_probe() -> None:
    """Stands for everything dbt builds on landing.schools."""


def _run_with_check(resources: dict) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [code_lists, schools, gx_landing_schools, downstream_probe],
        resources=resources,
        raise_on_error=False,
    )


def _materialized(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {
        e.event_specific_data.materialization.asset_key
        for e in result.get_asset_materialization_events()
    }


def _gx_evaluation(result: dg.ExecuteInProcessResult):
    """The GX check's evaluation (the landing asset also reports `tep_moi_hop_le`)."""
    [evaluation] = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "gx_landing_schools"
    ]
    return evaluation


def test_clean_table_passes_and_downstream_runs(landed) -> None:
    _, resources = landed
    result = _run_with_check(resources)
    evaluation = _gx_evaluation(result)
    assert evaluation.passed
    assert evaluation.metadata["số dòng đã kiểm tra"].value == 3
    assert dg.AssetKey(["marts", "downstream_probe"]) in _materialized(result)


def test_broken_table_fails_and_blocks_downstream(landed) -> None:
    settings, resources = landed
    con = duckdb.connect(str(settings.warehouse_db))
    con.execute("update landing.schools set level = 'XX' where school_code = '31000002'")
    con.execute(
        "update landing.schools set school_code = 'bad code' where school_code = '31000003'"
    )
    con.close()
    result = _run_with_check(resources)
    evaluation = _gx_evaluation(result)
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    failures = evaluation.metadata["các quy tắc không đạt"].value
    assert "level" in failures and "XX" in failures and "bad code" in failures
    assert dg.AssetKey(["marts", "downstream_probe"]) not in _materialized(result)
    # the failure names the rule, the column, and the file and row to open
    assert "cột level" in evaluation.description
    assert "schools/truong.xlsx dòng" in evaluation.description


def test_suite_reports_failing_rows_by_spreadsheet_row(landed) -> None:
    settings, _ = landed
    con = duckdb.connect(str(settings.warehouse_db))
    df = con.sql("select * from landing.schools order by _row").df()
    con.close()
    assert run_suite("landing_schools", df).success
    df.loc[1, "province_code"] = None
    outcome = run_suite("landing_schools", df)
    assert not outcome.success and outcome.severity == "error"
    (failure,) = outcome.failures
    assert failure.column == "province_code" and failure.rows == [int(df.loc[1, "_row"])]


def test_students_suite_refuses_a_name_column() -> None:
    import pandas as pd

    from pipelines.ingest.landing import LINEAGE_SCHEMA
    from pipelines.ingest.sources import SOURCES

    columns = [*SOURCES["students"].landing_schema, *LINEAGE_SCHEMA]
    row = {c: None for c in columns} | {
        "student_code": "HS1",
        "school_code": "31000001",
        "period": "dau_nam",
        "is_active": True,
        "person_key": "a" * 64,
        "_load_seq": 1,
    }
    params = {"school_codes": ["31000001"], "landing_columns": columns}
    assert run_suite("landing_students", pd.DataFrame([row]), params).success
    leaked = pd.DataFrame([row | {"full_name": "Nguyễn Văn An", "person_key": "031215001234"}])
    outcome = run_suite("landing_students", leaked, params)
    failed = {f.expectation for f in outcome.failures}
    assert {"expect_table_columns_to_match_set", "expect_column_values_to_match_regex"} <= failed
