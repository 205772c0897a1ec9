with source as (
    select * from {{ source('reference', 'cds_index_groups') }}
),

renamed as (
    select
        index_id,
        group_code,
        group_name,
        cast(max_points as double) as max_points
    from source
)

select * from renamed
