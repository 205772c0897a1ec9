"""The tables of the district's report, read from analytics.duckdb: one query per section,
shared by the Excel and the HTML report so both show the same figures."""

from __future__ import annotations

from dataclasses import dataclass, replace
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
    # the sheet, title and text may name the lowest area level of the data: `{area}`
    # (xã/phường, quận/huyện, tỉnh/thành phố), filled by `for_report`

    def for_report(self, ctx: ReportContext) -> Section:
        word = AREA_WORDS[ctx.area_level]
        return replace(
            self,
            # Excel refuses `/` in a sheet name: `Theo xã, phường`
            sheet=self.sheet.format(area=word.replace("/", ", ")),
            title=self.title.format(area=word),
            about=self.about.format(area=word),
        )


# What the data calls each area level (contract §6 area_level), for headers and titles
AREA_WORDS = {
    "commune": "xã/phường",
    "district": "quận/huyện",
    "province": "tỉnh/thành phố",
    "nation": "toàn quốc",
}


# One row per area of the levels `$levels`: the CĐS summary of all school levels, the
# completeness and the infrastructure targets of the report's period, from the *_area marts.
AREA_SQL = """
    with areas as (
        select area_level, area_code, area_name from marts.cds_maturity_area
        where school_year = $year
        union
        select area_level, area_code, area_name from marts.data_completeness_area
        where school_year = $year
    ),

    cds as (
        select area_level, area_code, n_schools, n_assessed, pct_level2_plus
        from marts.cds_maturity_area where school_year = $year and level = 'ALL'
    ),

    completeness as (
        select area_level, area_code, n_schools_expected, reporting_rate, on_time_rate,
               avg_completeness_score, n_green, n_amber, n_red
        from marts.data_completeness_area where school_year = $year and period = $period
    ),

    infrastructure as (
        select area_level, area_code, pct_schools_computer_ratio_met,
               pct_schools_internet_all_classrooms, avg_pct_staff_signature
        from marts.infrastructure_area where school_year = $year and period = $period
    )

    select a.area_code, a.area_name, c.n_schools, c.n_assessed, c.pct_level2_plus,
           d.n_schools_expected, d.reporting_rate, d.on_time_rate, d.avg_completeness_score,
           d.n_green, d.n_amber, d.n_red, i.pct_schools_computer_ratio_met,
           i.pct_schools_internet_all_classrooms, i.avg_pct_staff_signature
    from areas as a
    left join cds as c using (area_level, area_code)
    left join completeness as d using (area_level, area_code)
    left join infrastructure as i using (area_level, area_code)
    where list_contains($levels, a.area_level)
    order by a.area_level = 'nation', a.area_name, a.area_code
"""

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
               m.versions, m.on_time, m.previous_verified_level, m.level_change
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
        from marts.cds_maturity_area where school_year = $year and area_level = $unit_level
        order by area_code, level
        """,
    ),
    Section(
        "cds_trend",
        "Mức CĐS qua các năm",
        "Mức độ chuyển đổi số qua các năm học",
        "Số trường mỗi mức (đã kiểm tra) trong từng năm học đến năm của báo cáo, và số trường "
        "tăng mức, giữ mức, giảm mức so với năm học trước (trường có mức ở cả hai năm).",
        """
        select school_year, count(*) as n_assessed,
               count(*) filter (where verified_level = 1) as n_level1,
               count(*) filter (where verified_level = 2) as n_level2,
               count(*) filter (where verified_level = 3) as n_level3,
               count(*) filter (where level_change > 0) as n_level_up,
               count(*) filter (where level_change = 0) as n_level_same,
               count(*) filter (where level_change < 0) as n_level_down
        from marts.cds_maturity_school
        where school_year <= $year
        group by school_year
        order by school_year
        """,
    ),
    Section(
        "cds_down",
        "Trường giảm mức CĐS",
        "Trường giảm mức chuyển đổi số so với năm học trước",
        "Trường có mức CĐS (đã kiểm tra) năm nay thấp hơn năm học trước: mức hai năm, điểm "
        "hai nhóm năm nay. Cần xem lại trước khi gửi Sở.",
        """
        select m.school_code, s.school_name, m.school_level, m.previous_verified_level,
               m.verified_level, m.level_change, m.group1_verified_score,
               m.group2_verified_score
        from marts.cds_maturity_school m join marts.dim_school s using (school_code)
        where m.school_year = $year and m.level_change < 0
        order by m.level_change, s.school_name
        """,
    ),
    Section(
        "areas",
        "Theo {area}",
        "Tổng hợp theo {area}",
        "Mỗi {area}: số trường, mức CĐS (đạt mức 2 trở lên), mức đầy đủ dữ liệu và chỉ tiêu hạ "
        "tầng của kỳ báo cáo mới nhất. Trường mà danh mục không ghi {area} không có trong trang "
        "này; trang 'Tổng hợp toàn tỉnh' tính mọi trường.",
        AREA_SQL.replace("$levels", "[$level]"),
    ),
    Section(
        "province",
        "Tổng hợp toàn tỉnh",
        "Tổng hợp toàn tỉnh",
        "Cùng các số liệu, cho cả tỉnh/thành phố (mọi trường trong dữ liệu; cả nước khi dữ "
        "liệu gồm nhiều tỉnh).",
        AREA_SQL.replace(
            "$levels",
            "case when (select count(distinct area_code) from marts.data_completeness_area "
            "where area_level = 'province' and school_year = $year) > 1 "
            "then ['province', 'nation'] else ['province'] end",
        ),
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
               c.staff_id_coverage, c.results_coverage, c.completeness_score, c.band,
               -- blank figures a school's export layout cannot supply, said as such
               array_to_string(list_transform(c.components_not_available, x -> case x
                   when 'results_coverage' then 'kết quả học tập'
                   when 'student_id_coverage' then 'số định danh học sinh'
                   when 'staff_id_coverage' then 'số định danh cán bộ' else x end), ', ')
                   as components_not_available
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
        "sync",
        "Đẩy dữ liệu CSDL ngành",
        "Đẩy dữ liệu lên CSDL ngành",
        "Mỗi học kỳ và đợt đẩy (học sinh, giáo viên, lớp học, kết quả học tập): tỉ lệ bản ghi "
        "đẩy thành công, số trường đẩy lỗi và số trường chưa đẩy khi đợt đã mở (lịch "
        "sync_calendar.csv), theo lịch sử đẩy dữ liệu tỉnh xuất từ CSDL ngành.",
        """
        select term, batch, n_schools_expected, n_schools_pushed, n_schools_failed,
               n_schools_missing, pushed, succeeded, failed, success_rate
        from marts.data_sync_area
        where school_year = $year and area_level = $unit_level
        order by area_code, term, case batch when 'students' then 1 when 'teachers' then 2
                 when 'classes' then 3 else 4 end
        """,
    ),
    Section(
        "follow_up",
        "Việc cần đôn đốc",
        "Việc cần đôn đốc trước hạn",
        "Báo cáo chưa nộp (quá hạn hoặc đến hạn trong 14 ngày), dữ liệu chưa đẩy lên CSDL "
        "ngành, rồi các lỗi dữ liệu còn mở, "
        "theo thứ tự ưu tiên: lỗi trước cảnh báo, trường nhiều học sinh trước.",
        """
        select priority, item, severity, school_code, school_name, source, period, due_on,
               days_late, source_file, "row", field, message_vi, area_name,
               pct_of_area_learners
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
                 i."row" nulls first, i.field, i.rule_id, i.message_vi, i.value
        """,
    ),
)


# The unit's infrastructure targets as the mart computes them, for the HTML chart (one row
# of infrastructure_area at the unit's level; weighted by the schools that reported, should
# there be several).
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
    from marts.infrastructure_area
    where school_year = $year and period = $period and area_level = $unit_level
        and n_reported > 0
"""


@dataclass(frozen=True)
class ReportContext:
    unit: str  # the district(s) or province the report covers
    school_year: str
    period: str | None  # the latest period of the year with a statistical report received
    made_on: date
    # the one area holding every active school: district, else province, else nation
    unit_level: str = "district"
    # the lowest area level the registry gives (the report's breakdown)
    area_level: str = "commune"


def report_year(con: duckdb.DuckDBPyConnection) -> str | None:
    """The latest school year with a CĐS assessment or a report."""
    row = con.execute(
        "select max(school_year) from (select school_year from marts.cds_maturity_school "
        "union all select school_year from marts.data_completeness_school)"
    ).fetchone()
    return row[0] if row else None


def _names(con: duckdb.DuckDBPyConnection, code: str, name: str, word: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            f"select distinct coalesce({name}, '{word} ' || {code}) from marts.dim_school "
            f"where is_active and {code} is not null order by 1"
        ).fetchall()
    ]


def report_unit(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """The unit the data covers, as the registry names it, and its area level: the
    district(s) when every active school has one, else the province(s) (registries made
    since the 2025 reform name no district)."""
    [(schools, without_district)] = con.execute(
        "select count(*), count(*) - count(district_code) from marts.dim_school where is_active"
    ).fetchall()
    districts = _names(con, "district_code", "district_name", "Quận/huyện")
    provinces = _names(con, "province_code", "province_name", "Tỉnh/thành phố")
    level = "district" if len(districts) == 1 and not without_district else "province"
    if len(provinces) > 1 and level == "province":
        level = "nation"
    if schools and not without_district:
        names = districts
        unit = ", ".join(names) if len(names) <= 3 else f"{len(names)} quận/huyện"
    else:
        names = provinces
        unit = ", ".join(names) if len(names) <= 3 else f"{len(names)} tỉnh/thành phố"
    return unit, level


def report_area_level(con: duckdb.DuckDBPyConnection, school_year: str) -> str:
    """The lowest area level (commune, district, province) that the registry of
    `school_year` gives any school."""
    rows = con.execute(
        "select area_level from marts.data_completeness_area where school_year = $year "
        "union select area_level from marts.cds_maturity_area where school_year = $year",
        {"year": school_year},
    ).fetchall()
    present = {r[0] for r in rows}
    return next((a for a in AREA_WORDS if a in present), "province")


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
    params = {
        "year": ctx.school_year,
        "period": ctx.period,
        "unit_level": ctx.unit_level,
        "level": ctx.area_level,
    }
    return con.sql(sql, params={k: v for k, v in params.items() if f"${k}" in sql}).pl()


def _area_headers(df: pl.DataFrame, level: str) -> pl.DataFrame:
    """An area's code and name headed by what the data calls it (`Xã/phường`, …)."""
    word = AREA_WORDS[level]
    return df.rename(
        {"area_code": f"Mã {word}", "area_name": word[0].upper() + word[1:]}, strict=False
    )


def _follow_up_headers(df: pl.DataFrame, con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The weighing area named by its level when the list has one (`quận/huyện` or
    `tỉnh/thành phố`), else `địa bàn`."""
    levels = [
        r[0] for r in con.execute("select distinct area_level from marts.follow_up_list").fetchall()
    ]
    word = AREA_WORDS[levels[0]] if len(levels) == 1 else "địa bàn"
    return df.rename(
        {
            "area_name": word[0].upper() + word[1:],
            "pct_of_area_learners": f"Tỉ trọng học sinh của {word} (%)",
        }
    )


def section_frames(con: duckdb.DuckDBPyConnection, ctx: ReportContext) -> dict[str, pl.DataFrame]:
    """One frame per section, and `targets`: the unit's infrastructure targets."""
    frames = {s.key: _query(con, s.sql, ctx) for s in SECTIONS}
    frames["areas"] = _area_headers(frames["areas"], ctx.area_level)
    frames["province"] = _area_headers(frames["province"], "province")
    frames["follow_up"] = _follow_up_headers(frames["follow_up"], con)
    frames["targets"] = _query(con, TARGETS_SQL, ctx)
    frames["places"] = _query(con, PLACES_SQL, ctx)
    return frames


# Where each school is, in the words its registry gives: commune, district (when the
# registry has one), province (`Xã Một, Huyện Hai, Thành phố Thử`), for its own workbook.
PLACES_SQL = """
    select school_code,
           concat_ws(', ', commune_name, district_name,
                     coalesce(province_name, 'Tỉnh/thành phố ' || province_code)) as place
    from marts.dim_school
"""
