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
        _source_file as source_file,
        _file_sha256 as file_sha256,
        _sheet as sheet,
        _row as source_row,
        _load_seq as load_seq
    from source
)

select * from renamed
