-- Every code each latest statistical report must carry (code list: level and period).
with latest_reports as (
    select v.load_seq, v.school_code, v.school_year, v.period, v.source_file, s.school_level
    from {{ ref('int_submissions__versions') }} as v
    -- the level of the registry in force for the school year (contract §2.1)
    inner join {{ ref('int_schools__by_year') }} as s
        on s.school_code = v.school_code and s.school_year = v.school_year
    where v.report = 'emis_report' and v.is_latest
),

code_list as (
    select * from {{ ref('stg_reference__emis_indicators') }}
),

required as (
    select r.*, c.indicator_code, c.category
    from latest_reports as r
    inner join code_list as c
        on (c.levels = '' or list_contains(string_split(c.levels, ' '), r.school_level))
        and list_contains(string_split(c.periods, ' '), r.period)
)

select * from required
