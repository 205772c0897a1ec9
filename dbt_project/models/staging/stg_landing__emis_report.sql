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
        _source_file as source_file,
        _sheet as sheet,
        _row as source_row,
        _load_seq as load_seq
    from source
)

select * from renamed
