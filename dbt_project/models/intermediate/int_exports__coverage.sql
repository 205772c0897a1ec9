-- Per school and period, what the latest exports say about the plan's targets: personal
-- IDs, learning results, digital transcripts, staff digital signatures, teachers' training
-- accounts.
-- A figure whose field the export's layout cannot supply (contract §2.8: the C1 student
-- export has no learning results, CSDL_GiaoVien no digital signature) is null, not 0: the
-- `*_available` flags say which, from the file's ingest record.
with records as (
    select * from {{ ref('int_people__records') }}
),

files as (
    select load_seq, fields_not_available from {{ ref('stg_audit__ingest_files') }}
),

students as (
    select
        r.school_code, r.school_year, r.period,
        count(*) filter (where r.is_active) as active_students,
        bool_and(not list_contains(f.fields_not_available, 'personal_id')) as student_ids_available,
        bool_and(not list_has_any(f.fields_not_available, ['results_hk1', 'results_hk2']))
            as results_available,
        bool_and(not list_contains(f.fields_not_available, 'digital_transcript'))
            as transcript_available,
        count(*) filter (where r.is_active and r.id_valid) as active_students_valid_id,
        count(*) filter (where r.is_active and r.results_hk1 and r.results_hk2)
            as active_students_results,
        count(*) filter (where r.is_active and r.digital_transcript = 'signed')
            as active_students_transcript
    from records as r
    inner join files as f on f.load_seq = r.load_seq
    where r.person_type = 'student'
    group by all
),

staff as (
    select
        r.school_code, r.school_year, r.period,
        count(*) filter (where r.is_active) as active_staff,
        bool_and(not list_contains(f.fields_not_available, 'personal_id')) as staff_ids_available,
        bool_and(not list_contains(f.fields_not_available, 'digital_signature'))
            as signature_available,
        bool_and(not list_contains(f.fields_not_available, 'training_account'))
            as training_available,
        count(*) filter (where r.is_active and r.id_valid) as active_staff_valid_id,
        count(*) filter (where r.is_active and r.has_digital_signature) as active_staff_signature,
        count(*) filter (where r.is_active and r.position = 'teacher') as active_teachers,
        count(*) filter (where r.is_active and r.position = 'teacher' and r.has_training_account)
            as active_teachers_training
    from records as r
    inner join files as f on f.load_seq = r.load_seq
    where r.person_type = 'staff'
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
        s.student_ids_available, s.results_available, s.transcript_available,
        t.active_staff, t.active_staff_valid_id, t.active_staff_signature, t.active_teachers,
        t.active_teachers_training, t.staff_ids_available, t.signature_available,
        t.training_available
    from students as s
    full outer join staff as t
        on t.school_code = s.school_code and t.school_year = s.school_year and t.period = s.period
)

select * from combined
