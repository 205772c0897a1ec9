-- The current push of each school, school year, term, stage and batch (contract §6
-- data_sync_school): what the school's software last sent to the sector database for it,
-- and how many of the records the Ministry accepted.
with current_pushes as (
    select * from {{ ref('int_sync__pushes') }}
    where is_current
),

final as (
    select
        school_code,
        school_year,
        term,
        stage,
        batch,
        partner,
        received,
        pushed,
        succeeded,
        failed,
        round(100.0 * succeeded / nullif(pushed, 0), 2) as success_rate,
        status,
        pushed_at,
        n_pushes
    from current_pushes
)

select * from final
