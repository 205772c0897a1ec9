-- Pushes to the sector database by area (commune, district, province, nation), school year,
-- term and batch, in the shape of the other *_area marts: the success rate of the records
-- pushed (current pushes, every stage), the schools with a failed push (status error or
-- partial, or any failed record) and the active schools with no push once the term's window
-- opened (int_sync__expected). A school counts in every area its year's registry gives it.
with current_pushes as (
    select * from {{ ref('data_sync_school') }}
),

expected as (
    select * from {{ ref('int_sync__expected') }}
),

areas as (
    select * from {{ ref('int_schools__areas') }}
),

school_batches as (
    -- one row per school, year, term and batch: its stages' current pushes together
    select
        school_code, school_year, term, batch,
        sum(pushed)::bigint as pushed,
        sum(succeeded)::bigint as succeeded,
        sum(failed)::bigint as failed,
        bool_or(status <> 'success' or failed > 0) as has_failed_push
    from current_pushes
    group by all
),

per_school as (
    select
        school_code, school_year, term, batch,
        e.school_code is not null as is_expected,
        b.school_code is not null as has_push,
        coalesce(b.has_failed_push, false) as has_failed_push,
        b.pushed,
        b.succeeded,
        b.failed
    from expected as e
    full outer join school_batches as b using (school_code, school_year, term, batch)
),

placed as (
    select a.area_level, a.area_code, s.*
    from per_school as s
    inner join areas as a on a.school_year = s.school_year and a.school_code = s.school_code
),

aggregated as (
    select
        area_level,
        area_code,
        school_year,
        term,
        batch,
        count(*) filter (where is_expected) as n_schools_expected,
        count(*) filter (where has_push) as n_schools_pushed,
        count(*) filter (where has_failed_push) as n_schools_failed,
        count(*) filter (where is_expected and not has_push) as n_schools_missing,
        count(*) filter (
            where has_failed_push or (is_expected and not has_push)
        ) as n_schools_failed_or_missing,
        coalesce(sum(pushed), 0)::bigint as pushed,
        coalesce(sum(succeeded), 0)::bigint as succeeded,
        coalesce(sum(failed), 0)::bigint as failed,
        round(100.0 * sum(succeeded) / nullif(sum(pushed), 0), 2) as success_rate
    from placed
    group by area_level, area_code, school_year, term, batch
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
        a.term,
        a.batch,
        a.n_schools_expected,
        a.n_schools_pushed,
        a.n_schools_failed,
        a.n_schools_missing,
        a.n_schools_failed_or_missing,
        a.pushed,
        a.succeeded,
        a.failed,
        a.success_rate
    from aggregated as a
    inner join area_names as n
        on n.school_year = a.school_year and n.area_level = a.area_level
        and n.area_code = a.area_code
    order by n.area_rank, a.area_code, a.school_year, a.term, a.batch
)

select * from final
