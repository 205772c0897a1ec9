with source as (
    select * from {{ source('landing', 'students') }}
),

renamed as (
    select
        school_code,
        school_year,
        period,
        submitted_on,
        student_code,
        grade,
        class_name,
        digital_transcript,
        results_hk1,
        results_hk2,
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
