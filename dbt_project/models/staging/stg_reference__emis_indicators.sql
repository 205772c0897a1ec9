with source as (
    select * from {{ source('reference', 'emis_indicators') }}
),

renamed as (
    select
        code as indicator_code,
        label as indicator_label,
        levels,
        periods,
        breakdown = 'y' as has_breakdown,
        category,
        cast(grade as integer) as grade
    from source
)

select * from renamed
