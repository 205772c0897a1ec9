-- Every accepted submission of a per-school report, numbered as a version (contract §5):
-- the latest (by submission date, then load order) supplies the values, the first decides
-- timeliness.
with accepted_files as (
    select
        load_seq,
        source as report,
        source_file,
        school_code,
        school_year,
        period,
        submitted_on
    from {{ ref('stg_audit__ingest_files') }}
    where status = 'accepted'
      and school_code is not null
),

numbered as (
    select
        *,
        row_number() over (
            partition by report, school_code, school_year, period
            order by submitted_on asc nulls last, load_seq asc
        ) as version_no,
        row_number() over (
            partition by report, school_code, school_year, period
            order by submitted_on desc nulls last, load_seq desc
        ) as recency_rank,
        count(*) over (partition by report, school_code, school_year, period) as versions
    from accepted_files
),

with_first_and_last as (
    select
        *,
        recency_rank = 1 as is_latest,
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
    school_code,
    school_year,
    period,
    submitted_on,
    version_no,
    versions,
    is_latest,
    first_submitted_on,
    last_submitted_on
from with_first_and_last
