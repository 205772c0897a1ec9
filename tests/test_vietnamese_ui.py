"""What a data officer reads in the Dagster UI is Vietnamese (issue 15, item 5): asset and
check descriptions (no SQL), the schedule, and the metadata keys and codes of the landing and
publish materializations (`dagster/…` keys stay: Dagster reads them)."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipelines.reference.labels import load_labels
from pipelines.settings import SHIPPED_REFERENCE, Settings

VIETNAMESE = set("àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ")
SQL = re.compile(r"\bselect\s.+?\sfrom\s|```sql|raw sql", re.IGNORECASE | re.DOTALL)
LABELS = load_labels(SHIPPED_REFERENCE / "labels_vi.csv")
ENV = ("CDS_RAW_DIR", "CDS_WAREHOUSE_DIR", "CDS_REFERENCE_DIR")
NOT_YET: set[dg.AssetKey] = set()  # every asset is held to it


def is_vietnamese(text: str) -> bool:
    return bool(VIETNAMESE & set(text.lower()))


def officer_key(key: str) -> bool:
    return key.startswith("dagster/") or is_vietnamese(key)


def _build(settings: Settings) -> dg.Definitions:
    from pipelines.definitions import build_definitions

    return build_definitions(settings)


@pytest.fixture(scope="module")
def defs(tmp_path_factory) -> dg.Definitions:
    tmp = tmp_path_factory.mktemp("defs")
    with pytest.MonkeyPatch.context() as mp:
        for key in ENV:  # build_definitions exports its paths: restore them after
            mp.setenv(key, "")
        yield _build(Settings(raw_dir=tmp / "raw", warehouse_dir=tmp / "wh"))


def test_every_asset_has_a_description_without_sql(defs) -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        text = graph.get(key).description or ""
        assert text.strip(), key.to_user_string()
        assert not SQL.search(text), (key.to_user_string(), SQL.search(text).group(0))


def test_python_assets_and_labelled_tables_are_described_in_vietnamese(defs) -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        layer, name = key.path
        text = graph.get(key).description
        if key in NOT_YET:
            continue
        if layer in ("reference", "landing", "audit", "publish"):
            assert is_vietnamese(text), key.to_user_string()
        elif name in LABELS.tables:  # a dbt model with a Vietnamese name: it comes first
            assert text.startswith(f"{LABELS.tables[name]} — "), key.to_user_string()


def test_every_check_is_described_in_vietnamese_without_sql(defs) -> None:
    graph = defs.resolve_asset_graph()
    checks = list(graph.asset_check_keys)
    assert any(k.name.startswith("gx_landing_") for k in checks)
    assert any(k.name.startswith("row_rules_") for k in checks)  # dbt tests
    for check in checks:
        text = graph.get_check_spec(check).description or ""
        assert is_vietnamese(text), (check.asset_key.to_user_string(), check.name)
        assert not SQL.search(text), (check.name, SQL.search(text).group(0))


def test_dbt_test_descriptions_say_what_is_checked() -> None:
    from pipelines.assets.dbt import dbt_test_description

    not_null = {"test_metadata": {"name": "not_null", "kwargs": {"column_name": "school_code"}}}
    assert dbt_test_description(not_null).startswith("Cột school_code không được để trống.")
    rules = {
        "test_metadata": {
            "name": "row_rules",
            "kwargs": {
                "not_null": ["a", "b"],
                "accepted_values": {"period": ["dau_nam", "cuoi_nam"]},
                "between": {"pct": [0, 100]},
                "expressions": ["version_no <= versions"],
            },
        }
    }
    text = dbt_test_description(rules)
    assert text.startswith("Các cột không được để trống: a, b. Cột period chỉ nhận các giá trị:")
    assert "Cột pct nằm trong khoảng 0 đến 100." in text
    assert "điều kiện: version_no <= versions." in text and "Mức lỗi" in text
    rel = {
        "test_metadata": {
            "name": "relationships",
            "kwargs": {"column_name": "school_code", "to": "ref('dim_school')", "field": "code"},
        },
        "config": {"severity": "warn"},
    }
    text = dbt_test_description(rel)
    assert "cột code của dim_school" in text and "Mức cảnh báo" in text
    assert "Kiểm tra dbt" in dbt_test_description({"name": "my_singular_test"})


def test_schedule_and_its_reasons_are_vietnamese(defs) -> None:
    from datetime import date

    from pipelines.ingest.sources import PERIODS_BY_REPORT
    from pipelines.reference.calendar import load_calendar
    from pipelines.schedules import refresh_reason

    assert is_vietnamese(defs.resolve_schedule_def("deadline_refresh").description)
    calendar = load_calendar(SHIPPED_REFERENCE / "reporting_calendar.csv", PERIODS_BY_REPORT)
    reasons = [refresh_reason(calendar, date(2025, 1, 1).replace(month=m)) for m in range(1, 13)]
    assert all(is_vietnamese(r) for r in reasons if r)


def test_landing_metadata_keys_and_outcomes_are_vietnamese(tmp_path: Path) -> None:
    from pipelines.assets.landing import _metadata, _status_labels
    from pipelines.ingest.landing import FileOutcome
    from pipelines.ingest.runner import IngestSummary

    outcomes = [
        FileOutcome("schools", f"schools/{s}.xlsx", "0" * 64, 1, s, {"school_code": "31000001"})
        for s in ("accepted", "rejected", "duplicate")
    ]
    summary = IngestSummary("schools", files_seen=3, outcomes=outcomes)
    labels = _status_labels(Settings(raw_dir=tmp_path, warehouse_dir=tmp_path))
    metadata = _metadata(summary, 0, tmp_path / "schools", labels)
    assert [k for k in metadata if not officer_key(k)] == []
    files = metadata["các tệp"].value
    for status in ("accepted", "rejected", "duplicate"):
        assert LABELS.values["status"][status] in files
        assert f"| {status} |" not in files


def test_published_database_metadata_keys_and_codes_are_vietnamese(tmp_path: Path) -> None:
    from pipelines.assets.publish import publish_metadata

    levels = pl.DataFrame({"năm_học": ["2024-2025"], "cấp": ["ALL"], "số_trường": [3]})
    bands = pl.DataFrame({"năm_học": ["2024-2025"], "kỳ": ["dau_nam"], "xanh": [1]})
    follow_up = pl.DataFrame({"ưu_tiên": [1], "nguồn": ["emis_report"], "kỳ": ["cuoi_nam"]})
    metadata = publish_metadata(
        tmp_path / "analytics.duckdb", {"dim_school": 3}, levels, bands, follow_up, 1, LABELS
    )
    assert [k for k in metadata if not officer_key(k)] == []
    assert "Danh mục trường" in metadata["các bảng"].value
    assert "Mọi cấp học" in metadata["mức CĐS theo cấp học"].value
    assert "Đầu năm" in metadata["mức đầy đủ dữ liệu theo kỳ"].value
    follow = metadata["danh sách việc cần đôn đốc"].value
    assert "Báo cáo thống kê" in follow and "Cuối năm" in follow


@pytest.mark.e2e  # the whole job, in process (shared with tests/test_definitions.py)
def test_a_run_shows_vietnamese_metadata_and_offline_data_docs(emis_job_run: dict) -> None:
    from tests.test_gx_data_docs import SUITES, assert_offline, index_links

    defs, settings, result = (emis_job_run[k] for k in ("defs", "settings", "result"))
    assert result.success
    graph = defs.resolve_asset_graph()
    shown = 0
    for event in result.get_asset_materialization_events():
        key = event.asset_key
        if graph.get(key).group_name not in ("landing", "publish") or key in NOT_YET:
            continue
        metadata = event.materialization.metadata
        assert [k for k in metadata if not officer_key(k)] == [], key.to_user_string()
        shown += 1
    assert shown >= 10  # 5 landing, 2 audit, 4+ publish
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.check_name.startswith("gx_landing_"):
            assert all(officer_key(k) for k in evaluation.metadata), evaluation.check_name

    docs = settings.warehouse_dir / "docs" / "gx"
    assert_offline(docs)
    assert sorted(index_links(docs)) == sorted(SUITES)
