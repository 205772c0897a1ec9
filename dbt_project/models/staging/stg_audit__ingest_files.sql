with source as (
    select * from {{ source('audit', 'ingest_files') }}
),

renamed as (
    select
        load_seq,
        source,
        source_file,
        file_sha256,
        status,
        duplicate_of,
        sheet,
        header_row,
        school_code,
        school_year,
        period,
        submitted_on,
        rows_read,
        rows_accepted,
        rows_quarantined,
        n_warnings,
        reject_rule,
        reject_message_vi,
        loaded_at,
        -- the layout the file was read through (reference/layouts.yaml, contract §2.8) and
        -- the source's fields that layout cannot supply (empty list: all of them)
        layout,
        coalesce(fields_not_available, []::varchar[]) as fields_not_available
    from source
)

select * from renamed
