"""The push history of a district's schools (contract §2.7), as the province exports it
from CSDL ngành: one file per district and school year, one row per push.

Every push agrees with the exports the generator writes: a school's pupils (active pupils
of the term's period), staff (active staff), classes and learning results (active pupils,
not for kindergartens) are the records pushed, all of them successfully, in the window
sync_calendar.csv gives the term. Faults (`--faults`) are located in the manifest: a failed
push (`Đẩy lỗi`, nothing succeeded), a partial push (`Tổng hợp lỗi`, a tenth failed), a
missing push (the row left out) and a repeated push (an earlier failed attempt before the
successful one).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from pipelines.generate.geography import School
from pipelines.generate.people import Population
from pipelines.generate.writers import Layout, write_table
from pipelines.reference.sync_calendar import load_sync_calendar
from pipelines.settings import SHIPPED_REFERENCE

COLUMNS = [
    "Mã trường",
    "Đối tác",
    "Năm học",
    "Học kỳ",
    "Giai đoạn",
    "Đợt đẩy",
    "Trạng thái",
    "Nhận từ QLNT",
    "Đẩy lên bộ",
    "Thành công",
    "Thất bại",
    "Thời gian đẩy",
]
BATCH_LABEL = {
    "students": "Học sinh",
    "teachers": "Giáo viên",
    "classes": "Lớp học",
    "results": "Kết quả học tập",
}
# the stage of each term's pushes: the people and classes at mid-term, results at its end
STAGE = {(1, "results"): "CK1", (2, "results"): "CN", 1: "GK1", 2: "GK2"}
PARTNERS = ("SMAS", "VNPT_TNN")
TITLE = "LỊCH SỬ ĐẨY DỮ LIỆU LÊN CSDL NGÀNH"
SHEET = "LichSuDay"
# fault kind → what it does to one push
SYNC_FAULTS = ("sync_push_failed", "sync_push_partial", "sync_push_missing", "sync_push_repeated")
ACTIVE_STUDENTS = ("Đang học", "Chuyển đến")
ACTIVE_STAFF = ("Đang làm việc",)


@dataclass
class Push:
    school: str
    partner: str
    year: str
    term: int
    stage: str
    batch: str
    status: str
    n: int  # records received and pushed
    succeeded: int
    failed: int
    pushed_at: datetime

    def row(self) -> list[object]:
        return [
            self.school,
            self.partner,
            self.year,
            f"HK{self.term}",
            self.stage,
            BATCH_LABEL[self.batch],
            self.status,
            self.n,
            self.n,
            self.succeeded,
            self.failed,
            self.pushed_at.strftime("%d/%m/%Y %H:%M"),
        ]


def records(pop: Population, batch: str, level: str) -> int | None:
    """How many records of `batch` the school's software holds: None when the batch does
    not apply (results of a kindergarten)."""
    students = pop.students.filter(pl.col("status").is_in(ACTIVE_STUDENTS))
    if batch == "students":
        return students.height
    if batch == "teachers":
        return pop.staff.filter(pl.col("status").is_in(ACTIVE_STAFF)).height
    if batch == "classes":
        return students["class_name"].n_unique()
    return None if level == "MN" else students.height


def district_pushes(
    schools: list[School],
    years: tuple[str, ...],
    seed: int,
    population: Callable[[School, str, str], Population],
) -> dict[str, list[Push]]:
    """School year → every push of the district's active schools, in push order."""
    calendar = load_sync_calendar(SHIPPED_REFERENCE / "sync_calendar.csv")
    out: dict[str, list[Push]] = {}
    for year in years:
        windows = calendar.filter(pl.col("school_year") == year).sort("term", "opens_on")
        pushes: list[Push] = []
        for school in schools:
            if school.status != "Đang hoạt động":
                continue
            rng = random.Random(f"{seed}:{school.code}:{year}:sync")
            partner = rng.choice(PARTNERS)
            for w in windows.iter_rows(named=True):
                levels = w["levels"].split()
                if levels and school.level not in levels:
                    continue
                n = records(population(school, year, w["period"]), w["batch"], school.level)
                if n is None:
                    continue
                span = max(1, (w["due_on"] - w["opens_on"]).days)
                at = datetime.combine(w["opens_on"], datetime.min.time()) + timedelta(
                    days=rng.randint(0, span - 1),
                    hours=rng.randint(7, 17),
                    minutes=rng.randint(0, 59),
                )
                stage = STAGE.get((w["term"], w["batch"]), STAGE[w["term"]])
                pushes.append(
                    Push(
                        school.code,
                        partner,
                        year,
                        w["term"],
                        stage,
                        w["batch"],
                        "Đẩy thành công",
                        n,
                        n,
                        0,
                        at,
                    )
                )
        out[year] = sorted(pushes, key=lambda p: (p.pushed_at, p.school, p.batch))
    return out


def inject(pushes: list[Push], kind: str, rng: random.Random) -> tuple[list[Push], Push]:
    """Apply one fault to one push of the list (chosen among those with records); return
    the new list and the push the fault is about."""
    target = rng.choice([p for p in pushes if p.n > 0 and p.status == "Đẩy thành công"])
    if kind == "sync_push_failed":
        target.status, target.succeeded, target.failed = "Đẩy lỗi", 0, target.n
    elif kind == "sync_push_partial":
        target.failed = max(1, target.n // 10)
        target.status, target.succeeded = "Tổng hợp lỗi", target.n - target.failed
    elif kind == "sync_push_missing":
        pushes = [p for p in pushes if p is not target]
    elif kind == "sync_push_repeated":
        earlier = Push(**{**target.__dict__})
        earlier.status, earlier.succeeded, earlier.failed = "Đẩy lỗi", 0, target.n
        earlier.pushed_at = target.pushed_at - timedelta(hours=2)
        pushes = sorted([*pushes, earlier], key=lambda p: (p.pushed_at, p.school, p.batch))
    return pushes, target


def write_sync_logs(
    out: Path,
    schools: list[School],
    years: tuple[str, ...],
    seed: int,
    faults: frozenset[str],
    population: Callable[[School, str, str], Population],
    suffix: str = ".xlsx",
) -> tuple[list[dict], list[dict]]:
    """Write the district's push history, one file per school year; return the manifest's
    file records and fault records."""
    district = f"{schools[0].province_code}{schools[0].district_code}"
    rng = random.Random(f"{seed}:{district}:sync_faults")
    files, located = [], []
    for year, pushes in district_pushes(schools, years, seed, population).items():
        if not pushes:
            continue
        path = f"sync_log/{year}/{district}_lich_su_day_du_lieu{suffix}"
        chosen: list[tuple[str, Push]] = []
        for kind in sorted(k for k in faults if k in SYNC_FAULTS):
            pushes, target = inject(pushes, kind, rng)
            chosen.append((kind, target))
        layout = Layout(title=TITLE, sheet=SHEET)
        first = write_table(
            out / path, header=[], columns=COLUMNS, rows=[p.row() for p in pushes], layout=layout
        )
        files.append(
            {
                "source": "sync_log",
                "file": path,
                "school_code": None,
                "school_year": year,
                "period": None,
                "version": 1,
                "submitted_on": None,
                "rows": len(pushes),
                "layout": "contract",
                "first_data_row": first,
            }
        )
        located += [_located(kind, target, pushes, path, first, suffix) for kind, target in chosen]
    return files, located


def _located(
    kind: str, target: Push, pushes: list[Push], path: str, first: int, suffix: str
) -> dict:
    """The manifest's record of a fault: the cell that shows it (a missing push: its file
    and the column it is missing from, no sheet or row), and the push it is about."""
    kept = next((i for i, p in enumerate(pushes) if p is target), None)
    column, value = {
        "sync_push_missing": ("Đợt đẩy", BATCH_LABEL[target.batch]),
        "sync_push_partial": ("Thất bại", target.failed),
    }.get(kind, ("Trạng thái", target.status))
    return {
        "kind": kind,
        "source": "sync_log",
        "file": path,
        "sheet": None if suffix == ".csv" or kept is None else SHEET,
        "row": None if kept is None else first + kept,
        "column": column,
        "value": value,
        "school_code": target.school,
        "school_year": target.year,
        "period": None,
        "term": target.term,
        "stage": target.stage,
        "batch": target.batch,
        "pushed": target.n,
        "succeeded": target.succeeded,
        "failed": target.failed,
    }
