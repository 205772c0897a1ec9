with source as (
    select * from {{ source('reference', 'cds_index_levels_in_scope') }}
),

renamed as (
    select
        index_id,
        level as school_level
    from source
)

select * from renamed
