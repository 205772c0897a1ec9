"""A school's learners and staff for one school year and period, as Polars frames.

Whole columns are drawn at once with NumPy from an RNG seeded by (seed, school, year), so
a school's people do not depend on which worker draws them or in which order. Personal IDs
follow contract §3 and are unique by construction: the 6-digit serial is the school's
index in its province × 512 + the person's rank among people of the same gender and birth
year in that school.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from pipelines.generate.geography import School
from pipelines.ingest.personal_id import century_digit

GRADES = {"TH": range(1, 6), "THCS": range(6, 10), "TH_THCS": range(1, 10), "THPT": range(10, 13)}
CLASSES_PER_GRADE = {"TH": (4, 8), "THCS": (3, 7), "TH_THCS": (1, 4), "THPT": (6, 12)}
CLASS_SIZE = {
    "TH": (27, 3, 18, 35),
    "THCS": (31, 3, 20, 45),
    "TH_THCS": (28, 3, 18, 45),
    "THPT": (40, 3, 30, 45),
}
PUPILS_PER_TEACHER = {"MN": 10, "TH": 19, "THCS": 17, "TH_THCS": 18, "THPT": 18}
FEMALE_STAFF = {"MN": 0.95, "TH": 0.8, "THCS": 0.7, "TH_THCS": 0.75, "THPT": 0.6}
SERIAL_BLOCK = 512  # people of one gender and birth year a school may have


@cache
def vocabulary() -> dict:
    return yaml.safe_load((Path(__file__).parent / "population.yaml").read_text(encoding="utf-8"))


def rng_for(seed: int, school: School, *parts: object) -> np.random.Generator:
    # str hash() is salted per process: derive stable integers from the text instead
    tail = [int.from_bytes(str(p).encode(), "little") % (2**31) for p in parts]
    return np.random.default_rng([seed, int(school.code, 36), *tail])


def _names(rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
    v = vocabulary()
    fam = np.array(list(v["family_names"]))
    w = np.array(list(v["family_names"].values()), dtype=float)
    n = len(female)
    family = fam[rng.choice(len(fam), n, p=w / w.sum())]
    mid = np.where(
        female,
        np.array(v["middle_female"])[rng.integers(0, len(v["middle_female"]), n)],
        np.array(v["middle_male"])[rng.integers(0, len(v["middle_male"]), n)],
    )
    given = np.where(
        female,
        np.array(v["given_female"])[rng.integers(0, len(v["given_female"]), n)],
        np.array(v["given_male"])[rng.integers(0, len(v["given_male"]), n)],
    )
    return np.char.add(np.char.add(np.char.add(family, " "), np.char.add(mid, " ")), given)


def _ethnicity(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    v = vocabulary()["ethnic_minorities"]
    groups = np.array(list(v))
    w = np.array(list(v.values()), dtype=float)
    minority = rng.random(n) < share
    return np.where(minority, groups[rng.choice(len(groups), n, p=w / w.sum())], "Kinh")


def _birth_dates(rng: np.random.Generator, years: np.ndarray) -> list[date]:
    days = rng.integers(0, 365, len(years))
    base = np.array([np.datetime64(f"{y}-01-01") for y in years]) if len(years) else np.array([])
    return (base + days.astype("timedelta64[D]")).astype("datetime64[D]").astype(date).tolist()


def _personal_ids(school: School, female: np.ndarray, years: np.ndarray) -> list[str]:
    frame = pl.DataFrame({"f": female, "y": years}).with_columns(
        k=pl.int_range(pl.len()).over("f", "y")
    )
    k = frame["k"].to_numpy()
    if len(k) and k.max() >= SERIAL_BLOCK:
        raise ValueError(f"{school.code}: more than {SERIAL_BLOCK} people of one gender and year")
    serial = school.index_in_province * SERIAL_BLOCK + k
    digits = [century_digit(int(y), bool(f)) for f, y in zip(female, years, strict=True)]
    return [
        f"{school.birth_province}{d}{int(y) % 100:02d}{int(s):06d}"
        for d, y, s in zip(digits, years, serial, strict=True)
    ]


@dataclass
class Population:
    students: pl.DataFrame
    staff: pl.DataFrame
    classes: dict[str, int]  # grade ("1".."12", "nursery", "kindergarten") → classes


def _class_plan(
    counts_rng: np.random.Generator, rng: np.random.Generator, level: str
) -> list[tuple[str, int | None, str, int]]:
    """(group key, grade, class name, size) for every class of the school. How many classes a
    school has is its own (`counts_rng`, the same every year); their sizes vary by year."""
    plan = []
    if level == "MN":
        nursery_mean, kindergarten_mean = counts_rng.uniform(11, 19), counts_rng.uniform(19, 31)
        for n in range(int(counts_rng.integers(2, 5))):
            size = int(np.clip(rng.normal(nursery_mean, 2), 8, 25))
            plan.append(("nursery", None, f"Nhà trẻ {n + 1}", size))
        for n in range(int(counts_rng.integers(5, 10))):
            size = int(np.clip(rng.normal(kindergarten_mean, 2), 12, 35))
            plan.append(("kindergarten", None, f"Mẫu giáo {n + 1}", size))
        return plan
    lo, hi = CLASSES_PER_GRADE[level]
    mean, _, cmin, cmax = CLASS_SIZE[level]
    # each school has its own typical class size (rural small classes, crowded town schools)
    mean = counts_rng.uniform(mean - 4, mean + 4)
    sd = 2.0
    for g in GRADES[level]:
        for n in range(int(counts_rng.integers(lo, hi))):
            plan.append((str(g), g, f"{g}A{n + 1}", int(np.clip(rng.normal(mean, sd), cmin, cmax))))
    return plan


def build_population(school: School, seed: int, year_start: int, period: str) -> Population:
    """The school's people as of the period's date (30/9 or 31/5)."""
    rng = rng_for(seed, school, year_start, "people")
    plan = _class_plan(rng_for(seed, school, "classes"), rng, school.level)
    keys = np.repeat([p[0] for p in plan], [p[3] for p in plan])
    grade = np.repeat(np.array([-1 if p[1] is None else p[1] for p in plan]), [p[3] for p in plan])
    class_name = np.repeat([p[2] for p in plan], [p[3] for p in plan])
    n = len(keys)
    female = rng.random(n) < 0.48
    repeater = (grade > 1) & (rng.random(n) < 0.02)
    age = np.where(
        keys == "nursery",
        rng.integers(1, 3, n),
        np.where(keys == "kindergarten", rng.integers(3, 6, n), 5 + grade + repeater),
    )
    years = year_start - age
    status = rng.choice(
        ["Đang học", "Chuyển đến", "Chuyển đi", "Thôi học"], n, p=[0.975, 0.015, 0.006, 0.004]
    )
    m = school.maturity
    signed_p = (0.4 + 0.6 * m) if period == "cuoi_nam" else (0.3 + 0.6 * m)
    transcript = np.where(rng.random(n) < signed_p, "Đã ký", "Chưa ký")
    hk1 = rng.random(n) < 0.95 + 0.05 * m
    hk2 = rng.random(n) < 0.95 + 0.05 * m
    if period == "cuoi_nam":
        change = rng.random(n)
        active = np.isin(status, ["Đang học", "Chuyển đến"])
        status = np.where(
            active & (change < 0.015),
            "Chuyển đi",
            np.where(active & (change > 0.994), "Thôi học", status),
        )
    is_mn = school.level == "MN"
    students = pl.DataFrame(
        {
            "student_code": [f"{school.code}{i + 1:05d}" for i in range(n)],
            "full_name": _names(rng, female),
            "birth_date": _birth_dates(rng, years),
            "female": female,
            "ethnicity": _ethnicity(rng, n, school.minority_share),
            "group": keys,
            "grade": pl.Series(np.where(grade < 0, None, grade).tolist(), dtype=pl.Int64),
            "class_name": class_name,
            "status": status,
            "repeater": repeater,
            "personal_id": _personal_ids(school, female, years),
            "digital_transcript": [None] * n if is_mn else transcript.tolist(),
            "results_hk1": [
                None if is_mn or period == "dau_nam" or not v else "Đã cập nhật" for v in hk1
            ],
            "results_hk2": [
                None if is_mn or period == "dau_nam" or not v else "Đã cập nhật" for v in hk2
            ],
        }
    )
    classes: dict[str, int] = {}
    for key, *_ in plan:
        classes[key] = classes.get(key, 0) + 1
    return Population(
        students=students, staff=_staff(school, seed, year_start, period, n), classes=classes
    )


def _staff(
    school: School, seed: int, year_start: int, period: str, n_students: int
) -> pl.DataFrame:
    rng = rng_for(seed, school, year_start, "staff")
    # each school its own staffing level, around the level's norm
    ratio = PUPILS_PER_TEACHER[school.level] * rng_for(seed, school, "staffing").uniform(0.8, 1.25)
    teachers = max(3, round(n_students / ratio))
    managers = int(rng.integers(2, 4))
    others = int(rng.integers(3, 9))
    position = np.array(
        ["Cán bộ quản lý"] * managers + ["Giáo viên"] * teachers + ["Nhân viên"] * others
    )
    n = len(position)
    female = rng.random(n) < FEMALE_STAFF[school.level]
    years = rng.integers(1966, 2001, n)
    is_teacher = position == "Giáo viên"
    qualification = np.where(
        is_teacher,
        rng.choice(["Trên chuẩn", "Đạt chuẩn", "Chưa đạt chuẩn"], n, p=[0.3, 0.62, 0.08]),
        None,
    )
    status = rng.choice(
        ["Đang làm việc", "Tạm nghỉ", "Nghỉ hưu", "Chuyển đi"], n, p=[0.96, 0.02, 0.01, 0.01]
    )
    m = school.maturity
    signature = rng.random(n) < np.where(position == "Nhân viên", 0.3, 0.55 + 0.45 * m)
    training = rng.random(n) < np.where(is_teacher, 0.7 + 0.3 * m, 0.5)
    return pl.DataFrame(
        {
            "staff_code": [f"CB{school.code}{i + 1:04d}" for i in range(n)],
            "full_name": _names(rng, female),
            "birth_date": _birth_dates(rng, years),
            "female": female,
            "ethnicity": _ethnicity(rng, n, school.minority_share * 0.6),
            "position": position,
            "qualification": pl.Series(qualification.tolist(), dtype=pl.String),
            "status": status,
            "personal_id": _personal_ids(school, female, years),
            "digital_signature": np.where(signature, "Có", "Không"),
            "training_account": np.where(training, "Có", "Không"),
        }
    )
