-- The CĐS summary of every area (contract §6 cds_maturity_area): commune, district,
-- province and the nation, per school year and school level (and `ALL`), with the measures
-- of cds_maturity_district computed the same way. A school counts in each area whose code
-- the registry in force for the year gives it (int_schools__areas), so a school without a
-- commune is in its district, province and nation rows only.
with schools as (
    select * from {{ ref('int_schools__by_year') }}
    where in_year_registry and is_active
),

areas as (
    select * from {{ ref('int_schools__areas') }}
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
    select s.school_code, s.school_year, s.school_level, scope.index_id
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

placed as (
    select a.area_level, a.area_code, r.*
    from with_results as r
    inner join areas as a on a.school_year = r.school_year and a.school_code = r.school_code
),

aggregated as (
    select
        area_level,
        area_code,
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
    from placed
    group by grouping sets (
        (area_level, area_code, school_year, index_id, school_level),
        (area_level, area_code, school_year, index_id)
    )
),

area_names as (
    select distinct school_year, area_level, area_code, area_name, province_code, area_rank
    from areas
),

final as (
    select
        a.area_level,
        a.area_code,
        n.area_name,
        n.province_code,
        a.school_year,
        a.level,
        a.index_id,
        a.n_schools,
        a.n_assessed,
        a.n_level1,
        a.n_level2,
        a.n_level3,
        round(100.0 * (a.n_level2 + a.n_level3) / nullif(a.n_schools, 0), 2) as pct_level2_plus,
        round(100.0 * a.n_assessed / nullif(a.n_schools, 0), 2) as pct_assessed,
        a.avg_group1_verified,
        a.avg_group2_verified,
        a.n_approved,
        a.n_returned
    from aggregated as a
    inner join area_names as n
        on n.school_year = a.school_year and n.area_level = a.area_level
        and n.area_code = a.area_code
    order by n.area_rank, a.area_code, a.school_year, a.level
)

select * from final
