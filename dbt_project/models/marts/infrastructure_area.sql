-- The infrastructure targets of every area (issue 18): commune, district, province and the
-- nation, per school year and period, over the schools of infrastructure_school that the
-- registry of the year places in the area (int_schools__areas). The measures of
-- infrastructure_district (share of schools meeting each plan target), then the school
-- figures rolled up: means of percentages and the median pupils per computer over the
-- schools that have the figure, the share of schools with fibre or an e-library, and the
-- total of smart classrooms. Formulas in _marts.yml.
with schools as (
    select * from {{ ref('infrastructure_school') }}
),

areas as (
    select * from {{ ref('int_schools__areas') }}
),

placed as (
    select a.area_level, a.area_code, s.*
    from schools as s
    inner join areas as a on a.school_year = s.school_year and a.school_code = s.school_code
),

plan_targets as (
    -- infrastructure_district's measures, the same formulas
    select
        area_level,
        area_code,
        school_year,
        period,
        count(*) as n_schools,
        count(*) filter (where pct_classrooms_internet is not null) as n_reported,
        round(100.0 * count(*) filter (where meets_computer_ratio)
              / nullif(count(meets_computer_ratio), 0), 2) as pct_schools_computer_ratio_met,
        round(100.0 * count(*) filter (where pct_classrooms_internet >= 100)
              / nullif(count(pct_classrooms_internet), 0), 2) as pct_schools_internet_all_classrooms,
        round(100.0 * count(*) filter (where pct_teachers_digital_signature >= 100)
              / nullif(count(pct_teachers_digital_signature), 0), 2)
            as pct_schools_all_staff_signature,
        round(avg(pct_teachers_digital_signature::decimal(18, 4)), 2)::double as avg_pct_staff_signature,
        round(avg(pct_students_digital_transcript::decimal(18, 4)), 2)::double as avg_pct_students_digital_transcript
    from placed
    group by area_level, area_code, school_year, period
),

rolled_up as (
    -- the other school figures: means and shares over the schools that have the figure
    select
        area_level,
        area_code,
        school_year,
        period,
        round(median(students_per_computer::decimal(18, 4)), 2)::double as median_students_per_computer,
        round(avg(pct_classrooms_internet::decimal(18, 4)), 2)::double as avg_pct_classrooms_internet,
        round(avg(pct_classrooms_projector::decimal(18, 4)), 2)::double as avg_pct_classrooms_projector,
        sum(smart_classrooms) as total_smart_classrooms,
        round(100.0 * count(*) filter (where has_fibre) / nullif(count(has_fibre), 0), 2)
            as pct_schools_fibre,
        round(100.0 * count(*) filter (where has_e_library) / nullif(count(has_e_library), 0), 2)
            as pct_schools_e_library,
        round(avg(pct_cashless_fees::decimal(18, 4)), 2)::double as avg_pct_cashless_fees,
        round(avg(pct_online_admission::decimal(18, 4)), 2)::double as avg_pct_online_admission
    from placed
    group by area_level, area_code, school_year, period
),

area_names as (
    select distinct school_year, area_level, area_code, area_name, province_code, area_rank
    from areas
),

final as (
    select
        t.area_level,
        t.area_code,
        n.area_name,
        n.province_code,
        t.school_year,
        t.period,
        t.n_schools,
        t.n_reported,
        t.pct_schools_computer_ratio_met,
        t.pct_schools_internet_all_classrooms,
        t.pct_schools_all_staff_signature,
        t.avg_pct_staff_signature,
        t.avg_pct_students_digital_transcript,
        r.median_students_per_computer,
        r.avg_pct_classrooms_internet,
        r.avg_pct_classrooms_projector,
        r.total_smart_classrooms,
        r.pct_schools_fibre,
        r.pct_schools_e_library,
        r.avg_pct_cashless_fees,
        r.avg_pct_online_admission
    from plan_targets as t
    inner join rolled_up as r
        on r.area_level = t.area_level and r.area_code = t.area_code
        and r.school_year = t.school_year and r.period = t.period
    inner join area_names as n
        on n.school_year = t.school_year and n.area_level = t.area_level
        and n.area_code = t.area_code
    order by n.area_rank, t.area_code, t.school_year, t.period
)

select * from final
