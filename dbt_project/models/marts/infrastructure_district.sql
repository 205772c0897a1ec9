-- The district's infrastructure targets: share of schools meeting each (plan targets: at
-- most 2 pupils per computer for Informatics, Internet in every classroom, a digital
-- signature for every member of staff). A school whose registry names no district (after the
-- 2025 reform) is in no district row: see infrastructure_area.
with schools as (
    select * from {{ ref('infrastructure_school') }}
    where district_code is not null
),

aggregated as (
    select
        district_code,
        school_year,
        period,
        count(*) as n_schools,
        count(*) filter (where pct_classrooms_internet is not null) as n_reported,
        round(100.0 * count(*) filter (where meets_computer_ratio)
              / nullif(count(meets_computer_ratio), 0), 2) as pct_schools_computer_ratio_met,
        round(100.0 * count(*) filter (where pct_classrooms_internet >= 100)
              / nullif(count(pct_classrooms_internet), 0), 2) as pct_schools_internet_all_classrooms,
        round(100.0 * count(*) filter (where pct_teachers_digital_signature >= 100)
              / nullif(count(pct_teachers_digital_signature), 0), 2)
            as pct_schools_all_staff_signature,
        round(avg(pct_teachers_digital_signature::decimal(18, 4)), 2)::double as avg_pct_staff_signature,
        round(avg(pct_students_digital_transcript::decimal(18, 4)), 2)::double as avg_pct_students_digital_transcript
    from schools
    group by district_code, school_year, period
)

select * from aggregated
