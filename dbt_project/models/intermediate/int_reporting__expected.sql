-- Which report each active school owes, for which year and period, by when: the calendar
-- entries that apply to its level (contract §4, §6 reporting_status).
with schools as (
    select * from {{ ref('int_schools__current') }}
    where is_active
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
        on c.levels = '' or list_contains(string_split(c.levels, ' '), s.school_level)
)

select * from expected
