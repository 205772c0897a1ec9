-- The registry as it stands: each school's row from the most recently loaded registry file.
with registry as (
    select * from {{ ref('stg_landing__schools') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by school_code order by load_seq desc, source_row
        ) as recency_rank
    from registry
),

current_rows as (
    select
        school_code,
        school_name,
        school_level,
        ownership,
        commune_code,
        commune_name,
        district_code,
        district_name,
        province_code,
        status,
        is_active,
        source_file,
        source_row
    from ranked
    where recency_rank = 1
)

select * from current_rows
