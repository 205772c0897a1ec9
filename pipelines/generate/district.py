"""A synthetic district: registry and CĐS self-assessments in the contract's formats.

Deterministic for a seed. Every deliberate oddity (late, missing, resubmitted, broken) is
listed in `manifest.json` so tests can check that the pipeline finds exactly those.
"""

from __future__ import annotations

import json
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pipelines.generate.writers import write_csv, write_xlsx
from pipelines.reference.cds_index import CdsIndex, load_index
from pipelines.settings import SHIPPED_REFERENCE

LEVEL_NAMES = {"MN": "Mầm non", "TH": "Tiểu học", "THCS": "Trung học cơ sở", "TH_THCS": "TH&THCS"}
NAME_POOL = [
    "Hoa Sen",
    "Họa Mi",
    "Sơn Ca",
    "Tuổi Thơ",
    "Hoa Hồng",
    "Bình Minh",
    "Lê Lợi",
    "Trần Phú",
    "Nguyễn Trãi",
    "Chu Văn An",
    "Lê Quý Đôn",
    "Quang Trung",
    "Kim Đồng",
    "Võ Thị Sáu",
    "Ngô Quyền",
    "Lý Thường Kiệt",
    "Hai Bà Trưng",
    "Phan Bội Châu",
    "Nguyễn Du",
    "Tô Hiệu",
    "Đoàn Kết",
    "Hồng Bàng",
    "Hoàng Văn Thụ",
    "Lương Khánh Thiện",
    "Minh Khai",
    "Thái Phiên",
    "Đằng Giang",
    "Cát Bi",
    "Đông Hải",
    "Nam Hải",
    "Thành Tô",
    "Tràng Cát",
    "Đằng Lâm",
    "Đằng Hải",
    "Hải Thành",
    "Cầu Tre",
    "Vạn Mỹ",
    "An Biên",
    "Lạc Viên",
    "Cầu Đất",
    "Máy Chai",
    "Máy Tơ",
    "Gia Viên",
    "Đông Khê",
    "Lạch Tray",
    "Đổng Quốc Bình",
    "Vĩnh Niệm",
    "Dư Hàng",
    "Hàng Kênh",
    "An Dương",
    "Niệm Nghĩa",
    "Trại Cau",
    "Lam Sơn",
    "Nghĩa Xá",
]
COMMUNES = [
    ("11311", "Phường Đằng Giang"),
    ("11314", "Phường Cát Bi"),
    ("11317", "Phường Đông Hải 1"),
    ("11320", "Phường Nam Hải"),
    ("11323", "Phường Thành Tô"),
    ("11326", "Phường Tràng Cát"),
]


@dataclass
class School:
    code: str
    name: str
    level: str
    ownership: str
    commune: tuple[str, str]
    status: str
    maturity: float  # 0..1: how far along its digital transformation is


def _schools(rng: random.Random, province: str, district: str) -> list[School]:
    counts = [("MN", 18), ("TH", 19), ("THCS", 14), ("TH_THCS", 3)]
    names = rng.sample(NAME_POOL, k=sum(n for _, n in counts))
    out: list[School] = []
    seq = 0
    for level, n in counts:
        for _ in range(n):
            seq += 1
            ownership = "Tư thục" if level == "MN" and rng.random() < 0.2 else "Công lập"
            out.append(
                School(
                    code=f"{province}{district}{seq:03d}",
                    name=f"Trường {LEVEL_NAMES[level]} {names[seq - 1]}",
                    level=level,
                    ownership=ownership,
                    commune=rng.choice(COMMUNES),
                    status="Đang hoạt động",
                    maturity=rng.uniform(0.3, 1.0),
                )
            )
    # One primary school has paused operation: not expected to report.
    paused = next(s for s in out if s.level == "TH")
    paused.status = "Tạm dừng"
    return out


def _assessment_rows(
    rng: random.Random, index: CdsIndex, school: School, with_evidence: float
) -> list[list[object]]:
    m = school.maturity
    rows: list[list[object]] = []
    for ind in index.indicators:
        # Plans and decisions (mandatory conditions) are nearly always attached as evidence.
        p_evidence = 0.97 if ind.rule == "mandatory" else with_evidence
        evidence = (
            f"https://truong.edu.vn/{school.code}/minh-chung/{ind.code}"
            if rng.random() < p_evidence
            else None
        )
        num = den = None
        if ind.rule == "mandatory":
            score: object = "Đạt" if rng.random() < 0.93 + 0.07 * m else "Không đạt"
        elif ind.rule == "binary":
            score = ind.max_points if rng.random() < m else 0
        elif ind.rule == "ratio":
            den = rng.randint(10, 60)
            num = min(den, round(den * min(1.0, max(0.0, rng.gauss(m, 0.15)))))
            score = round(ind.max_points * num / den, 1)
        else:  # bands: pupils per computer
            den = rng.randint(15, 60)
            ratio = max(0.8, rng.gauss(6 - 5 * m, 1.0))
            num = round(den * ratio)
            bands = ind.bands_by_level.get(school.level, ind.bands)
            measure = num / den
            score = next(
                b.points
                for b in bands
                if b.op == "any"
                or (b.op == "upto" and measure <= (b.bound or 0))
                or (b.op == "from" and measure >= (b.bound or 0))
            )
        rows.append([ind.code, ind.name, score, num, den, evidence])
    return rows


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def generate(
    out: Path,
    *,
    scale: str = "district",
    seed: int = 20241,
    school_years: tuple[str, ...] = ("2024-2025", "2025-2026"),
) -> dict:
    """Write a synthetic district under `out`; return the manifest."""
    if scale != "district":
        raise NotImplementedError("Only --scale district is implemented so far")
    rng = random.Random(seed)
    index = load_index(SHIPPED_REFERENCE / "cds_index.yaml")
    province, district = "31", "305"
    schools = _schools(rng, province, district)
    manifest: dict = {"scale": scale, "seed": seed, "files": [], "faults": [], "events": []}

    registry_cols = [
        "Mã trường",
        "Tên trường",
        "Cấp học",
        "Loại hình",
        "Mã xã",
        "Xã/Phường/Thị trấn",
        "Mã huyện",
        "Quận/Huyện",
        "Mã tỉnh",
        "Trạng thái",
    ]
    registry_rows = [
        [
            s.code,
            s.name,
            LEVEL_NAMES[s.level],
            s.ownership,
            s.commune[0],
            s.commune[1],
            district,
            "Quận Hải An",
            province,
            s.status,
        ]
        for s in schools
    ]
    reg_path = out / "schools" / "danh_muc_truong.xlsx"
    write_xlsx(
        reg_path,
        title="DANH MỤC CƠ SỞ GIÁO DỤC",
        header=[("Năm học", "2024-2025")],
        columns=registry_cols,
        rows=registry_rows,
        sheet="DanhMuc",
    )
    manifest["files"].append(
        {"source": "schools", "file": "schools/danh_muc_truong.xlsx", "rows": len(registry_rows)}
    )

    cds_cols = ["Mã tiêu chí", "Nội dung", "Điểm tự\nđánh giá", "Tử số", "Mẫu số", "Minh chứng"]
    in_scope = [
        s for s in schools if s.level in index.levels_in_scope and s.status == "Đang hoạt động"
    ]
    for year in school_years:
        start = int(year[:4])
        due = date(start + 1, 2, 28)
        order = list(in_scope)
        rng.shuffle(order)
        missing = {s.code for s in order[:2]}
        late = {s.code for s in order[2:5]}
        resubmit = order[5].code
        broken = order[6].code
        for n, s in enumerate(in_scope):
            if s.code in missing:
                manifest["events"].append(
                    {
                        "kind": "missing_submission",
                        "source": "cds_assessment",
                        "school_code": s.code,
                        "school_year": year,
                    }
                )
                continue
            if s.code in late:
                submitted = due + timedelta(days=rng.randint(3, 40))
                manifest["events"].append(
                    {
                        "kind": "late_submission",
                        "source": "cds_assessment",
                        "school_code": s.code,
                        "school_year": year,
                        "submitted_on": submitted.isoformat(),
                    }
                )
            else:
                submitted = due - timedelta(days=rng.randint(0, 30))
            s.maturity = min(1.0, s.maturity + 0.08 * (start - 2024))  # schools progress
            rows = _assessment_rows(rng, index, s, with_evidence=0.8 + 0.2 * s.maturity)
            rel = f"cds_assessment/{year}/{s.code}_tu_danh_gia_cds.xlsx"
            header = [
                ("Mã trường", s.code),
                ("Tên trường", s.name),
                ("Năm học", year),
                ("Ngày báo cáo", submitted),
            ]
            title = "PHIẾU TỰ ĐÁNH GIÁ MỨC ĐỘ CHUYỂN ĐỔI SỐ (QĐ 4725/QĐ-BGDĐT)"
            columns = list(cds_cols)
            if n % 5 == 0:  # some schools' software writes decomposed (NFD) Vietnamese
                title, columns = _nfd(title), [_nfd(c) for c in columns]
            if n % 4 == 1:  # some files carry a column the pipeline does not use
                columns.append("Ghi chú")
            if s.code == broken:
                path = out / rel
                write_xlsx(path, title=title, header=header, columns=columns, rows=rows)
                data = path.read_bytes()
                path.write_bytes(data[: len(data) // 3])  # a truncated upload
                manifest["faults"].append(
                    {
                        "kind": "corrupt_workbook",
                        "source": "cds_assessment",
                        "file": rel,
                        "sheet": None,
                        "row": None,
                        "column": None,
                    }
                )
                continue
            if s.code == resubmit:
                first = [list(r) for r in rows]
                first[2][5] = None  # first version forgot an evidence link
                write_xlsx(
                    out / rel.replace(".xlsx", "_lan1.xlsx"),
                    title=title,
                    header=header,
                    columns=columns,
                    rows=first,
                    layout="split",
                )
                manifest["files"].append(
                    {
                        "source": "cds_assessment",
                        "file": rel.replace(".xlsx", "_lan1.xlsx"),
                        "rows": len(first),
                    }
                )
                resubmitted = submitted + timedelta(days=12)
                header = [*header[:3], ("Ngày báo cáo", resubmitted)]
                rel = rel.replace(".xlsx", "_lan2.xlsx")
                manifest["events"].append(
                    {
                        "kind": "resubmission",
                        "source": "cds_assessment",
                        "school_code": s.code,
                        "school_year": year,
                        "first_submitted_on": submitted.isoformat(),
                        "last_submitted_on": resubmitted.isoformat(),
                    }
                )
            write_xlsx(
                out / rel,
                title=title,
                header=header,
                columns=columns,
                rows=rows,
                layout="split" if n % 2 else "inline",
                sheet="TuDanhGia",
                date_as_serial=n % 3 == 0,
            )
            manifest["files"].append({"source": "cds_assessment", "file": rel, "rows": len(rows)})
    # A registry extract some office keeps as CSV, for the same schools (identical rows).
    write_csv(
        out / "schools" / "README_khong_dung.csv",
        header=[],
        columns=["Ghi chú"],
        rows=[["Tệp này không phải danh mục trường: minh hoạ tệp bị từ chối"]],
    )
    manifest["faults"].append(
        {
            "kind": "missing_required_column",
            "source": "schools",
            "file": "schools/README_khong_dung.csv",
            "sheet": None,
            "row": None,
            "column": "Mã trường",
        }
    )
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return manifest
