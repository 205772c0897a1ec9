-- Every student and staff record of the latest accepted export of each school and period,
-- with its personal-ID verdict (contract §3): valid when the ID has the right form for the
-- person and no other record of the period, in any school, carries the same key.
with latest_exports as (
    select load_seq
    from {{ ref('int_submissions__versions') }}
    where report in ('students', 'teachers') and is_latest
),

students as (
    select
        'student' as person_type, school_code, school_year, period, student_code as record_code,
        is_active, has_personal_id, id_rule, person_key, identity_key, grade,
        results_hk1, results_hk2, digital_transcript, null::boolean as has_digital_signature,
        null::boolean as has_training_account, null::varchar as position, source_file, sheet,
        source_row, load_seq
    from {{ ref('stg_landing__students') }}
    where load_seq in (select load_seq from latest_exports)
),

staff as (
    select
        'staff' as person_type, school_code, school_year, period, staff_code as record_code,
        is_active, has_personal_id, id_rule, person_key, identity_key, null::bigint as grade,
        null::boolean as results_hk1, null::boolean as results_hk2, null::varchar as digital_transcript,
        has_digital_signature, has_training_account, position, source_file, sheet, source_row,
        load_seq
    from {{ ref('stg_landing__teachers') }}
    where load_seq in (select load_seq from latest_exports)
),

records as (
    select * from students
    union all
    select * from staff
),

shared_keys as (
    select
        school_year,
        period,
        person_key,
        count(*) as n_records,
        count(distinct identity_key) as n_identities,
        string_agg(distinct school_code, ', ' order by school_code) as schools
    from records
    where person_key is not null
    group by school_year, period, person_key
    having count(*) > 1
),

judged as (
    select
        r.*,
        k.person_key is not null as is_duplicate_id,
        case
            when k.person_key is null then null
            when k.n_identities = 1 then 'id_duplicate_same_person'
            else 'id_shared_by_people'
        end as duplicate_rule,
        k.n_records - 1 as n_other_records,
        k.schools as duplicate_schools,
        r.has_personal_id and r.id_rule is null and k.person_key is null as id_valid
    from records as r
    left join shared_keys as k
        on k.school_year = r.school_year and k.period = r.period and k.person_key = r.person_key
)

select * from judged
