with schools as (
    -- the registry in force for the school year (contract §2.1)
    select school_code, school_year, school_level, district_code
    from {{ ref('int_schools__by_year') }}
    where in_year_registry and is_active
),

status as (
    select * from {{ ref('reporting_status') }}
    where period in ('dau_nam', 'cuoi_nam')
),

rates as (
    select
        school_code, school_year, period,
        count(*) as n_expected,
        count(*) filter (where received) as n_received,
        count(*) filter (where on_time) as n_on_time,
        bool_or(report = 'emis_report' and received) as emis_received,
        bool_or(report = 'students' and received) as students_received,
        bool_or(report = 'teachers' and received) as staff_received
    from status
    group by school_code, school_year, period
),

emis_fields as (
    select
        rc.school_code, rc.school_year, rc.period,
        count(*) as n_required,
        count(c.value) as n_filled
    from {{ ref('int_emis__required_codes') }} as rc
    left join {{ ref('int_emis__latest') }} as c
        on c.load_seq = rc.load_seq and c.indicator_code = rc.indicator_code
        and c.value_column = 'total'
    group by rc.school_code, rc.school_year, rc.period
),

coverage as (
    select * from {{ ref('int_exports__coverage') }}
),

components as (
    select
        r.school_code,
        r.school_year,
        r.period,
        s.school_level,
        s.district_code,
        r.n_expected,
        r.n_received,
        round(100.0 * r.n_received / r.n_expected, 2) as reporting_rate,
        round(100.0 * r.n_on_time / r.n_expected, 2) as on_time_rate,
        case
            when not r.emis_received then 0
            else round(100.0 * f.n_filled / nullif(f.n_required, 0), 2)
        end as emis_field_completeness,
        case
            when not r.students_received then 0
            when not c.student_ids_available then null  -- the export's layout has no IDs
            else round(100.0 * c.active_students_valid_id / nullif(c.active_students, 0), 2)
        end as student_id_coverage,
        case
            when not r.staff_received then 0
            when not c.staff_ids_available then null
            else round(100.0 * c.active_staff_valid_id / nullif(c.active_staff, 0), 2)
        end as staff_id_coverage,
        case
            when r.period = 'dau_nam' or s.school_level = 'MN' then null
            when not r.students_received then 0
            when not c.results_available then null  -- e.g. the C1 export (contract §2.8)
            else round(100.0 * c.active_students_results / nullif(c.active_students, 0), 2)
        end as results_coverage,
        -- the components the received exports' layouts cannot supply: null above, left
        -- out of the score instead of counting 0
        list_filter([
            case when r.students_received and not c.student_ids_available
                then 'student_id_coverage' end,
            case when r.staff_received and not c.staff_ids_available
                then 'staff_id_coverage' end,
            case when r.period <> 'dau_nam' and s.school_level <> 'MN' and r.students_received
                    and not c.results_available
                then 'results_coverage' end
        ], x -> x is not null) as components_not_available
    from rates as r
    inner join schools as s on s.school_code = r.school_code and s.school_year = r.school_year
    left join emis_fields as f
        on f.school_code = r.school_code and f.school_year = r.school_year and f.period = r.period
    left join coverage as c
        on c.school_code = r.school_code and c.school_year = r.school_year and c.period = r.period
),

scored as (
    select
        *,
        round(list_avg([reporting_rate, on_time_rate, emis_field_completeness,
                        student_id_coverage, staff_id_coverage, results_coverage]), 2)
            as completeness_score
    from components
),

final as (
    select
        *,
        case
            when completeness_score >= 90 then 'green'
            when completeness_score >= 80 then 'amber'
            else 'red'
        end as band
    from scored
)

select * from final
