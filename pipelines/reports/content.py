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
        "của giáo viên, học bạ số, theo kỳ báo cáo mới nhất của năm học.",
        """
        select i.school_code, s.school_name, i.school_level, i.period, i.students_per_computer,
               i.meets_computer_ratio, i.pct_classrooms_internet,
               i.pct_teachers_digital_signature, i.pct_students_digital_transcript
        from marts.infrastructure_school i join marts.dim_school s using (school_code)
        where i.school_year = $year and i.period = $period
        order by i.school_level, s.school_name
        """,
    ),
    Section(
        "follow_up",
        "Việc cần đôn đốc",
        "Việc cần đôn đốc trước hạn",
        "Báo cáo chưa nộp (quá hạn hoặc đến hạn trong 14 ngày), rồi các lỗi dữ liệu còn mở, "
        "theo thứ tự ưu tiên: lỗi trước cảnh báo, trường nhiều học sinh trước.",
        """
        select priority, item, severity, school_code, school_name, source, period, due_on,
               days_late, source_file, "row", field, message_vi
        from marts.follow_up_list
        where school_year = $year or school_year is null
        order by priority
        """,
    ),
    Section(
        "issues",
        "Lỗi dữ liệu",
        "Lỗi và cảnh báo dữ liệu theo tệp",
        "Mọi tệp bị từ chối, dòng bị cách ly, cảnh báo và vi phạm quy tắc: tệp, trang tính, "
        "dòng, cột cần mở và giá trị sai.",
        """
        select i.school_code, s.school_name, i.severity, i.source, i.period, i.source_file,
               i.sheet, i."row", i.field, i.rule_id, i.message_vi, i.value
        from marts.data_quality_issues i left join marts.dim_school s using (school_code)
        where i.school_year = $year or i.school_year is null
        order by i.severity = 'error' desc, s.school_name nulls last, i.source_file,
                 i."row" nulls first, i.field
        """,
    ),
)


# The district's infrastructure targets as the mart computes them, for the HTML chart
# (weighted by the schools that reported, when the report covers several districts).
TARGETS_SQL = """
    select
        sum(n_reported) as n_reported,
        sum(pct_schools_computer_ratio_met * n_reported) / sum(n_reported)
            as pct_schools_computer_ratio_met,
        sum(pct_schools_internet_all_classrooms * n_reported) / sum(n_reported)
            as pct_schools_internet_all_classrooms,
        sum(pct_schools_all_staff_signature * n_reported) / sum(n_reported)
            as pct_schools_all_staff_signature,
        sum(avg_pct_students_digital_transcript * n_reported) / sum(n_reported)
            as avg_pct_students_digital_transcript
    from marts.infrastructure_district
    where school_year = $year and period = $period and n_reported > 0
"""


@dataclass(frozen=True)
class ReportContext:
    unit: str  # the district(s) or province the report covers
    school_year: str
    period: str | None  # the latest period of the year with a statistical report received
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


def report_period(con: duckdb.DuckDBPyConnection, school_year: str) -> str | None:
    """The latest period (by its due date) of `school_year` for which a statistical report
    was received."""
    rows = con.execute(
        "select period from marts.reporting_status where school_year = $year "
        "and report = 'emis_report' and received group by period order by max(due_on) desc "
        "limit 1",
        {"year": school_year},
    ).fetchall()
    return rows[0][0] if rows else None


def _query(con: duckdb.DuckDBPyConnection, sql: str, ctx: ReportContext) -> pl.DataFrame:
    params = {"year": ctx.school_year, "period": ctx.period}
    return con.sql(sql, params={k: v for k, v in params.items() if f"${k}" in sql}).pl()


def section_frames(con: duckdb.DuckDBPyConnection, ctx: ReportContext) -> dict[str, pl.DataFrame]:
    """One frame per section, and `targets`: the district's infrastructure targets."""
    frames = {s.key: _query(con, s.sql, ctx) for s in SECTIONS}
    frames["targets"] = _query(con, TARGETS_SQL, ctx)
    return frames
