with source as (
    select * from {{ source('reference', 'consistency_rules') }}
),

renamed as (
    select
        rule_id,
        family as rule_family,
        kind as rule_kind,
        "left" as left_code,
        "right" as right_code,
        string_split(coalesce(columns, 'total'), ' ') as value_columns,
        cast(tolerance as double) as tolerance,
        cast(mad_floor as double) as mad_floor,
        levels,
        periods,
        severity,
        message_vi
    from source
)

select * from renamed
