"""The source registry (issue 16, item 1): every source declared in
`pipelines.ingest.sources.SOURCES` has each part docs/adding-a-source.md lists, and the
landing assets, GX checks, partitions, sensor and CLI are read from that one list.

`missing_parts` is the checklist of the document, as code. It is shown to fail on a source
declared with nothing around it (`test_an_undeclared_part_is_named`), so the registry test
cannot pass by checking nothing.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from pipelines.ingest.sources import PERIODS_BY_REPORT, SOURCES, Source
from pipelines.ingest.sources.base import IngestContext, Shaped
from pipelines.ingest.workbook import TableRead, TableSpec

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "adding-a-source.md"
VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


def _yaml(rel: str) -> dict:
    return yaml.safe_load((ROOT / rel).read_text(encoding="utf-8"))


def _landing_tables() -> dict[str, dict]:
    [landing] = [
        s
        for s in _yaml("dbt_project/models/staging/_sources.yml")["sources"]
        if s["name"] == "landing"
    ]
    return {t["name"]: t for t in landing["tables"]}


def _staging_models() -> dict[str, dict]:
    return {m["name"]: m for m in _yaml("dbt_project/models/staging/_staging.yml")["models"]}


def _labels() -> set[tuple[str, str]]:
    with (ROOT / "reference" / "labels_vi.csv").open(encoding="utf-8") as f:
        return {(row[0], row[1]) for row in csv.reader(f)}


def _calendar_reports() -> set[str]:
    with (ROOT / "reference" / "reporting_calendar.csv").open(encoding="utf-8") as f:
        return {row["report"] for row in csv.DictReader(f)}


def _periods() -> set[str]:
    with (ROOT / "reference" / "code_lists.csv").open(encoding="utf-8") as f:
        return {row["code"] for row in csv.DictReader(f) if row["list"] == "period"}


def missing_parts(source: Source) -> list[str]:
    """What `source` lacks of the parts docs/adding-a-source.md lists; [] when complete."""
    name, missing = source.name, []
    module = ROOT / "pipelines" / "ingest" / "sources" / f"{name}.py"
    if not module.exists():
        missing.append(f"1. pipelines/ingest/sources/{name}.py")
    if not source.landing_schema:
        missing.append("1. landing_schema")
    if not VIETNAMESE.search(source.title_vi) or not VIETNAMESE.search(source.description_vi):
        missing.append("1. title_vi / description_vi in Vietnamese")
    if not VIETNAMESE.search(source.checks_vi):
        missing.append("1. checks_vi in Vietnamese")
    if SOURCES.get(name) is not source:
        missing.append("2. SOURCES in pipelines/ingest/sources/__init__.py")
    suite = ROOT / "expectations" / f"landing_{name}.json"
    if not suite.exists():
        missing.append(f"3. expectations/landing_{name}.json")
    table = _landing_tables().get(name)
    if table is None or table.get("meta", {}).get("dagster", {}).get("asset_key") != [
        "landing",
        name,
    ]:
        missing.append(f"4. landing.{name} in dbt_project/models/staging/_sources.yml")
    model = f"stg_landing__{name}"
    if not (ROOT / "dbt_project" / "models" / "staging" / f"{model}.sql").exists():
        missing.append(f"5. dbt_project/models/staging/{model}.sql")
    documented = _staging_models().get(model)
    if not documented or not documented.get("description") or not documented.get("columns"):
        missing.append(f"6. {model} documented and tested in _staging.yml")
    if ("value", f"source.{name}") not in _labels():
        missing.append(f"7. value,source.{name} in reference/labels_vi.csv")
    if source.partitioned and not source.periods:
        missing.append("1. periods (a partitioned source is due in periods)")
    if not set(source.periods) <= _periods():
        missing.append("1. periods from the code list 'period'")
    if source.periods and name not in _calendar_reports():
        missing.append(f"8. rows for {name} in reference/reporting_calendar.csv")
    return missing


@pytest.mark.parametrize("name", list(SOURCES))
def test_each_declared_source_has_every_part(name: str) -> None:
    assert missing_parts(SOURCES[name]) == []


def _shape(read: TableRead, ctx: IngestContext) -> Shaped:  # never called
    raise NotImplementedError


def test_an_undeclared_part_is_named() -> None:
    """A source declared in a module of its own and nowhere else: every part is named."""
    bare = Source(
        name="push_history",
        title_vi="Lịch sử đẩy dữ liệu",
        spec=TableSpec(columns=()),
        shape=_shape,
        periods=("hoc_ky_1",),
        partitioned=True,
    )
    missing = missing_parts(bare)
    assert [m.split(" ")[0] for m in missing] == [
        "1.",
        "1.",
        "1.",
        "1.",
        "2.",
        "3.",
        "4.",
        "5.",
        "6.",
        "7.",
        "1.",
        "8.",
    ], missing


def test_assets_checks_partitions_and_cli_follow_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dagster as dg
    from click.testing import CliRunner

    from pipelines.checks.gx_checks import GX_CHECKS
    from pipelines.cli import main
    from pipelines.definitions import build_definitions
    from pipelines.partitions import PARTITIONED_SOURCES
    from pipelines.settings import Settings

    for key in ("CDS_RAW_DIR", "CDS_WAREHOUSE_DIR", "CDS_REFERENCE_DIR"):
        monkeypatch.setenv(key, "")  # build_definitions sets them
    defs = build_definitions(Settings(raw_dir=ROOT / "raw", warehouse_dir=tmp_path))
    graph = defs.resolve_asset_graph()
    for source in SOURCES.values():
        node = graph.get(dg.AssetKey(["landing", source.name]))
        assert {k.to_user_string() for k in node.parent_keys} == set(source.upstream)
        assert (node.partitions_def is not None) == source.partitioned
    assert [c.check_keys for c in GX_CHECKS] == [
        {dg.AssetCheckKey(dg.AssetKey(["landing", n]), f"gx_landing_{n}")} for n in SOURCES
    ]
    assert tuple(n for n, s in SOURCES.items() if s.partitioned) == PARTITIONED_SOURCES
    assert set(PERIODS_BY_REPORT) == _calendar_reports()
    refused = CliRunner().invoke(main, ["check", "--source", "push_history", __file__])
    assert refused.exit_code == 2 and "không phải nguồn đã khai báo" in refused.output


def test_reporting_status_accepts_exactly_the_scheduled_reports() -> None:
    models = {m["name"]: m for m in _yaml("dbt_project/models/marts/_marts.yml")["models"]}
    [rules] = [t["row_rules"] for t in models["reporting_status"]["data_tests"] if "row_rules" in t]
    assert set(rules["arguments"]["accepted_values"]["report"]) == set(PERIODS_BY_REPORT)


def test_the_document_lists_the_parts_the_test_checks() -> None:
    text = DOC.read_text(encoding="utf-8")
    for part in (
        "pipelines/ingest/sources/<name>.py",
        "__init__.py",
        "expectations/landing_<name>.json",
        "_sources.yml",
        "stg_landing__<name>.sql",
        "_staging.yml",
        "labels_vi.csv",
        "reporting_calendar.csv",
    ):
        assert part in text, part
