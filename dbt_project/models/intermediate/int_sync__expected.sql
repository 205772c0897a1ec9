-- Which push each active school owes: the push windows (sync_calendar.csv) that apply to its
-- level and have opened by the run's date, with whether the school pushed that batch in
-- that term (any stage, any status). Only school years the loaded push history covers are
-- judged: without the province's export of a year, no push can be called missing. Schools
-- and levels are those of the registry in force for the school year (contract §2.1).
with schools as (
    select * from {{ ref('int_schools__by_year') }}
    where in_year_registry and is_active
),

windows as (
    select * from {{ ref('stg_reference__sync_calendar') }}
    where opens_on <= {{ run_date() }}
),

pushes as (
    select * from {{ ref('int_sync__pushes') }}
),

pushed_keys as (
    select distinct school_code, school_year, term, batch
    from pushes
),

covered_years as (
    -- the export a missing push is read from: the latest file holding pushes of the year
    select school_year, arg_max(source_file, load_seq) as source_file
    from pushes
    group by school_year
),

expected as (
    select
        s.school_code, s.school_level, w.school_year, w.term, w.batch, w.opens_on, w.due_on,
        y.source_file as history_file
    from schools as s
    inner join covered_years as y on y.school_year = s.school_year
    inner join windows as w
        on w.school_year = s.school_year
        and (w.levels = '' or list_contains(string_split(w.levels, ' '), s.school_level))
),

final as (
    select
        e.*,
        p.school_code is not null as has_push,
        greatest(({{ run_date() }} - e.due_on), 0)::bigint as days_late
    from expected as e
    left join pushed_keys as p
        on p.school_code = e.school_code and p.school_year = e.school_year
        and p.term = e.term and p.batch = e.batch
)

select * from final
