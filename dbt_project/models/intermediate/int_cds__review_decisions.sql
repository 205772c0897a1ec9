-- The office's review decisions (contract §2.6) against each school's latest accepted
-- self-assessment. Of the decisions on one (school, school year, indicator or whole
-- assessment), the latest by reviewed_on, then by load, then by row is the latest decision;
-- it is current unless it is stale: dated before the submission date of the school's latest
-- assessment version (the school resubmitted after it), or made on a school year the school
-- has no accepted assessment for. Blank decisions (a worksheet row not filled in) have no
-- effect and are not here.
with decisions as (
    select * from {{ ref('stg_landing__cds_review') }}
    where decision is not null
),

assessments as (
    select school_code, school_year, submitted_on, source_file
    from {{ ref('int_submissions__versions') }}
    where report = 'cds_assessment' and is_latest
),

ranked as (
    select
        d.*,
        a.source_file as assessment_file,
        a.submitted_on as assessment_submitted_on,
        a.school_code is not null as has_assessment,
        row_number() over (
            partition by d.school_code, d.school_year, d.indicator_code
            order by d.reviewed_on desc, d.load_seq desc, d.source_row desc
        ) = 1 as is_latest_decision
    from decisions as d
    left join assessments as a
        on a.school_code = d.school_code and a.school_year = d.school_year
),

final as (
    select
        *,
        coalesce(reviewed_on < assessment_submitted_on, false) as is_stale,
        is_latest_decision
            and has_assessment
            and not coalesce(reviewed_on < assessment_submitted_on, false) as is_current
    from ranked
)

select * from final
