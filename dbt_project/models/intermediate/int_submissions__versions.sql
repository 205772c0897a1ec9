-- Every accepted submission of a per-school report, numbered as a version (contract §5):
-- the latest supplies the values, the first decides timeliness. Versions are ordered by the
-- files alone, so a rebuild from raw/ and a warehouse loaded bit by bit agree: by submission
-- date, then path order (the order a load of raw/ reads them in); content since replaced at
-- the same path comes before the content now there, and the content hash settles anything
-- left. (audit.ingest_files holds no timestamp of the file's own to order by.)
with accepted_files as (
    select
        load_seq,
        source as report,
        source_file,
        file_sha256,
        school_code,
        school_year,
        period,
        submitted_on
    from {{ ref('stg_audit__ingest_files') }}
    where status = 'accepted'
      and school_code is not null
),

with_replacement as (
    -- the load order says only which content is at a path now: a rebuild sees that one
    select
        *,
        {{ is_replaced_at_path(['report', 'source_file']) }} as is_replaced
    from accepted_files
),

numbered as (
    select
        *,
        row_number() over (
            partition by report, school_code, school_year, period
            order by {{ file_order('submitted_on', undated='last') }}
        ) as version_no,
        count(*) over (partition by report, school_code, school_year, period) as versions
    from with_replacement
),

with_first_and_last as (
    select
        *,
        -- the last in the one order: an undated version comes last (contract §5)
        version_no = versions as is_latest,
        first_value(submitted_on) over (
            partition by report, school_code, school_year, period order by version_no
        ) as first_submitted_on,
        max(submitted_on) over (
            partition by report, school_code, school_year, period
        ) as last_submitted_on
    from numbered
)

select
    load_seq,
    report,
    source_file,
    file_sha256,
    school_code,
    school_year,
    period,
    submitted_on,
    is_replaced,
    version_no,
    versions,
    is_latest,
    first_submitted_on,
    last_submitted_on
from with_first_and_last
