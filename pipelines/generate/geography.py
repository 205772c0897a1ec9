"""Who exists at each scale: provinces, districts, schools (deterministic for a seed)."""

from __future__ import annotations

import random
from dataclasses import dataclass

LEVEL_NAMES = {
    "MN": "Mầm non",
    "TH": "Tiểu học",
    "THCS": "Trung học cơ sở",
    "TH_THCS": "TH&THCS",
    "THPT": "Trung học phổ thông",
}
SCHOOL_NAME_PARTS = [
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
    "Minh Khai",
    "Thái Phiên",
    "Cát Bi",
    "Đông Hải",
    "Nam Hải",
    "Thành Tô",
    "Tràng Cát",
    "Hải Thành",
    "Vạn Mỹ",
    "An Biên",
    "Lạc Viên",
    "Gia Viên",
    "Đông Khê",
    "Lạch Tray",
    "Vĩnh Niệm",
    "Dư Hàng",
    "Hàng Kênh",
    "Lam Sơn",
    "Nghĩa Xá",
    "Trưng Vương",
    "Lê Hồng Phong",
    "Nguyễn Huệ",
    "Phan Chu Trinh",
    "Yết Kiêu",
]
# Birth-registration codes (contract §3) standing for the merged provinces of 2025.
PROVINCE_CODES = [
    "001",
    "002",
    "004",
    "008",
    "011",
    "012",
    "014",
    "015",
    "019",
    "020",
    "022",
    "024",
    "025",
    "030",
    "031",
    "033",
    "036",
    "037",
    "038",
    "040",
    "042",
    "044",
    "046",
    "048",
    "051",
    "052",
    "056",
    "064",
    "066",
    "068",
    "075",
    "079",
    "092",
    "096",
]


@dataclass
class School:
    code: str
    name: str
    level: str
    province_code: str  # 2 digits, as in the school code
    province_name: str
    birth_province: str  # 3-digit code of §3 for people born there
    district_code: str
    district_name: str
    commune: tuple[str, str]
    ownership: str
    status: str
    maturity: float  # 0..1, how far its digital transformation is
    minority_share: float  # of its learners
    index_in_province: int  # for unique personal IDs


@dataclass(frozen=True)
class Scale:
    name: str
    provinces: int
    districts_per_province: int
    per_district: dict[str, int]  # schools per level in each district
    # whether the registry names the district: a province's registry made since the 2025
    # reform (two-tier local government, 1/7/2025) names only the commune and the province
    registry_districts: bool = True


SCALES = {
    "district": Scale("district", 1, 1, {"MN": 18, "TH": 19, "THCS": 14, "TH_THCS": 3}),
    "province": Scale(
        "province",
        1,
        15,
        {"MN": 23, "TH": 22, "THCS": 17, "TH_THCS": 3, "THPT": 2},
        registry_districts=False,
    ),
    "national": Scale(
        "national", 34, 20, {"MN": 28, "TH": 24, "THCS": 18, "TH_THCS": 5, "THPT": 4}
    ),
}


def build_schools(scale: Scale, seed: int) -> list[list[School]]:
    """Schools grouped by district, in a stable order."""
    rng = random.Random(f"{seed}:geography")
    districts: list[list[School]] = []
    for p in range(scale.provinces):
        # The sample district keeps the code of province 31 (Hải Phòng) it always had.
        province = "31" if scale.provinces == 1 else PROVINCE_CODES[p][1:]
        birth = "031" if scale.provinces == 1 else PROVINCE_CODES[p]
        province_name = "Thành phố Hải Phòng" if province == "31" else f"Tỉnh {province}"
        index_in_province = 0
        for d in range(scale.districts_per_province):
            district = f"{305 + d:03d}" if scale.provinces == 1 else f"{101 + d:03d}"
            district_name = f"Huyện {district}" if d or scale.name != "district" else "Quận Hải An"
            minority = rng.uniform(0.01, 0.08) if rng.random() < 0.7 else rng.uniform(0.2, 0.9)
            communes = [(f"{province}{district}{c:02d}", f"Xã {c:02d}") for c in range(1, 9)]
            if not scale.registry_districts:  # a commune's name is then unique in its province
                communes = [
                    (code, f"Xã {d * 8 + c:03d}") for c, (code, _) in enumerate(communes, 1)
                ]
            schools: list[School] = []
            seq = 0
            for level, n in scale.per_district.items():
                for _ in range(n):
                    seq += 1
                    index_in_province += 1
                    name_part = SCHOOL_NAME_PARTS[(seq * 7 + d) % len(SCHOOL_NAME_PARTS)]
                    schools.append(
                        School(
                            code=f"{province}{district}{seq:03d}",
                            name=f"Trường {LEVEL_NAMES[level]} {name_part}",
                            level=level,
                            province_code=province,
                            province_name=province_name,
                            birth_province=birth,
                            district_code=district,
                            district_name=district_name,
                            commune=communes[rng.randrange(len(communes))],
                            ownership="Tư thục"
                            if level == "MN" and rng.random() < 0.2
                            else "Công lập",
                            status="Đang hoạt động",
                            maturity=rng.uniform(0.3, 1.0),
                            minority_share=minority,
                            index_in_province=index_in_province,
                        )
                    )
            # One primary school per district has paused: it is not expected to report.
            next(s for s in schools if s.level == "TH").status = "Tạm dừng"
            districts.append(schools)
    return districts
