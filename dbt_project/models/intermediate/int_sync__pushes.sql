-- Every push of the push history (contract §2.7), ranked within its key (school, school
-- year, term, stage, batch): the latest by pushed_at, then row order, then load order is
-- the current one; n_pushes counts the rows seen for the key (a repeated push shows as
-- n_pushes > 1).
with pushes as (
    select * from {{ ref('stg_landing__sync_log') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by school_code, school_year, term, stage, batch
            order by pushed_at desc nulls last, source_row desc, load_seq desc
        ) as recency,
        count(*) over (partition by school_code, school_year, term, stage, batch) as n_pushes
    from pushes
),

final as (
    select
        *,
        recency = 1 as is_current
    from ranked
)

select * from final
