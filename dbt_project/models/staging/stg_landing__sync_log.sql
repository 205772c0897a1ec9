with source as (
    select * from {{ source('landing', 'sync_log') }}
),

renamed as (
    select
        school_code,
        partner,
        school_year,
        cast(term as integer) as term,
        stage,
        batch,
        status,
        cast(received as bigint) as received,
        cast(pushed as bigint) as pushed,
        cast(succeeded as bigint) as succeeded,
        cast(failed as bigint) as failed,
        pushed_at,
        {{ lineage_columns() }}
    from source
)

select * from renamed
