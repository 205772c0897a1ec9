-- Each latest statistical report that has codes to carry, with the level of the registry in
-- force for its year and the sheet it was read from: what a consistency rule is checked on.
with required_codes as (
    select * from {{ ref('int_emis__required_codes') }}
),

files as (
    select * from {{ ref('stg_audit__ingest_files') }}
),

reports as (
    select distinct
        rc.load_seq,
        rc.school_code,
        rc.school_year,
        rc.period,
        rc.school_level,
        rc.source_file,
        f.sheet
    from required_codes as rc
    inner join files as f on f.load_seq = rc.load_seq
)

select * from reports
