-- The office's review (contract §2.6): review_status from the current whole-assessment
-- decision (reject → returned, approve → approved), else in_review when an indicator
-- decision is current, else not_reviewed; reviewed_level is the lower group level of the
-- reviewed scores, null when the assessment is returned to the school.
with groups as (
    select * from {{ ref('int_cds__group_scores') }}
),

review as (
    select
        school_code,
        school_year,
        max(decision) filter (where indicator_code is null) as assessment_decision,
        max(reason) filter (where indicator_code is null) as assessment_reason,
        max(reviewed_on) as last_reviewed_on,
        count(*) filter (where indicator_code is not null) as n_review_decisions
    from {{ ref('int_cds__review_decisions') }}
    where is_current
    group by school_code, school_year
),

submissions as (
    select * from {{ ref('int_submissions__versions') }}
    where report = 'cds_assessment' and is_latest
),

calendar as (
    select school_year, due_school, due_district
    from {{ ref('stg_reference__reporting_calendar') }}
    where report = 'cds_assessment'
),

schools as (
    -- level and district of the registry in force for the school year (contract §2.1)
    select school_code, school_year, school_level, district_code
    from {{ ref('int_schools__by_year') }}
),

per_school as (
    select
        school_code,
        school_year,
        index_id,
        max(self_score) filter (where group_code = '1') as group1_self_score,
        max(self_score) filter (where group_code = '2') as group2_self_score,
        max(verified_score) filter (where group_code = '1') as group1_verified_score,
        max(verified_score) filter (where group_code = '2') as group2_verified_score,
        bool_and(self_mandatory_met) filter (where group_code = '1') as group1_self_mandatory_met,
        bool_and(self_mandatory_met) filter (where group_code = '2') as group2_self_mandatory_met,
        bool_and(verified_mandatory_met) filter (where group_code = '1') as group1_mandatory_met,
        bool_and(verified_mandatory_met) filter (where group_code = '2') as group2_mandatory_met,
        max(self_level) filter (where group_code = '1') as group1_self_level,
        max(self_level) filter (where group_code = '2') as group2_self_level,
        max(verified_level) filter (where group_code = '1') as group1_verified_level,
        max(verified_level) filter (where group_code = '2') as group2_verified_level,
        -- the school's level is the lowest of its group levels
        min(self_level) as self_level,
        min(verified_level) as verified_level,
        max(reviewed_score) filter (where group_code = '1') as group1_reviewed_score,
        max(reviewed_score) filter (where group_code = '2') as group2_reviewed_score,
        min(reviewed_level) as computed_reviewed_level,
        coalesce(sum(verified_points_on_assumed_items), 0) as verified_points_on_assumed_items
    from groups
    group by school_code, school_year, index_id
),

final as (
    select
        p.school_code,
        p.school_year,
        p.index_id,
        s.school_level,
        s.district_code,
        p.group1_self_score,
        p.group2_self_score,
        p.group1_verified_score,
        p.group2_verified_score,
        p.group1_mandatory_met,
        p.group2_mandatory_met,
        p.group1_self_mandatory_met,
        p.group2_self_mandatory_met,
        p.group1_self_level,
        p.group2_self_level,
        p.group1_verified_level,
        p.group2_verified_level,
        p.self_level,
        p.verified_level,
        p.verified_points_on_assumed_items,
        p.verified_points_on_assumed_items > 0 as rests_on_assumed_items,
        sub.first_submitted_on as submitted_on,
        sub.last_submitted_on,
        sub.versions,
        c.due_school as due_on,
        case
            when c.due_school is null then null
            else coalesce(sub.first_submitted_on <= c.due_school, false)
        end as on_time,
        sub.source_file,
        -- the trend (contract §6): the verified level of the school year before, if assessed
        prev.verified_level as previous_verified_level,
        p.verified_level - prev.verified_level as level_change,
        p.group1_reviewed_score,
        p.group2_reviewed_score,
        case
            when r.assessment_decision = 'reject' then 'returned'
            when r.assessment_decision = 'approve' then 'approved'
            when r.n_review_decisions > 0 then 'in_review'
            else 'not_reviewed'
        end as review_status,
        case
            when r.assessment_decision = 'reject' then null
            else p.computed_reviewed_level
        end as reviewed_level,
        r.assessment_reason as review_reason,
        r.last_reviewed_on as reviewed_on,
        coalesce(r.n_review_decisions, 0) as n_review_decisions
    from per_school as p
    inner join submissions as sub
        on sub.school_code = p.school_code and sub.school_year = p.school_year
    left join schools as s on s.school_code = p.school_code and s.school_year = p.school_year
    left join calendar as c on c.school_year = p.school_year
    left join review as r on r.school_code = p.school_code and r.school_year = p.school_year
    left join per_school as prev
        on prev.school_code = p.school_code
        and prev.school_year = (left(p.school_year, 4)::integer - 1)::varchar
            || '-' || left(p.school_year, 4)
)

select * from final
