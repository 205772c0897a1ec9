with source as (
    select * from {{ source('audit', 'ingest_issues') }}
),

renamed as (
    select
        load_seq,
        source,
        source_file,
        file_sha256,
        sheet,
        "row" as source_row,
        field,
        rule_id,
        severity,
        kind,
        message_vi,
        value,
        school_code,
        school_year,
        period
    from source
)

select * from renamed
