"""Report contents derived from a school's population, so that they agree with it:
EMIS statistical reports (contract §2.3) and CĐS self-assessments (§2.2)."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.generate.geography import School
from pipelines.generate.people import Population, rng_for
from pipelines.reference.cds_index import CdsIndex

ACTIVE_STUDENT = ["Đang học", "Chuyển đến"]
INFORMATICS_GRADES = {
    "TH": range(3, 6),
    "THCS": range(6, 10),
    "TH_THCS": range(3, 10),
    "THPT": range(10, 13),
}


def emis_applicable(codes: pl.DataFrame, level: str, period: str) -> pl.DataFrame:
    """The EMIS codes a school of `level` reports in `period` (from emis_indicators.csv)."""
    return codes.filter(
        (pl.col("levels").fill_null("") == "")
        | pl.col("levels").str.contains(rf"(^| ){level}( |$)"),
        pl.col("periods").str.contains(period),
    )


def _count(df: pl.DataFrame) -> tuple[int, int, int]:
    return df.height, int(df["female"].sum()), int((df["ethnicity"] != "Kinh").sum())


def informatics_students(pop: Population, level: str) -> int:
    grades = INFORMATICS_GRADES.get(level)
    if grades is None:
        return 0
    active = pop.students.filter(pl.col("status").is_in(ACTIVE_STUDENT))
    return active.filter(pl.col("grade").is_in(list(grades))).height


def infrastructure(school: School, pop: Population, seed: int, year_start: int) -> dict[str, int]:
    rng = rng_for(seed, school, year_start, "infrastructure")
    m = school.maturity
    classes = sum(pop.classes.values())
    rooms = classes + int(rng.integers(0, 4))
    informatics = informatics_students(pop, school.level)
    if informatics:
        # pupils per teaching computer, 0.8–4 depending on how far the school is along
        pupils_per_computer = float(np.clip(rng.normal(4.3 - 3.5 * m, 0.25), 0.8, 4.0))
        computers = max(1, round(informatics / pupils_per_computer))
    else:
        computers = int(rng.integers(1, 4))
    return {
        "401": rooms,
        "402": min(rooms, round(rooms * min(1.0, 0.55 + 0.5 * m))),
        "403": min(rooms, round(rooms * min(1.0, 0.4 + 0.6 * m))),
        "404": min(rooms, round(rooms * 0.4 * m * rng.random())),
        "405": int(rng.integers(1, 3)) if school.level in ("TH", "THCS", "TH_THCS") else 0,
        "406": computers,
        "407": int(rng.integers(3, 9)),
        "408": int(rng.integers(1, 3)),
        "409": int(rng.random() < 0.5 + 0.5 * m),
        "410": int(rng.random() < m),
        "411": int(rng.random() < 0.3 + 0.6 * m),
    }


def emis_rows(
    school: School, pop: Population, codes: pl.DataFrame, seed: int, year_start: int, period: str
) -> list[list[object]]:
    """[code, label, total, female, ethnic] for every applicable code, in code order."""
    s = pop.students.filter(pl.col("status").is_in(ACTIVE_STUDENT))
    st = pop.staff.filter(pl.col("status") == "Đang làm việc")
    teachers = st.filter(pl.col("position") == "Giáo viên")
    rng = rng_for(seed, school, year_start, period, "services")
    values: dict[str, tuple[int, int | None, int | None]] = {
        "101": (sum(pop.classes.values()), None, None),
        "120": (pop.classes.get("nursery", 0), None, None),
        "121": (pop.classes.get("kindergarten", 0), None, None),
        "201": _count(s),
        "220": _count(s.filter(pl.col("group") == "nursery")),
        "221": _count(s.filter(pl.col("group") == "kindergarten")),
        "230": _count(s.filter(pl.col("repeater"))),
        "231": _count(pop.students.filter(pl.col("status") == "Thôi học")),
        "301": _count(st),
        "302": _count(st.filter(pl.col("position") == "Cán bộ quản lý")),
        "303": _count(teachers),
        "304": _count(st.filter(pl.col("position") == "Nhân viên")),
        "311": _count(teachers.filter(pl.col("qualification") == "Trên chuẩn")),
        "312": _count(teachers.filter(pl.col("qualification") == "Đạt chuẩn")),
        "313": _count(teachers.filter(pl.col("qualification") == "Chưa đạt chuẩn")),
    }
    for g in range(1, 10):
        values[f"11{g}"] = (pop.classes.get(str(g), 0), None, None)
        values[f"21{g}"] = _count(s.filter(pl.col("grade") == g))
    for code, v in infrastructure(school, pop, seed, year_start).items():
        values[code] = (v, None, None)
    fees = int(rng.integers(4, 12))
    applications = int(rng.integers(40, 300))
    m = school.maturity
    values["501"] = (fees, None, None)
    values["502"] = (round(fees * min(1.0, 0.3 + 0.7 * m)), None, None)
    values["503"] = (applications, None, None)
    values["504"] = (round(applications * min(1.0, 0.2 + 0.8 * m)), None, None)
    rows = []
    for code, label, breakdown in (
        emis_applicable(codes, school.level, period)
        .select("code", "label", "breakdown")
        .iter_rows()
    ):
        total, female, ethnic = values[code]
        if breakdown == "y":
            rows.append([code, label, total, female, ethnic])
        else:
            rows.append([code, label, total, None, None])
    return rows


def _band_points(index_bands, measure: float) -> float:
    for b in index_bands:
        if (
            b.op == "any"
            or (b.op == "upto" and measure <= b.bound)
            or (b.op == "from" and measure >= b.bound)
        ):
            return b.points
    return 0.0


def cds_rows(
    school: School,
    pop: Population,
    index: CdsIndex,
    seed: int,
    year_start: int,
) -> list[list[object]]:
    """[code, name, self score, numerator, denominator, evidence] per indicator."""
    rng = rng_for(seed, school, year_start, "cds")
    m = min(1.0, school.maturity + 0.08 * (year_start - 2024))  # schools progress
    st = pop.staff.filter(pl.col("status") == "Đang làm việc")
    teachers = st.filter(pl.col("position") == "Giáo viên")
    infra = infrastructure(school, pop, seed, year_start)
    informatics = informatics_students(pop, school.level)
    known: dict[str, tuple[int, int]] = {
        "1.6.1": (int((teachers["training_account"] == "Có").sum()), teachers.height),
        "1.7.1": (min(infra["402"], infra["403"]), infra["401"]),
        "1.7.2": (informatics, infra["406"]),
        # as the warehouse cross-checks it (contract §6, staff_digital_signature): every
        # active staff member, so that a school without faults is never contradicted
        "2.5": (int((st["digital_signature"] == "Có").sum()), st.height),
    }
    rows: list[list[object]] = []
    for ind in index.indicators:
        evidence = f"https://{school.code}.edu.vn/minh-chung/{ind.code}"
        num = den = None
        if ind.rule == "mandatory":
            score: object = "Đạt" if rng.random() < 0.93 + 0.07 * m else "Không đạt"
        elif ind.rule == "binary":
            score = ind.max_points if rng.random() < m else 0
            if score == 0:
                evidence = None
        elif ind.rule == "ratio":
            if ind.code in known:
                num, den = known[ind.code]
            else:
                den = int(rng.integers(10, 40))
                num = int(min(den, round(den * float(np.clip(rng.normal(m, 0.15), 0, 1)))))
            score = round(ind.max_points * min(1.0, num / den), 1) if den else 0
        else:
            num, den = known.get(ind.code, (int(rng.integers(20, 200)), int(rng.integers(5, 60))))
            bands = ind.bands_by_level.get(school.level, ind.bands)
            score = _band_points(bands, num / den) if den else 0
        rows.append([ind.code, ind.name, score, num, den, evidence])
    return rows
