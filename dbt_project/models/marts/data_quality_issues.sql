-- Every rejection, quarantined row and warning, pointing at the cell to open
-- (contract §5–6). Issues of a report version that a later version replaced are not listed.
with issues as (
    select * from {{ ref('stg_audit__ingest_issues') }}
),

files as (
    select * from {{ ref('stg_audit__ingest_files') }}
),

superseded_versions as (
    select load_seq
    from {{ ref('int_submissions__versions') }}
    where not is_latest
),

current_issues as (
    select *
    from issues
    where load_seq not in (select load_seq from superseded_versions)
),

duplicate_files as (
    select
        load_seq,
        source,
        source_file,
        file_sha256,
        null as sheet,
        null::bigint as source_row,
        null as field,
        'duplicate_file' as rule_id,
        'warning' as severity,
        'file_warning' as kind,
        'Tệp ''' || source_file || ''' trùng nội dung với tệp đã nạp ''' || duplicate_of
            || ''': không tính thêm lần nộp' as message_vi,
        duplicate_of as value,
        school_code,
        school_year,
        period
    from files
    where status = 'duplicate'
),

unioned as (
    select * from current_issues
    union all by name
    select * from duplicate_files
),

final as (
    select
        md5(concat_ws('|',
            source, source_file, file_sha256, coalesce(source_row::varchar, ''),
            coalesce(field, ''), rule_id, coalesce(value, '')
        )) as issue_id,
        school_code,
        school_year,
        period,
        source,
        source_file,
        sheet,
        source_row as "row",
        field,
        rule_id,
        severity,
        kind,
        message_vi,
        value
    from unioned
)

select * from final
