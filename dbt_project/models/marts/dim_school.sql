with schools as (
    select * from {{ ref('int_schools__current') }}
),

final as (
    select
        {{ school_registry_columns(output_names={'school_level': 'level'}) }}
    from schools
)

select * from final
