-- The values of each school's latest accepted statistical report, one row per code and
-- column (total / female / ethnic), with the cell they came from.
with latest_reports as (
    select load_seq, school_code, school_year, period, source_file
    from {{ ref('int_submissions__versions') }}
    where report = 'emis_report' and is_latest
),

schools as (
    -- the level of the registry in force for the school year (contract §2.1)
    select school_code, school_year, school_level from {{ ref('int_schools__by_year') }}
),

report_rows as (
    select * from {{ ref('stg_landing__emis_report') }}
),

long_values as (
    select load_seq, indicator_code, 'total' as value_column, total as value, sheet, source_row
    from report_rows
    union all
    select load_seq, indicator_code, 'female', female, sheet, source_row from report_rows
    union all
    select load_seq, indicator_code, 'ethnic', ethnic, sheet, source_row from report_rows
),

final as (
    select
        r.load_seq,
        r.school_code,
        r.school_year,
        r.period,
        s.school_level,
        r.source_file,
        v.indicator_code,
        v.value_column,
        v.value,
        v.sheet,
        v.source_row
    from latest_reports as r
    inner join schools as s on s.school_code = r.school_code and s.school_year = r.school_year
    inner join long_values as v on v.load_seq = r.load_seq
)

select * from final
