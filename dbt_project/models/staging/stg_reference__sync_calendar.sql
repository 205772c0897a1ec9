with source as (
    select * from {{ source('reference', 'sync_calendar') }}
),

renamed as (
    select
        school_year,
        cast(term as integer) as term,
        batch,
        levels,
        cast(opens_on as date) as opens_on,
        cast(due_on as date) as due_on,
        period
    from source
)

select * from renamed
