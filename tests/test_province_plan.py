"""The plan of a `--parallel` run (`pipelines.ingest.provinces`): which province ingests each
file, and the load numbers each may use. Pure functions, no pipeline run."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from pipelines.ingest.provinces import OTHER, plan, province_of

REGISTRY = {"31305001": "31", "31305002": "31", "01101001": "01", "99999999": "79"}
PROVINCES = set(REGISTRY.values())


@pytest.mark.parametrize(
    ("rel", "province"),
    [
        ("emis_report/2024-2025/cuoi_nam/31305/31305001_emis_report.csv", "31"),
        ("students/2025-2026/dau_nam/01101/01101001_students.xlsx", "01"),
        # the registry decides, not the digits: a school of province 79 with another prefix
        ("teachers/2025-2026/dau_nam/x/99999999_teachers.xlsx", "79"),
        # a school the registry does not (yet) know: its code's province, then its folder's
        ("students/2025-2026/dau_nam/31305/31305777_students.xlsx", "31"),
        ("students/2025-2026/dau_nam/01101/danh_sach.xlsx", "01"),
        # the school's folder named by its code
        ("cds_assessment/2024-2025/31305002/phieu.xlsx", "31"),
        ("cds_assessment/2024-2025/bao_cao.xlsx", OTHER),
        ("cds_assessment/2024-2025/55101/55101001_cds_assessment.xlsx", OTHER),
    ],
)
def test_a_file_goes_to_its_schools_province(rel: str, province: str) -> None:
    assert province_of(rel, REGISTRY, PROVINCES) == province


def _item(rel: str, sha: str) -> tuple[Path, str, str]:
    return Path("/raw") / rel, rel, sha


def test_copies_go_together_and_numbers_follow_province_order() -> None:
    listings = {
        "emis_report": [
            _item("emis_report/a/31305/31305001_emis_report.csv", "s1"),
            _item("emis_report/a/01101/01101001_emis_report.csv", "s2"),
            # a copy of a province 31 file under a province 01 name: judged with the first,
            # so it is recorded as a duplicate as in a run of one process
            _item("emis_report/a/01101/01101001_ban_sao.csv", "s1"),
        ],
        "students": [
            _item("students/a/31305/31305002_students.xlsx", "s3"),
            _item("students/a/khong_ro.xlsx", "s4"),
        ],
    }
    shares = plan(listings, REGISTRY, first_number=10)
    assert [s.province for s in shares] == ["01", "31", OTHER]
    by = {s.province: s for s in shares}
    assert [i[2] for i in by["31"].items["emis_report"]] == ["s1", "s1"]
    assert [i[2] for i in by["01"].items["emis_report"]] == ["s2"]
    assert by[OTHER].items == {"emis_report": [], "students": [listings["students"][1]]}
    # one number per file, blocks in province order after the largest recorded, disjoint
    numbers = {s.province: [next(s.numbers) for _ in range(s.n_files)] for s in shares}
    assert numbers == {"01": [10], "31": [11, 12, 13], OTHER: [14]}
    # the same listing gives the same numbers, however many provinces run at once
    again = plan(listings, REGISTRY, first_number=10)
    assert [(s.province, s.numbers.next, s.numbers.end) for s in again] == [
        ("01", 10, 11),
        ("31", 11, 14),
        (OTHER, 14, 15),
    ]


def test_a_share_travels_to_its_process_and_cannot_overrun() -> None:
    [share] = plan({"students": [_item("students/a/31305001_x.csv", "s")]}, REGISTRY, 1)
    share = pickle.loads(pickle.dumps(share))  # as the multiprocess executor sends it
    assert share.key == "tinh_31" and next(share.numbers) == 1
    with pytest.raises(RuntimeError):
        next(share.numbers)
