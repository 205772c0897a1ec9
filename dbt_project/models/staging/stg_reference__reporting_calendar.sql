with source as (
    select * from {{ source('reference', 'reporting_calendar') }}
),

renamed as (
    select
        report,
        school_year,
        period,
        levels,
        cast(as_of as date) as as_of,
        cast(due_school as date) as due_school,
        cast(due_district as date) as due_district
    from source
)

select * from renamed
