with source as (
    select * from {{ source('reference', 'cds_index_indicators') }}
),

renamed as (
    select
        index_id,
        indicator_code,
        group_code,
        criterion_code,
        criterion_name,
        indicator_name,
        rule,
        cast(max_points as double) as max_points,
        provenance,
        note,
        measure,
        cross_check_measure,
        cast(cross_check_tolerance as double) as cross_check_tolerance,
        sort_order
    from source
)

select * from renamed
