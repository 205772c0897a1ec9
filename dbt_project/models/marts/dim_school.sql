with schools as (
    select * from {{ ref('int_schools__current') }}
),

final as (
    select
        school_code,
        school_name,
        school_level as level,
        ownership,
        commune_code,
        commune_name,
        district_code,
        district_name,
        province_code,
        status,
        is_active
    from schools
)

select * from final
