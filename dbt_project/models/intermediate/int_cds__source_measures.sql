-- The warehouse's own figure for each cross-check measure (contract §6, "Cross-checks"), per
-- school and school year: from the latest period of the year that has it, cuoi_nam before
-- dau_nam. Fractions 0–1 from the latest exports and statistical report of the period;
-- students_per_computer as in infrastructure_school (int_emis__figures). A field the
-- export's layout cannot supply (contract §2.8: CSDL_GiaoVien has no digital signature or
-- training account, C1-HocSinh no transcript) gives no figure for that period, never 0:
-- the claim is then checked against the other period, or not at all.
with coverage as (
    select * from {{ ref('int_exports__coverage') }}
),

figures as (
    select * from {{ ref('int_emis__figures') }}
),

from_exports as (
    select
        school_code, school_year, period, 'staff_digital_signature' as measure,
        'teachers' as source,
        case when signature_available is not false then active_staff_signature end as numerator,
        active_staff as denominator
    from coverage
    union all
    select
        school_code, school_year, period, 'teachers_training_account', 'teachers',
        case when training_available is not false then active_teachers_training end,
        active_teachers
    from coverage
    union all
    select
        school_code, school_year, period, 'students_digital_transcript', 'students',
        case when transcript_available is not false then active_students_transcript end,
        active_students
    from coverage
),

from_report as (
    select
        school_code, school_year, period, 'classrooms_internet' as measure,
        'emis_report' as source, classrooms_internet as numerator, classrooms as denominator
    from figures
    union all
    select
        school_code, school_year, period, 'classrooms_projector', 'emis_report',
        classrooms_projector, classrooms
    from figures
),

fractions as (
    select
        *,
        case when denominator > 0 then numerator::double / denominator end as source_value
    from (
        select * from from_exports
        union all
        select * from from_report
    )
),

per_computer as (
    select
        school_code, school_year, period,
        'students_per_computer' as measure,
        'emis_report' as source,
        case when school_level = 'THPT' then students else informatics_students end
            as numerator,
        teaching_computers as denominator,
        students_per_computer as source_value
    from figures
),

candidates as (
    select * from fractions
    union all by name
    select * from per_computer
),

final as (
    -- the latest period of the year with a figure
    select school_code, school_year, measure, period, source, numerator, denominator, source_value
    from candidates
    where source_value is not null
    qualify row_number() over (
        partition by school_code, school_year, measure
        order by case period when 'cuoi_nam' then 1 when 'dau_nam' then 2 else 3 end
    ) = 1
)

select * from final
