-- The figures of each school's latest statistical report, one row per school, school year
-- and period: the totals infrastructure_school and the CĐS cross-checks read, and pupils per
-- teaching computer (contract §6, "Infrastructure"), computed here once for both.
with cells as (
    select * from {{ ref('int_emis__latest') }}
    where value_column = 'total'
),

pivoted as (
    select
        school_code,
        school_year,
        period,
        any_value(school_level) as school_level,
        max(value) filter (where indicator_code = '201') as students,
        sum(value) filter (where indicator_code in {{ informatics_grade_codes() }})
            as informatics_students,
        max(value) filter (where indicator_code = '401') as classrooms,
        max(value) filter (where indicator_code = '402') as classrooms_internet,
        max(value) filter (where indicator_code = '403') as classrooms_projector,
        max(value) filter (where indicator_code = '404') as smart_classrooms,
        max(value) filter (where indicator_code = '406') as teaching_computers,
        max(value) filter (where indicator_code = '408') as isp_count,
        max(value) filter (where indicator_code = '409') as fibre,
        max(value) filter (where indicator_code = '410') as e_library,
        max(value) filter (where indicator_code = '501') as fee_collections,
        max(value) filter (where indicator_code = '502') as cashless_collections,
        max(value) filter (where indicator_code = '503') as applications,
        max(value) filter (where indicator_code = '504') as online_applications
    from cells
    group by school_code, school_year, period
),

final as (
    select
        *,
        -- pupils who study Informatics per teaching computer; null for MN or without computers
        case
            when school_level = 'MN' or coalesce(teaching_computers, 0) = 0 then null
            -- THPT has no grade rows in the report: all its pupils study Informatics
            when school_level = 'THPT' then round(students / teaching_computers, 2)
            else round(informatics_students / teaching_computers, 2)
        end as students_per_computer
    from pivoted
)

select * from final
