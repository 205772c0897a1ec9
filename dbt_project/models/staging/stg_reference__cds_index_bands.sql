with source as (
    select * from {{ source('reference', 'cds_index_bands') }}
),

renamed as (
    select
        index_id,
        indicator_code,
        level as school_level,
        band_order,
        op as band_op,
        cast(bound as double) as bound,
        cast(points as double) as points
    from source
)

select * from renamed
