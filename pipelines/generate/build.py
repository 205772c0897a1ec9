"""`cds generate`: a synthetic district, province or nation in the contract's formats.

District by district (in worker processes, results in order), each school's people are
drawn, its reports derived from them, faults injected where the plan says, and files
written. Nothing holds more than one district in memory; the manifest's file list is
streamed to disk. The same seed gives the same bytes whatever the number of workers.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing as mp
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from pipelines.generate.geography import LEVEL_NAMES, SCALES, School, build_schools
from pipelines.generate.geography import Scale as GeoScale
from pipelines.generate.people import Population, build_population
from pipelines.generate.reports import cds_rows, emis_rows
from pipelines.generate.sync import SYNC_FAULTS, write_sync_logs
from pipelines.generate.writers import Layout, first_data_row, write_table
from pipelines.ingest.sources import PERIODS_BY_REPORT
from pipelines.reference.calendar import load_calendar
from pipelines.reference.cds_index import CdsIndex, load_index
from pipelines.settings import SHIPPED_REFERENCE

COLUMNS = {
    "schools": [
        "Mã trường",
        "Tên trường",
        "Cấp học",
        "Loại hình",
        "Mã xã",
        "Xã/Phường/Thị trấn",
        "Mã huyện",
        "Quận/Huyện",
        "Mã tỉnh",
        "Tỉnh/Thành phố",
        "Trạng thái",
    ],
    "cds_assessment": [
        "Mã tiêu chí",
        "Nội dung",
        "Điểm tự\nđánh giá",
        "Tử số",
        "Mẫu số",
        "Minh chứng",
    ],
    "emis_report": ["Mã số", "Chỉ tiêu", "Tổng số", "Nữ", "Dân tộc"],
    "students": [
        "Mã học sinh",
        "Họ và tên",
        "Ngày sinh",
        "Giới tính",
        "Dân tộc",
        "Khối",
        "Lớp",
        "Trạng thái",
        "Số định danh cá nhân",
        "Học bạ số",
        "KQHT HK1",
        "KQHT HK2",
    ],
    "teachers": [
        "Mã cán bộ",
        "Họ và tên",
        "Ngày sinh",
        "Giới tính",
        "Dân tộc",
        "Nhóm chức vụ",
        "Trình độ chuẩn",
        "Trạng thái",
        "Số định danh cá nhân",
        "Chữ ký số",
        "Tài khoản bồi dưỡng",
    ],
}
# CSDL ngành's own downloads (contract §2.8, reference/layouts.yaml): the student list
# `C1-HocSinh` and the staff list `CSDL_GiaoVien`, the list on `Sheet1` from its first row,
# no header block (school, school year, period and download date come from the folders:
# raw/students/2024-2025/dau_nam/31305002/2024-09-28/C1-HocSinh.xlsx), code lists on other
# sheets. Each column: the contract column it is copied from; None: the row's number;
# `=status_date`: the day the status was entered; `=job`: a job title for the position;
# `=text`: that text (`=` alone: blank). The contract's columns not named here are not in
# the download.
CSDL_FILES = {"students": "C1-HocSinh", "teachers": "CSDL_GiaoVien"}
CSDL_COLUMNS: dict[str, list[tuple[str, str | None]]] = {
    "students": [
        ("STT", None),
        ("Mã lớp", "Lớp"),
        ("Mã học sinh", "Mã học sinh"),
        ("Họ tên", "Họ và tên"),
        ("Ngày sinh", "Ngày sinh"),
        ("Giới tính", "Giới tính"),
        ("Trạng thái HS", "Trạng thái"),
        ("Ngày nhập trạng thái", "=status_date"),
        ("Dân tộc", "Dân tộc"),
        ("Loại khuyết tật", "="),
        ("Số định danh cá nhân", "Số định danh cá nhân"),
    ],
    "teachers": [
        ("STT", None),
        ("Mã cán bộ", "Mã cán bộ"),
        ("Họ tên", "Họ và tên"),
        ("Ngày sinh", "Ngày sinh"),
        ("Giới tính", "Giới tính"),
        ("Dân tộc", "Dân tộc"),
        ("Trạng thái CB", "Trạng thái"),
        ("Vị trí việc làm", "=job"),
        ("Nhóm chức vụ", "Nhóm chức vụ"),
        ("Số định danh cá nhân", "Số định danh cá nhân"),
        ("Hình thức hợp đồng", "=Biên chế"),
        ("Trình độ đào tạo", "=Đại học"),
    ],
}
CSDL_CODE_LISTS = {
    "students": {
        "DM_TrangThai": [
            ("1", "Đang học"),
            ("2", "Chuyển đến"),
            ("3", "Chuyển đi"),
            ("4", "Thôi học"),
        ]
    },
    "teachers": {
        "DM_ChucVu": [("1", "Cán bộ quản lý"), ("2", "Giáo viên"), ("3", "Nhân viên")],
        "DM_TrangThai": [
            ("1", "Đang làm việc"),
            ("2", "Nghỉ hưu"),
            ("3", "Chuyển đi"),
            ("4", "Tạm nghỉ"),
        ],
    },
}
JOB_TITLES = {
    "Cán bộ quản lý": "Hiệu trưởng",
    "Giáo viên": "Giáo viên hạng III",
    "Nhân viên": "Nhân viên hành chính",
}
# the layout a school's people exports are written in (`--layout`); `mixed`: about a third
# of the schools send CSDL ngành's downloads, the others the contract's exports
LAYOUTS = ("contract", "csdl", "mixed")
CSDL_SHARE = 0.35
TITLES = {
    "cds_assessment": "PHIẾU TỰ ĐÁNH GIÁ MỨC ĐỘ CHUYỂN ĐỔI SỐ (QĐ 4725/QĐ-BGDĐT)",
    "emis_report": "BÁO CÁO THỐNG KÊ GIÁO DỤC",
    "students": "DANH SÁCH HỌC SINH (XUẤT TỪ CSDL NGÀNH)",
    "teachers": "DANH SÁCH CÁN BỘ, GIÁO VIÊN, NHÂN VIÊN (XUẤT TỪ CSDL NGÀNH)",
}
PERIOD_LABEL = {"dau_nam": "Đầu năm", "cuoi_nam": "Cuối năm"}
# The column a file cannot do without, dropped by the `missing_required_column` fault.
REQUIRED_COLUMN = {
    "cds_assessment": "Điểm tự\nđánh giá",
    "emis_report": "Tổng số",
    "students": "Mã học sinh",
    "teachers": "Mã cán bộ",
}

# fault kind → the source whose files it is injected into
FAULT_KINDS: dict[str, str] = {
    "corrupt_workbook": "*",
    "missing_required_column": "*",
    "unknown_school_code": "*",
    "emis_negative_count": "emis_report",
    "emis_non_numeric_count": "emis_report",
    "emis_blank_required": "emis_report",
    "emis_breakdown_mismatch": "emis_report",
    "emis_female_above_total": "emis_report",
    "emis_grade_missing": "emis_report",
    "emis_students_inflated": "emis_report",
    "emis_computers_outlier": "emis_report",
    "id_wrong_length": "students",
    "id_unknown_province": "students",
    "id_gender_century_mismatch": "students",
    "id_birth_year_mismatch": "students",
    "id_missing": "students",
    "id_duplicate_across_schools": "students",
    "duplicate_student_code": "students",
    "blank_student_code": "students",
    "layout_unknown_status": "students",  # a C1 download only: a status its layout lacks
    "staff_id_birth_year_mismatch": "teachers",
    "blank_staff_code": "teachers",
    "self_score_above_max": "cds_assessment",
    "missing_evidence": "cds_assessment",
    **dict.fromkeys(SYNC_FAULTS, "sync_log"),
}
FAULTS_PER_DISTRICT = 2
# a pupil status CSDL ngành knows and the shipped C1-HocSinh layout does not list
UNKNOWN_STATUS = "Tạm nghỉ học"


@dataclass(frozen=True)
class Options:
    scale: str
    seed: int
    faults: frozenset[str]
    fmt: str  # xlsx | csv | mixed
    school_years: tuple[str, ...]
    layout: str = "contract"  # contract | csdl | mixed (LAYOUTS)


@dataclass
class FileSpec:
    school: School
    source: str
    year: str
    period: str
    version: int  # 1, or 2 for a corrected resubmission
    submitted: date
    path: str  # relative to the output folder
    layout: Layout
    fault: str | None = None
    extra_column: bool = False
    csdl: bool = False  # written as CSDL ngành's download (CSDL_FILES), not the contract's

    @property
    def layout_name(self) -> str:
        return CSDL_FILES[self.source] if self.csdl else "contract"


@dataclass
class DistrictResult:
    files: list[dict] = field(default_factory=list)
    faults: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)


def _due(calendar: pl.DataFrame, source: str, year: str, period: str) -> tuple[date, date] | None:
    row = calendar.filter(
        (pl.col("report") == source)
        & (pl.col("school_year") == year)
        & (pl.col("period") == period)
    )
    return (row["as_of"][0], row["due_school"][0]) if row.height else None


def _suffix(rng: random.Random, fmt: str, big: bool) -> str:
    if fmt == "csv" or (fmt == "mixed" and big):
        return ".csv"
    if fmt == "xlsx":
        return ".xlsx"
    roll = rng.random()
    return ".csv" if roll < 0.10 else ".xls" if roll < 0.15 else ".xlsx"


def _plan(
    schools: list[School],
    opts: Options,
    calendar: pl.DataFrame,
    index: CdsIndex,
    result: DistrictResult,
) -> list[FileSpec]:
    """Which files the district's schools send, when, in which format and layout."""
    specs: list[FileSpec] = []
    for school in schools:
        if school.status != "Đang hoạt động":
            continue
        rng = random.Random(f"{opts.seed}:{school.code}:plan")
        # its own draw, so that the other draws (and files) do not depend on the layout
        csdl = opts.layout == "csdl" or (
            opts.layout == "mixed"
            and random.Random(f"{opts.seed}:{school.code}:layout").random() < CSDL_SHARE
        )
        for year in opts.school_years:
            jobs = [
                (s, p)
                for p in ("dau_nam", "cuoi_nam")
                for s in ("emis_report", "students", "teachers")
            ]
            if school.level in index.levels_in_scope:
                jobs.append(("cds_assessment", "ca_nam"))
            for source, period in jobs:
                dates = _due(calendar, source, year, period)
                if dates is None:
                    continue
                as_of, due = dates
                roll = rng.random()
                event = {
                    "source": source,
                    "school_code": school.code,
                    "school_year": year,
                    "period": period,
                }
                if roll < 0.04:
                    result.events.append({"kind": "missing_submission", **event})
                    continue
                if roll < 0.12:
                    submitted = due + timedelta(days=rng.randint(1, 30))
                    result.events.append(
                        {"kind": "late_submission", **event, "submitted_on": submitted.isoformat()}
                    )
                else:
                    window = max(1, (due - as_of).days)
                    submitted = due - timedelta(days=rng.randint(0, window - 1))
                big = source == "students" and school.level in ("TH", "THCS", "TH_THCS", "THPT")
                suffix = _suffix(rng, opts.fmt, big)
                layout = Layout(
                    title=TITLES[source] if rng.random() < 0.8 else None,
                    header_layout="split" if rng.random() < 0.5 else "inline",
                    blank_rows=rng.randint(0, 2),
                    date_as_serial=rng.random() < 0.3,
                    nfd=rng.random() < 0.1,
                    sheet={"students": "HocSinh", "teachers": "CanBo", "emis_report": "BaoCao"}.get(
                        source, "TuDanhGia"
                    ),
                )
                folder = f"{source}/{year}" + (f"/{period}" if period != "ca_nam" else "")
                folder += f"/{school.province_code}{school.district_code}"
                stem = f"{folder}/{school.code}_{source}"
                extra = rng.random() < 0.2
                download = csdl and source in CSDL_FILES
                if download:  # the folders say the school, year, period and download date
                    layout = Layout(sheet="Sheet1", created=submitted)
                    suffix, extra = ".xlsx", False
                resubmitted = rng.random() < 0.03
                if download:
                    dated = f"{source}/{year}/{period}/{school.code}/{{}}/{CSDL_FILES[source]}"
                    stem = dated.format(submitted.isoformat())
                if resubmitted:  # a corrected resubmission
                    first = FileSpec(
                        school,
                        source,
                        year,
                        period,
                        1,
                        submitted,
                        f"{stem}_lan1{suffix}",
                        layout,
                        extra_column=extra,
                        csdl=download,
                    )
                    specs.append(first)
                    second_date = submitted + timedelta(days=rng.randint(3, 15))
                    if download:
                        stem = dated.format(second_date.isoformat())
                        layout = replace(layout, created=second_date)
                    specs.append(
                        FileSpec(
                            school,
                            source,
                            year,
                            period,
                            2,
                            second_date,
                            f"{stem}_lan2{suffix}",
                            layout,
                            extra_column=extra,
                            csdl=download,
                        )
                    )
                    result.events.append(
                        {
                            "kind": "resubmission",
                            **event,
                            "first_submitted_on": submitted.isoformat(),
                            "last_submitted_on": second_date.isoformat(),
                        }
                    )
                else:
                    specs.append(
                        FileSpec(
                            school,
                            source,
                            year,
                            period,
                            1,
                            submitted,
                            f"{stem}{suffix}",
                            layout,
                            extra_column=extra,
                            csdl=download,
                        )
                    )
    # Faults go on single-version files, one fault per file.
    rng = random.Random(f"{opts.seed}:{schools[0].province_code}{schools[0].district_code}:faults")
    free = [s for s in specs if "_lan" not in s.path]
    for kind in sorted(opts.faults):
        source = FAULT_KINDS[kind]
        candidates = [s for s in free if s.fault is None and (source == "*" or s.source == source)]
        if kind == "emis_students_inflated":  # needs last year's start-of-year report
            candidates = [
                s
                for s in candidates
                if s.period == "dau_nam" and any(_is_last_year(o, s) for o in free)
            ]
        if kind == "emis_computers_outlier":  # among primary/lower-secondary peers
            candidates = [s for s in candidates if s.school.level in ("TH", "THCS")]
        if kind == "id_duplicate_across_schools":  # needs a partner school of the same level
            candidates = [s for s in candidates if any(_is_partner(o, s) for o in free)]
        if kind == "layout_unknown_status":
            candidates = [s for s in candidates if s.csdl]
        if kind == "unknown_school_code" and any(s.csdl for s in candidates):
            # a download's school is its folder: a folder naming a school not in the registry
            csdl_sources = {s.source for s in candidates if s.csdl}
            candidates = [s for s in candidates if s.csdl or s.source not in csdl_sources]
        if source == "*":  # a broken file of every source, once each
            chosen = []
            for src in sorted({c.source for c in candidates}):
                pool = [c for c in candidates if c.source == src]
                chosen.append(rng.choice(pool))
        else:
            chosen = rng.sample(candidates, min(FAULTS_PER_DISTRICT, len(candidates)))
        for spec in chosen:
            spec.fault = kind
            if kind == "corrupt_workbook" and not spec.path.endswith(".xlsx"):
                spec.path = spec.path.rsplit(".", 1)[0] + ".xlsx"
    return specs


def _is_last_year(other: FileSpec, spec: FileSpec) -> bool:
    """The same school's clean start-of-year report of the year before."""
    start = int(spec.year[:4])
    return (
        other.source == spec.source
        and other.school.code == spec.school.code
        and other.period == "dau_nam"
        and other.fault is None
        and other.year == f"{start - 1}-{start}"
    )


def _is_partner(other: FileSpec, spec: FileSpec) -> bool:
    """A clean student export of another school of the same level and period."""
    return (
        other.source == "students"
        and other.fault is None
        and "_lan" not in other.path
        and other.school.level == spec.school.level
        and other.school.code != spec.school.code
        and other.year == spec.year
        and other.period == spec.period
    )


def _student_rows(pop: Population) -> list[list[object]]:
    s = pop.students
    return [
        list(r)
        for r in s.select(
            "student_code",
            "full_name",
            "birth_date",
            pl.when(pl.col("female")).then(pl.lit("Nữ")).otherwise(pl.lit("Nam")),
            "ethnicity",
            "grade",
            "class_name",
            "status",
            "personal_id",
            "digital_transcript",
            "results_hk1",
            "results_hk2",
        ).iter_rows()
    ]


def _staff_rows(pop: Population) -> list[list[object]]:
    return [
        list(r)
        for r in pop.staff.select(
            "staff_code",
            "full_name",
            "birth_date",
            pl.when(pl.col("female")).then(pl.lit("Nữ")).otherwise(pl.lit("Nam")),
            "ethnicity",
            "position",
            "qualification",
            "status",
            "personal_id",
            "digital_signature",
            "training_account",
        ).iter_rows()
    ]


def _rows_for(
    spec: FileSpec, pop: Population, opts: Options, codes: pl.DataFrame, index: CdsIndex
) -> list[list[object]]:
    start = int(spec.year[:4])
    if spec.source == "emis_report":
        rows = emis_rows(spec.school, pop, codes, opts.seed, start, spec.period)
    elif spec.source == "students":
        rows = _student_rows(pop)
    elif spec.source == "teachers":
        rows = _staff_rows(pop)
    else:
        rows = cds_rows(spec.school, pop, index, opts.seed, start)
    if "_lan1" in spec.path:
        rows = [list(r) for r in rows]
        if spec.source == "emis_report":  # the first version had a count wrong
            rows[0][2] = (rows[0][2] or 0) + 1
        elif rows:
            rows = rows[:-1]  # the first export missed a record
    return rows


class _Injector:
    """Applies one fault to a file's rows/columns and describes where it is."""

    def __init__(
        self,
        spec: FileSpec,
        rows: list[list[object]],
        columns: list[str],
        rng: random.Random,
        partner_ids: dict[tuple[bool, int], str],
    ) -> None:
        self.spec, self.rows, self.columns, self.rng = spec, rows, columns, rng
        self.partner_ids = partner_ids
        self.header_code = spec.school.code
        self.where: dict = {}

    def _pick(self, ok) -> int | None:
        idx = [i for i, r in enumerate(self.rows) if ok(r)]
        return self.rng.choice(idx) if idx else None

    def apply(self) -> bool:
        kind, src = self.spec.fault, self.spec.source
        col = self.columns
        if kind == "missing_required_column":
            drop = col.index(REQUIRED_COLUMN[src])
            self.columns = col[:drop] + col[drop + 1 :]
            self.rows = [r[:drop] + r[drop + 1 :] for r in self.rows]
            self.where = {"column": REQUIRED_COLUMN[src].replace("\n", " ")}
            return True
        if kind == "unknown_school_code":
            c = self.spec.school.code
            self.header_code = f"{c[:5]}9{c[6:]}"
            self.where = {"column": "Mã trường", "value": self.header_code}
            return True
        if kind == "corrupt_workbook":
            return True
        return self._cell_fault(kind)

    def _set(self, i: int, column: str, value: object, **extra) -> bool:
        j = self.columns.index(column)
        self.rows[i][j] = value
        self.where = {
            "data_row": i,
            "column": column.replace("\n", " "),
            "value": None if value is None else str(value),
            **extra,
        }
        return True

    def _cell_fault(self, kind: str) -> bool:
        rows = self.rows
        if kind.startswith("emis_"):
            code_of = {r[0]: i for i, r in enumerate(rows)}
            if kind == "emis_negative_count":
                i = self._pick(lambda r: r[0] in ("101", "201", "301", "401") and (r[2] or 0) > 0)
                return i is not None and self._set(i, "Tổng số", -int(rows[i][2]))
            if kind == "emis_non_numeric_count":
                i = self._pick(lambda r: r[0] in ("302", "401", "406"))
                return i is not None and self._set(i, "Tổng số", "mười hai")
            if kind == "emis_blank_required":
                i = self._pick(lambda r: r[0] in ("402", "403", "407"))
                return i is not None and self._set(i, "Tổng số", None)
            if kind == "emis_female_above_total":
                i = self._pick(lambda r: r[0] in ("302", "303", "304") and r[3] is not None)
                return i is not None and self._set(i, "Nữ", int(rows[i][2]) + 2)
            if kind == "emis_breakdown_mismatch":
                parts = [
                    c
                    for c in (
                        "211",
                        "212",
                        "213",
                        "214",
                        "215",
                        "216",
                        "217",
                        "218",
                        "219",
                        "220",
                        "221",
                    )
                    if c in code_of
                ]
                if not parts or "201" not in code_of:
                    return False
                i = code_of[self.rng.choice(parts)]
                rows[i][2] = int(rows[i][2]) + 3
                # reported where the sum is checked: on the total row
                t = code_of["201"]
                self.where = {
                    "data_row": t,
                    "column": "Tổng số",
                    "value": str(rows[t][2]),
                    "changed_code": rows[i][0],
                }
                return True
            if kind == "emis_students_inflated":
                # every pupil row × 1.5: the report adds up, but not with last year or the export
                pupil_codes = {"201", "220", "221", *(f"21{g}" for g in range(1, 10))}
                for r in rows:
                    if r[0] in pupil_codes:
                        r[2:5] = [None if v is None else round(v * 1.5) for v in r[2:5]]
                t = code_of["201"]
                self.where = {"data_row": t, "column": "Tổng số", "value": str(rows[t][2])}
                return True
            if kind == "emis_computers_outlier":
                if "406" not in code_of:
                    return False
                return self._set(code_of["406"], "Tổng số", 1)
            if kind == "emis_grade_missing":
                parts = [c for c in ("211", "213", "215", "216", "218", "221") if c in code_of]
                if not parts:
                    return False
                code = self.rng.choice(parts)
                self.rows = [r for r in rows if r[0] != code]
                self.where = {"column": "Mã số", "value": code}
                return True
        if kind in (
            "id_wrong_length",
            "id_unknown_province",
            "id_gender_century_mismatch",
            "id_birth_year_mismatch",
            "id_missing",
            "staff_id_birth_year_mismatch",
        ):
            j = self.columns.index("Số định danh cá nhân")
            i = self._pick(lambda r: r[j])
            if i is None:
                return False
            pid = str(rows[i][j])
            # A mutated ID must not become someone else's: give it a serial from a range no
            # generated person uses (real serials are below 512 × schools per province).
            reserved = f"{900000 + self.spec.school.index_in_province * 10:06d}"
            new = {
                "id_wrong_length": pid[:-1],
                "id_unknown_province": "003" + pid[3:],
                "id_gender_century_mismatch": pid[:3] + str(int(pid[3]) ^ 1) + pid[4:6] + reserved,
                "id_birth_year_mismatch": pid[:4] + f"{(int(pid[4:6]) + 1) % 100:02d}" + reserved,
                "staff_id_birth_year_mismatch": pid[:4]
                + f"{(int(pid[4:6]) + 1) % 100:02d}"
                + reserved,
                "id_missing": None,
            }[kind]
            return self._set(i, "Số định danh cá nhân", new)
        if kind == "id_duplicate_across_schools":
            j = self.columns.index("Số định danh cá nhân")
            for i in self.rng.sample(range(len(rows)), len(rows)):
                key = (rows[i][3] == "Nữ", rows[i][2].year)
                if key in self.partner_ids:
                    partner_id, partner_where = self.partner_ids[key]
                    return self._set(
                        i, "Số định danh cá nhân", partner_id, duplicate_of=partner_where
                    )
            return False
        if kind == "layout_unknown_status":
            j = self.columns.index("Trạng thái")
            i = self._pick(lambda r: r[j] == "Đang học")
            if i is None:
                return False
            self._set(i, "Trạng thái", UNKNOWN_STATUS)
            self.where["column"] = "Trạng thái HS"  # as the download names it
            return True
        if kind == "duplicate_student_code":
            i = self._pick(lambda r: True)
            if i is None or i == 0:
                i = 1 if len(rows) > 1 else None
            return i is not None and self._set(i, "Mã học sinh", rows[i - 1][0])
        if kind in ("blank_student_code", "blank_staff_code"):
            i = self._pick(lambda r: True)
            column = "Mã học sinh" if kind == "blank_student_code" else "Mã cán bộ"
            return i is not None and self._set(i, column, None)
        if kind == "self_score_above_max":
            i = self._pick(lambda r: isinstance(r[2], int | float) and r[3] is None and r[2] > 0)
            return i is not None and self._set(i, "Điểm tự\nđánh giá", float(rows[i][2]) + 5)
        if kind == "missing_evidence":
            i = self._pick(lambda r: isinstance(r[2], int | float) and r[2] and r[5])
            return i is not None and self._set(i, "Minh chứng", None)
        return False


def _csdl_table(
    spec: FileSpec, columns: list[str], rows: list[list[object]]
) -> tuple[list[str], list[list[object]]]:
    """A contract table (faults already injected) as CSDL ngành's download of `spec`: its
    columns in its order, the contract's columns it lacks left out (a column the fault
    dropped stays out)."""
    start = int(spec.year[:4])
    status_date = date(start, 9, 5) if spec.period == "dau_nam" else date(start + 1, 5, 20)
    at = {c: i for i, c in enumerate(columns)}
    out_columns = [
        name
        for name, origin in CSDL_COLUMNS[spec.source]
        if origin is None or origin.startswith("=") or origin in at
    ]
    out_rows = []
    for n, row in enumerate(rows, 1):
        cells: list[object] = []
        for _, origin in CSDL_COLUMNS[spec.source]:
            if origin is None:
                cells.append(n)
            elif origin == "=status_date":
                cells.append(status_date.strftime("%d/%m/%Y"))
            elif origin == "=job":
                cells.append(JOB_TITLES.get(str(row[at["Nhóm chức vụ"]])))
            elif origin.startswith("="):
                cells.append(origin[1:] or None)
            elif origin in at:
                cells.append(row[at[origin]])
        out_rows.append(cells)
    return out_columns, out_rows


def _header(spec: FileSpec, code: str) -> list[tuple[str, object]]:
    if spec.csdl:  # a download has no header block: the folders say it
        return []
    header: list[tuple[str, object]] = [
        ("Mã trường", code),
        ("Tên trường", spec.school.name),
        ("Năm học", spec.year),
    ]
    if spec.period != "ca_nam":
        header.append(("Kỳ báo cáo", PERIOD_LABEL[spec.period]))
    label = "Ngày xuất dữ liệu" if spec.source in ("students", "teachers") else "Ngày báo cáo"
    header.append((label, spec.submitted))
    return header


def process_district(args: tuple[list[School], Options, str]) -> DistrictResult:
    schools, opts, out_dir = args
    out = Path(out_dir)
    calendar = load_calendar(SHIPPED_REFERENCE / "reporting_calendar.csv", PERIODS_BY_REPORT)
    index = load_index(SHIPPED_REFERENCE / "cds_index.yaml")
    codes = pl.read_csv(SHIPPED_REFERENCE / "emis_indicators.csv", infer_schema=False)
    result = DistrictResult()
    specs = _plan(schools, opts, calendar, index, result)
    populations: dict[tuple[str, str, str], Population] = {}

    def population(school: School, year: str, period: str) -> Population:
        key = (school.code, year, period)
        if key not in populations:
            populations[key] = build_population(
                school, opts.seed, int(year[:4]), "cuoi_nam" if period == "ca_nam" else period
            )
        return populations[key]

    for spec in specs:
        pop = population(spec.school, spec.year, spec.period)
        rows = _rows_for(spec, pop, opts, codes, index)
        columns = list(COLUMNS[spec.source])
        if spec.extra_column:
            columns.append("Ghi chú")
            rows = [[*r, None] for r in rows]
        partner_ids: dict = {}
        if spec.fault == "id_duplicate_across_schools":
            partner = next(o for o in specs if _is_partner(o, spec))
            partner_first = first_data_row(_header(partner, partner.school.code), partner.layout)
            people = population(partner.school, partner.year, partner.period).students
            for n, (pid, female, born) in enumerate(
                people.select("personal_id", "female", "birth_date").iter_rows()
            ):
                partner_ids.setdefault(
                    (female, born.year), (pid, {"file": partner.path, "row": partner_first + n})
                )
        injector = _Injector(
            spec,
            [list(r) for r in rows],
            columns,
            random.Random(f"{opts.seed}:{spec.path}:fault"),
            partner_ids,
        )
        applied = spec.fault is not None and injector.apply()
        columns, rows = injector.columns, injector.rows
        sheets = None
        if spec.csdl:
            columns, rows = _csdl_table(spec, columns, rows)
            sheets = CSDL_CODE_LISTS[spec.source]
            if injector.header_code != spec.school.code:  # the folder names the wrong school
                spec.path = spec.path.replace(f"/{spec.school.code}/", f"/{injector.header_code}/")
        first = write_table(
            out / spec.path,
            header=_header(spec, injector.header_code),
            columns=columns,
            rows=rows,
            layout=spec.layout,
            code_lists=sheets,
        )
        if applied and spec.fault == "corrupt_workbook":
            data = (out / spec.path).read_bytes()
            (out / spec.path).write_bytes(data[: len(data) // 3])
        result.files.append(
            {
                "source": spec.source,
                "file": spec.path,
                "school_code": spec.school.code,
                "school_year": spec.year,
                "period": spec.period,
                "version": spec.version,
                "submitted_on": spec.submitted.isoformat(),
                "rows": len(injector.rows),
                "first_data_row": first,
                "layout": spec.layout_name,
            }
        )
        if applied:
            where = dict(injector.where)
            data_row = where.pop("data_row", None)
            result.faults.append(
                {
                    "kind": spec.fault,
                    "source": spec.source,
                    "file": spec.path,
                    "sheet": None if spec.path.endswith(".csv") else spec.layout.sheet,
                    "row": None if data_row is None else first + data_row,
                    "column": where.pop("column", None),
                    "value": where.pop("value", None),
                    "school_code": spec.school.code,
                    "school_year": spec.year,
                    "period": spec.period,
                    **where,
                }
            )
    files, faults = write_sync_logs(
        out,
        schools,
        opts.school_years,
        opts.seed,
        opts.faults,
        population,
        ".csv" if opts.fmt == "csv" else ".xlsx",
    )
    result.files += files
    result.faults += faults
    return result


def _write_registry(
    out: Path, districts: list[list[School]], opts: Options, with_districts: bool
) -> dict:
    """The registry; without the district columns where the scale's registry names none."""
    columns = [
        c for c in COLUMNS["schools"] if with_districts or c not in ("Mã huyện", "Quận/Huyện")
    ]
    rows = [
        [
            value
            for column, value in zip(
                COLUMNS["schools"],
                [
                    s.code,
                    s.name,
                    LEVEL_NAMES[s.level],
                    s.ownership,
                    s.commune[0],
                    s.commune[1],
                    s.district_code,
                    s.district_name,
                    s.province_code,
                    s.province_name,
                    s.status,
                ],
                strict=True,
            )
            if column in columns
        ]
        for d in districts
        for s in d
    ]
    path = "schools/danh_muc_truong.xlsx" if opts.fmt != "csv" else "schools/danh_muc_truong.csv"
    first = write_table(
        out / path,
        # in force from the summer before the first school year (contract §2.1)
        header=[
            ("Năm học", opts.school_years[0]),
            ("Ngày hiệu lực", f"01/08/{opts.school_years[0][:4]}"),
        ],
        columns=columns,
        rows=rows,
        layout=Layout(title="DANH MỤC CƠ SỞ GIÁO DỤC", sheet="DanhMuc"),
    )
    return {
        "source": "schools",
        "file": path,
        "rows": len(rows),
        "first_data_row": first,
        "layout": "contract",
    }


def generate(
    out: Path,
    *,
    scale: str = "district",
    seed: int = 20241,
    faults: frozenset[str] | set[str] | None = None,
    fmt: str = "mixed",
    school_years: tuple[str, ...] = ("2024-2025", "2025-2026"),
    workers: int | None = None,
    provinces: int | None = None,
    layout: str = "contract",
    districts: int | None = None,
    schools_per_level: int | None = None,
) -> dict:
    """Write a synthetic `scale` under `out`; return the manifest (files streamed to disk).
    `layout`: the people exports in the contract's layout, as CSDL ngành's downloads
    (`csdl`), or some schools each way (`mixed`). `districts` (per province) and
    `schools_per_level` (per district) shrink the scale, for tests that need its provinces
    but not its size."""
    _check_options(scale, layout, faults)
    opts = Options(scale, seed, frozenset(faults or ()), fmt, tuple(school_years), layout)
    out.mkdir(parents=True, exist_ok=True)
    districts = build_schools(_shrunk(SCALES[scale], districts, schools_per_level), seed)
    if provinces is not None:  # a measured fraction of a scale (first N provinces)
        keep = sorted({d[0].province_code for d in districts})[:provinces]
        districts = [d for d in districts if d[0].province_code in keep]
    registry = _write_registry(out, districts, opts, SCALES[scale].registry_districts)
    tasks = [(d, opts, str(out)) for d in districts]
    n_workers = workers or min(len(tasks), os.cpu_count() or 1)
    files_path = out / ".manifest_files.jsonl"
    faults_all: list[dict] = []
    events: list[dict] = []
    n_files = 1
    with files_path.open("w", encoding="utf-8") as files_out:
        files_out.write(json.dumps(registry, ensure_ascii=False) + "\n")
        for result in _map(process_district, tasks, n_workers):
            for f in result.files:
                files_out.write(json.dumps(f, ensure_ascii=False) + "\n")
            n_files += len(result.files)
            faults_all += result.faults
            events += result.events
    head = {
        "scale": scale,
        "seed": seed,
        "format": fmt,
        "layout": layout,
        "registry_districts": SCALES[scale].registry_districts,
        "school_years": list(school_years),
        "fault_kinds": sorted(opts.faults),
        "n_schools": sum(len(d) for d in districts),
        "n_files": n_files,
    }
    _write_manifest(out / "manifest.json", head, files_path, faults_all, events)
    files_path.unlink()
    return {**head, "faults": faults_all, "events": events}


def _shrunk(shape: GeoScale, districts: int | None, schools_per_level: int | None) -> GeoScale:
    """`shape` with at most `districts` per province and `schools_per_level` per district."""
    return dataclasses.replace(
        shape,
        districts_per_province=min(districts or shape.districts_per_province,
                                   shape.districts_per_province),
        per_district={level: min(n, schools_per_level or n)
                      for level, n in shape.per_district.items()},
    )  # fmt: skip


def _check_options(scale: str, layout: str, faults) -> None:
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    unknown = set(faults or ()) - set(FAULT_KINDS)
    if unknown:
        raise ValueError(f"unknown fault kinds: {', '.join(sorted(unknown))}")


def _write_manifest(
    path: Path, head: dict, files_path: Path, faults: list[dict], events: list[dict]
) -> None:
    """manifest.json: the head, the files streamed from `files_path` line by line (a
    national manifest lists tens of thousands), the faults and the events."""
    with path.open("w", encoding="utf-8") as f:
        f.write(json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "files": [\n')
        with files_path.open(encoding="utf-8") as lines:
            for n, line in enumerate(lines):
                f.write(("" if n == 0 else ",\n") + "  " + line.rstrip("\n"))
        f.write('\n ],\n "faults": ' + json.dumps(faults, ensure_ascii=False, indent=1))
        f.write(',\n "events": ' + json.dumps(events, ensure_ascii=False, indent=1) + "\n}\n")


def _map(fn, tasks: list, workers: int) -> Iterator[DistrictResult]:
    if workers <= 1 or len(tasks) <= 1:
        yield from map(fn, tasks)
        return
    # spawn, not fork: forking a process whose Polars thread pool is running can deadlock
    with mp.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(fn, tasks, chunksize=1)
