with source as (
    select * from {{ source('landing', 'teachers') }}
),

renamed as (
    select
        school_code,
        school_year,
        period,
        submitted_on,
        staff_code,
        position,
        qualification,
        has_digital_signature,
        has_training_account,
        birth_year,
        gender_code,
        ethnicity,
        status,
        is_active,
        has_personal_id,
        id_rule,
        person_key,
        identity_key,
        {{ lineage_columns() }}
    from source
)

select * from renamed
