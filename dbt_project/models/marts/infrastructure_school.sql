with expected as (
    select distinct school_code, school_level, district_code, school_year, period
    from {{ ref('int_reporting__expected') }}
    where report = 'emis_report'
),

emis as (
    select * from {{ ref('int_emis__figures') }}
),

coverage as (
    select * from {{ ref('int_exports__coverage') }}
),

computed as (
    select
        e.school_code,
        e.school_year,
        e.period,
        e.school_level,
        e.district_code,
        m.students_per_computer,
        round(100.0 * m.classrooms_internet / nullif(m.classrooms, 0), 2) as pct_classrooms_internet,
        round(100.0 * m.classrooms_projector / nullif(m.classrooms, 0), 2) as pct_classrooms_projector,
        m.smart_classrooms,
        m.fibre = 1 as has_fibre,
        m.isp_count,
        m.e_library = 1 as has_e_library,
        -- null where the export's layout has no such column (contract §2.8)
        case when c.signature_available is not false
            then round(100.0 * c.active_staff_signature / nullif(c.active_staff, 0), 2)
        end as pct_teachers_digital_signature,
        case when e.school_level <> 'MN' and c.transcript_available is not false
            then round(100.0 * c.active_students_transcript / nullif(c.active_students, 0), 2)
        end as pct_students_digital_transcript,
        round(100.0 * m.cashless_collections / nullif(m.fee_collections, 0), 2) as pct_cashless_fees,
        round(100.0 * m.online_applications / nullif(m.applications, 0), 2) as pct_online_admission
    from expected as e
    left join emis as m
        on m.school_code = e.school_code and m.school_year = e.school_year and m.period = e.period
    left join coverage as c
        on c.school_code = e.school_code and c.school_year = e.school_year and c.period = e.period
),

final as (
    select
        school_code, school_year, period, school_level, district_code, students_per_computer,
        case
            when students_per_computer is null then null
            when school_level = 'THPT' then students_per_computer <= 1
            else students_per_computer <= 2
        end as meets_computer_ratio,
        pct_classrooms_internet, pct_classrooms_projector, smart_classrooms, has_fibre,
        isp_count, has_e_library, pct_teachers_digital_signature, pct_students_digital_transcript,
        pct_cashless_fees, pct_online_admission
    from computed
)

select * from final
