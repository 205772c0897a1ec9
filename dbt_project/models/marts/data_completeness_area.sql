-- The completeness of every area (contract §6 data_completeness_area): commune, district,
-- province and the nation, per school year and period, with the measures of
-- data_completeness_district computed the same way over the schools of data_completeness_school
-- that the registry of the year places in the area (int_schools__areas).
with schools as (
    select * from {{ ref('data_completeness_school') }}
),

areas as (
    select * from {{ ref('int_schools__areas') }}
),

placed as (
    select a.area_level, a.area_code, s.*
    from schools as s
    inner join areas as a on a.school_year = s.school_year and a.school_code = s.school_code
),

aggregated as (
    select
        area_level,
        area_code,
        school_year,
        period,
        count(*) as n_schools_expected,
        round(100.0 * sum(n_received) / sum(n_expected), 2) as reporting_rate,
        round(avg(on_time_rate::decimal(18, 4)), 2)::double as on_time_rate,
        round(avg(completeness_score::decimal(18, 4)), 2)::double as avg_completeness_score,
        count(*) filter (where band = 'green') as n_green,
        count(*) filter (where band = 'amber') as n_amber,
        count(*) filter (where band = 'red') as n_red
    from placed
    group by area_level, area_code, school_year, period
),

area_names as (
    select distinct school_year, area_level, area_code, area_name, province_code, area_rank
    from areas
),

final as (
    select
        a.area_level,
        a.area_code,
        n.area_name,
        n.province_code,
        a.school_year,
        a.period,
        a.n_schools_expected,
        a.reporting_rate,
        a.on_time_rate,
        a.avg_completeness_score,
        a.n_green,
        a.n_amber,
        a.n_red
    from aggregated as a
    inner join area_names as n
        on n.school_year = a.school_year and n.area_level = a.area_level
        and n.area_code = a.area_code
    order by n.area_rank, a.area_code, a.school_year, a.period
)

select * from final
