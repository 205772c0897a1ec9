with source as (
    select * from {{ source('landing', 'cds_review') }}
),

renamed as (
    select
        school_code,
        school_year,
        indicator_code,
        indicator_code is null as is_whole_assessment,
        decision_raw,
        decision,
        reviewed_score_raw,
        cast(reviewed_score as double) as reviewed_score,
        reviewed_met,
        reason,
        has_reviewer,
        reviewed_on,
        {{ lineage_columns(with_sha256=true) }}
    from source
)

select * from renamed
