-- Each school year's registry (contract §2.1): the registry in force at the start of the
-- year, i.e. the latest effective on or before it, else the earliest, so that a later
-- registry never rewrites an earlier year. A year starts at the as_of of its dau_nam period
-- in the calendar, or on 30 September of its first year when the calendar lacks it.
-- One row per school year and school of any registry: in_year_registry says whether the
-- school is in that year's registry (only those are expected to report or counted in a
-- district's totals); a school missing from it keeps the row of the nearest registry that
-- lists it (the latest before, else the earliest after), for its own reports' level.
with registries as (
    select * from {{ ref('int_schools__registries') }}
),

registry_rows as (
    select * from {{ ref('stg_landing__schools') }}
),

calendar as (
    select * from {{ ref('stg_reference__reporting_calendar') }}
),

submitted_years as (
    select distinct school_year
    from {{ ref('stg_audit__ingest_files') }}
    where status = 'accepted' and school_year is not null
),

school_years as (
    select school_year from calendar
    union
    select school_year from submitted_years
),

calendar_starts as (
    select school_year, min(as_of) as year_start
    from calendar
    where period = 'dau_nam'
    group by school_year
),

year_starts as (
    select
        y.school_year,
        coalesce(
            c.year_start,
            make_date(try_cast(left(y.school_year, 4) as integer), 9, 30)
        ) as year_start
    from school_years as y
    left join calendar_starts as c on c.school_year = y.school_year
),

earliest_registry as (
    -- the last in path order among the files of the earliest date
    select max(registry_order) as registry_order
    from registries
    where effective_on = (select min(effective_on) from registries)
),

in_force as (
    select
        y.school_year,
        y.year_start,
        coalesce(
            max(r.registry_order) filter (
                where r.effective_on is null or r.effective_on <= y.year_start
            ),
            (select registry_order from earliest_registry)
        ) as registry_order
    from year_starts as y
    cross join registries as r
    group by y.school_year, y.year_start
),

in_force_files as (
    select f.*, r.source_file as in_force_file, r.effective_on as in_force_effective_on
    from in_force as f
    inner join registries as r on r.registry_order = f.registry_order
),

listings as (
    select rr.*, r.registry_order
    from registry_rows as rr
    inner join registries as r on r.load_seq = rr.load_seq
),

candidates as (
    select
        f.school_year,
        f.year_start,
        f.in_force_file,
        f.in_force_effective_on,
        l.*,
        l.registry_order = f.registry_order as in_year_registry,
        row_number() over (
            partition by f.school_year, l.school_code
            order by
                l.registry_order = f.registry_order desc,
                l.registry_order < f.registry_order desc,
                abs(l.registry_order - f.registry_order) asc
        ) as nearness_rank
    from in_force_files as f
    cross join listings as l
),

final as (
    select
        school_year,
        {{ school_registry_columns() }},
        in_year_registry,
        source_file as registry_file,
        in_force_file,
        in_force_effective_on,
        year_start
    from candidates
    where nearness_rank = 1
)

select * from final
