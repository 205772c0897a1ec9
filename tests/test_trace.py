"""A rejected file is traced to its school (issues 15 and 19): by its header block when it
was read, else by its name and folders, and only to a code of the registry."""

from __future__ import annotations

import polars as pl

from pipelines.ingest.sources.base import IngestContext
from pipelines.ingest.trace import trace_school
from pipelines.reference.cds_index import load_index
from pipelines.reference.code_lists import load_code_lists
from pipelines.settings import SHIPPED_REFERENCE

CTX = IngestContext(
    codes=load_code_lists(SHIPPED_REFERENCE / "code_lists.csv"),
    index=load_index(SHIPPED_REFERENCE / "cds_index.yaml"),
    registry=pl.DataFrame({"school_code": ["31305026", "31305001"], "level": ["TH", "MN"],
                           "is_active": [True, True]}),
)  # fmt: skip


def test_by_name_and_folders() -> None:
    rel = "emis_report/2024-2025/dau_nam/31305/31305026_emis_report.xlsx"
    assert trace_school(rel, None, CTX) == {
        "school_code": "31305026", "school_year": "2024-2025", "period": "dau_nam",
        "submitted_on": None,
    }  # fmt: skip


def test_header_block_first_and_only_registry_codes() -> None:
    header = {"school_code": " 31305001 ", "school_year": "2025 - 2026", "period": "Cuối năm"}
    traced = trace_school("emis_report/31305026_bao_cao.xlsx", header, CTX)
    assert (traced["school_code"], traced["school_year"], traced["period"]) == (
        "31305001",
        "2025-2026",
        "cuoi_nam",
    )
    unknown = trace_school("emis_report/99999999_x.xlsx", {"school_code": "31999999"}, CTX)
    assert unknown["school_code"] is None  # never a code the registry does not know
