with source as (
    select * from {{ source('landing', 'cds_assessment') }}
),

renamed as (
    select
        school_code,
        school_year,
        period,
        submitted_on,
        indicator_code,
        label as indicator_label,
        self_score_raw,
        cast(self_score as double) as self_score,
        self_met,
        cast(numerator as bigint) as numerator,
        cast(denominator as bigint) as denominator,
        evidence,
        evidence is not null as has_evidence,
        {{ lineage_columns(with_sha256=true) }}
    from source
)

select * from renamed
