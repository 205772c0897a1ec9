"""The tables of the district's report, read from analytics.duckdb: one query per section,
shared by the Excel and the HTML report so both show the same figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl


@dataclass(frozen=True)
class Section:
    key: str
    sheet: str  # Excel sheet name (≤ 31 characters)
    title: str
    about: str
    sql: str  # `$year` is the school year of the report


SECTIONS = (
    Section(
        "cds_levels",
        "Mức CĐS theo trường",
        "Mức độ chuyển đổi số của từng trường",
        "Điểm nhóm 1 (dạy học), nhóm 2 (quản trị) và mức CĐS đã kiểm tra theo QĐ 4725, "
        "mức tự đánh giá, ngày nộp và đúng hạn.",
        """
        select m.school_code, s.school_name, m.school_level, m.group1_verified_score,
               m.group2_verified_score, m.verified_level, m.self_level, m.submitted_on,
               m.versions, m.on_time
        from marts.cds_maturity_school m join marts.dim_school s using (school_code)
        where m.school_year = $year
        order by m.school_level, m.verified_level desc, s.school_name
        """,
    ),
    Section(
        "cds_summary",
        "Tổng hợp theo mức",
        "Tổng hợp mức độ chuyển đổi số theo cấp học",
        "Số trường mỗi mức, tỉ lệ đã đánh giá và tỉ lệ đạt mức 2 trở lên, theo cấp học.",
        """
        select level, n_schools, n_assessed, n_level1, n_level2, n_level3, pct_assessed,
               pct_level2_plus, avg_group1_verified, avg_group2_verified
        from marts.cds_maturity_district where school_year = $year
        order by district_code, level
        """,
    ),
    Section(
        "reporting",
        "Tình hình nộp báo cáo",
        "Tình hình nộp báo cáo của các trường",
        "Mỗi báo cáo phải nộp: hạn, ngày nộp lần đầu và gần nhất, số lần nộp, trạng thái.",
        """
        select r.school_code, s.school_name, r.report, r.period, r.due_on, r.first_submitted_on,
               r.last_submitted_on, r.versions, r.days_late, r.status
        from marts.reporting_status r join marts.dim_school s using (school_code)
        where r.school_year = $year and r.expected
        order by r.report, r.period, r.status desc, s.school_name
        """,
    ),
    Section(
        "completeness",
        "Đầy đủ dữ liệu",
        "Mức đầy đủ, đúng hạn của dữ liệu theo trường",
        "Điểm đầy đủ (nộp, đúng hạn, chỉ tiêu, số định danh, kết quả học tập) và xếp loại "
        "xanh (≥ 90), vàng (80–90), đỏ (< 80).",
        """
        select c.school_code, s.school_name, c.school_level, c.period, c.reporting_rate,
               c.on_time_rate, c.emis_field_completeness, c.student_id_coverage,
               c.staff_id_coverage, c.results_coverage, c.completeness_score, c.band
        from marts.data_completeness_school c join marts.dim_school s using (school_code)
        where c.school_year = $year
        order by c.period, c.completeness_score desc, s.school_name
        """,
    ),
    Section(
        "infrastructure",
        "Chỉ tiêu hạ tầng",
        "Chỉ tiêu hạ tầng và số hoá theo trường",
        "Học sinh trên một máy tính (Tin học, mục tiêu ≤ 2), phòng học có Internet, chữ ký số "
        "của giáo viên, học bạ số, theo báo cáo mới nhất của năm học.",
        """
        with latest as (
            select * from marts.infrastructure_school where school_year = $year
            qualify period = max(period) over (partition by school_code)
        )
        select i.school_code, s.school_name, i.school_level, i.period, i.students_per_computer,
               i.meets_computer_ratio, i.pct_classrooms_internet,
               i.pct_teachers_digital_signature, i.pct_students_digital_transcript
        from latest i join marts.dim_school s using (school_code)
        order by i.school_level, s.school_name
        """,
    ),
)


@dataclass(frozen=True)
class ReportContext:
    unit: str  # the district(s) or province the report covers
    school_year: str
    made_on: date


def report_year(con: duckdb.DuckDBPyConnection) -> str | None:
    """The latest school year with a CĐS assessment or a report."""
    row = con.execute(
        "select max(school_year) from (select school_year from marts.cds_maturity_school "
        "union all select school_year from marts.data_completeness_school)"
    ).fetchone()
    return row[0] if row else None


def report_unit(con: duckdb.DuckDBPyConnection) -> str:
    names = [
        r[0]
        for r in con.execute(
            "select distinct coalesce(district_name, district_code) from marts.dim_school "
            "where is_active order by 1"
        ).fetchall()
    ]
    return ", ".join(names) if len(names) <= 3 else f"{len(names)} quận/huyện"


def section_frames(con: duckdb.DuckDBPyConnection, school_year: str) -> dict[str, pl.DataFrame]:
    return {s.key: con.sql(s.sql, params={"year": school_year}).pl() for s in SECTIONS}
