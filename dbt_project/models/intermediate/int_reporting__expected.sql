-- Which report each active school owes, for which year and period, by when: the calendar
-- entries that apply to its level (contract §4, §6 reporting_status). Schools, levels and
-- districts are those of the registry in force for the school year (contract §2.1).
with schools as (
    select * from {{ ref('int_schools__by_year') }}
    where in_year_registry and is_active
),

calendar as (
    select * from {{ ref('stg_reference__reporting_calendar') }}
),

expected as (
    select
        s.school_code, s.school_level, s.district_code,
        c.report, c.school_year, c.period, c.as_of, c.due_school, c.due_district
    from schools as s
    inner join calendar as c
        on c.school_year = s.school_year
        and (c.levels = '' or list_contains(string_split(c.levels, ' '), s.school_level))
)

select * from expected
