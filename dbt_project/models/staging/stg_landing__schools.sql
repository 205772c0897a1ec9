with source as (
    select * from {{ source('landing', 'schools') }}
),

renamed as (
    select
        {{ school_registry_columns(source_names={'school_level': 'level'}) }},
        effective_on,
        effective_basis,
        {{ lineage_columns(with_sha256=true) }}
    from source
)

select * from renamed
