-- Every push of the push history (contract §2.7), ranked within its key (school, school
-- year, term, stage, batch): the latest by pushed_at, then row order, then load order is
-- the current one; n_pushes counts the rows seen for the key (a repeated push shows as
-- n_pushes > 1). A file whose content was replaced at the same path (the province exported
-- the history again under the same name) no longer counts: only what is in raw/ now does.
with files as (
    select
        load_seq,
        {{ is_replaced_at_path(['source', 'source_file']) }} as is_replaced
    from {{ ref('stg_audit__ingest_files') }}
    where status = 'accepted' and source = 'sync_log'
),

pushes as (
    select p.*
    from {{ ref('stg_landing__sync_log') }} as p
    inner join files as f on f.load_seq = p.load_seq
    where not f.is_replaced
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
