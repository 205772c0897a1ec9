with source as (
    select * from {{ source('landing', 'emis_report') }}
),

renamed as (
    select
        school_code,
        school_year,
        period,
        submitted_on,
        indicator_code,
        cast(total as bigint) as total,
        cast(female as bigint) as female,
        cast(ethnic as bigint) as ethnic,
        {{ lineage_columns() }}
    from source
)

select * from renamed
