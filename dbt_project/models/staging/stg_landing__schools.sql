with source as (
    select * from {{ source('landing', 'schools') }}
),

renamed as (
    select
        school_code,
        school_name,
        level as school_level,
        ownership,
        commune_code,
        commune_name,
        district_code,
        district_name,
        province_code,
        status,
        is_active,
        effective_on,
        effective_basis,
        _source_file as source_file,
        _file_sha256 as file_sha256,
        _sheet as sheet,
        _row as source_row,
        _load_seq as load_seq
    from source
)

select * from renamed
