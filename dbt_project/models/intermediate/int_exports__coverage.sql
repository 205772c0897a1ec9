-- Per school and period, what the latest exports say about the plan's targets: personal
-- IDs, learning results, digital transcripts, staff digital signatures, teachers' training
-- accounts.
with records as (
    select * from {{ ref('int_people__records') }}
),

students as (
    select
        school_code, school_year, period,
        count(*) filter (where is_active) as active_students,
        count(*) filter (where is_active and id_valid) as active_students_valid_id,
        count(*) filter (where is_active and results_hk1 and results_hk2) as active_students_results,
        count(*) filter (where is_active and digital_transcript = 'signed') as active_students_transcript
    from records
    where person_type = 'student'
    group by all
),

staff as (
    select
        school_code, school_year, period,
        count(*) filter (where is_active) as active_staff,
        count(*) filter (where is_active and id_valid) as active_staff_valid_id,
        count(*) filter (where is_active and has_digital_signature) as active_staff_signature,
        count(*) filter (where is_active and position = 'teacher') as active_teachers,
        count(*) filter (where is_active and position = 'teacher' and has_training_account)
            as active_teachers_training
    from records
    where person_type = 'staff'
    group by all
),

combined as (
    select
        coalesce(s.school_code, t.school_code) as school_code,
        coalesce(s.school_year, t.school_year) as school_year,
        coalesce(s.period, t.period) as period,
        s.school_code is not null as students_received,
        t.school_code is not null as staff_received,
        s.active_students, s.active_students_valid_id, s.active_students_results,
        s.active_students_transcript,
        t.active_staff, t.active_staff_valid_id, t.active_staff_signature, t.active_teachers,
        t.active_teachers_training
    from students as s
    full outer join staff as t
        on t.school_code = s.school_code and t.school_year = s.school_year and t.period = s.period
)

select * from combined
