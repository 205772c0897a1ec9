"""Provinces in parallel (`cds run --lake … --parallel N`): which files each province's step
ingests, and the load numbers it may use.

One writer makes the plan before any province starts (`pipelines.assets.provinces`): every
file of the periodic and per-school sources goes to the province of its school, by the
school code in its name or folders looked up in the registry; a file whose school the
registry does not know goes to the province its code starts with, else to `OTHER`. All
copies of one content go to the province of its first copy, so a copy is judged a
duplicate exactly as in a run of one process. Each province gets a block of load numbers
(one per file it may record), the blocks in province order after the largest number
recorded: the numbers do not depend on how many provinces run at once, and concurrent
steps never take the same one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

Item = tuple[Path, str, str]  # path, path relative to raw/, sha256
OTHER = "khac"  # files of no province the registry knows
_CODE = re.compile(r"(?<!\d)\d{8}(?!\d)")  # a school code, as in `31305001_emis_report.csv`
_AREA = re.compile(r"^\d{5}$")  # a folder of province and district codes, `31305`


class LoadNumbers:
    """The load numbers reserved for one province, handed out in order (picklable: a
    province's step runs in its own process)."""

    def __init__(self, first: int, end: int) -> None:
        self.next, self.end = first, end

    def __iter__(self) -> Iterator[int]:
        return self

    def __next__(self) -> int:
        if self.next >= self.end:
            raise RuntimeError(f"Hết số lần nạp dành cho tỉnh này ({self.end - 1})")
        self.next += 1
        return self.next - 1


@dataclass
class ProvinceShare:
    """One province's files (source → items, in listing order) and load numbers."""

    province: str
    items: dict[str, list[Item]]
    numbers: LoadNumbers = field(repr=False)

    @property
    def key(self) -> str:
        """Dagster's mapping key for the province's step (letters, digits, `_`)."""
        return self.province if self.province == OTHER else f"tinh_{self.province}"

    @property
    def n_files(self) -> int:
        return sum(len(items) for items in self.items.values())


def province_of(rel: str, school_province: dict[str, str], provinces: set[str]) -> str:
    """The province of a file (path relative to raw/): its name's school code, then its
    folders', looked up in the registry; else a code's or folder's leading digits when they
    are a province's code; else OTHER."""
    parts = rel.split("/")[::-1]  # the file's name first, then its folders upwards
    codes = [code for part in parts for code in _CODE.findall(part)]
    for code in codes:
        if code in school_province:
            return school_province[code]
    for text in [*codes, *(p for p in parts if _AREA.match(p))]:
        if text[:2] in provinces:
            return text[:2]
    return OTHER


def plan(
    listings: dict[str, list[Item]], school_province: dict[str, str], first_number: int
) -> list[ProvinceShare]:
    """Each province's share of `listings` (source → every listed file), in province order;
    provinces without files are left out."""
    provinces = set(school_province.values())
    shares: dict[str, dict[str, list[Item]]] = {}
    home: dict[tuple[str, str], str] = {}  # (source, sha256) → province of its first copy
    for source, items in listings.items():
        for item in items:
            province = home.setdefault(
                (source, item[2]), province_of(item[1], school_province, provinces)
            )
            shares.setdefault(province, {s: [] for s in listings})[source].append(item)
    planned, number = [], first_number
    for province in sorted(shares, key=lambda p: (p == OTHER, p)):
        size = sum(len(items) for items in shares[province].values())
        planned.append(
            ProvinceShare(province, shares[province], LoadNumbers(number, number + size))
        )
        number += size
    return planned
