-- Each school year counts the schools of the registry in force for it (contract §2.1): a
-- later registry moving or closing a school does not rewrite an earlier year. A school whose
-- registry names no district (after the 2025 reform) is in no district row: see
-- cds_maturity_area for communes and provinces. n_approved and n_returned count the
-- assessments the office approved or returned (review_status, contract §2.6).
with schools as (
    select * from {{ ref('int_schools__by_year') }}
    where in_year_registry and is_active and district_code is not null
),

scope as (
    select index_id, school_level from {{ ref('stg_reference__cds_index_levels_in_scope') }}
),

assessment_years as (
    select school_year
    from {{ ref('stg_reference__reporting_calendar') }}
    where report = 'cds_assessment'
    union
    select school_year from {{ ref('cds_maturity_school') }}
),

schools_in_scope as (
    select s.school_code, s.school_year, s.school_level, s.district_code, scope.index_id
    from schools as s
    inner join scope on scope.school_level = s.school_level
),

school_years as (
    select s.*
    from schools_in_scope as s
    inner join assessment_years as y on y.school_year = s.school_year
),

with_results as (
    select
        sy.*,
        m.school_code is not null as is_assessed,
        m.verified_level,
        m.group1_verified_score,
        m.group2_verified_score,
        m.review_status
    from school_years as sy
    left join {{ ref('cds_maturity_school') }} as m
        on m.school_code = sy.school_code and m.school_year = sy.school_year
),

aggregated as (
    select
        district_code,
        school_year,
        index_id,
        coalesce(school_level, 'ALL') as level,
        count(*) as n_schools,
        count(*) filter (where is_assessed) as n_assessed,
        count(*) filter (where verified_level = 1) as n_level1,
        count(*) filter (where verified_level = 2) as n_level2,
        count(*) filter (where verified_level = 3) as n_level3,
        count(*) filter (where review_status = 'approved') as n_approved,
        count(*) filter (where review_status = 'returned') as n_returned,
        round(avg(group1_verified_score::decimal(18, 4)), 2)::double as avg_group1_verified,
        round(avg(group2_verified_score::decimal(18, 4)), 2)::double as avg_group2_verified
    from with_results
    group by grouping sets (
        (district_code, school_year, index_id, school_level),
        (district_code, school_year, index_id)
    )
),

final as (
    select
        district_code,
        school_year,
        level,
        index_id,
        n_schools,
        n_assessed,
        n_level1,
        n_level2,
        n_level3,
        round(100.0 * (n_level2 + n_level3) / nullif(n_schools, 0), 2) as pct_level2_plus,
        round(100.0 * n_assessed / nullif(n_schools, 0), 2) as pct_assessed,
        avg_group1_verified,
        avg_group2_verified,
        n_approved,
        n_returned
    from aggregated
)

select * from final
