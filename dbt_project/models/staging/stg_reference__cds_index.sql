with source as (
    select * from {{ source('reference', 'cds_index') }}
),

renamed as (
    select
        index_id,
        title as index_title,
        source as index_source,
        cast(level2_from as double) as level2_from,
        cast(level3_above as double) as level3_above
    from source
)

select * from renamed
