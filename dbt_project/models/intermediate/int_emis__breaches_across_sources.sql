-- Breaches of the rules comparing a report with another source (family across_sources, kind
-- match_export): the left code against the active records of the export the right code
-- names (`students`, or `teachers`: staff whose position is teacher), within ± tolerance.
with operands as (
    select * from {{ ref('int_emis__rule_operands') }}
    where rule_kind in {{ rule_kinds_of('across_sources') }}
),

people as (
    select * from {{ ref('int_people__records') }}
),

export_counts as (
    select source_kind, school_code, school_year, period, count(*) as n_active
    from (
        select 'students' as source_kind, school_code, school_year, period
        from people
        where person_type = 'student' and is_active
        union all
        select 'teachers', school_code, school_year, period
        from people
        where person_type = 'staff' and is_active and position = 'teacher'
    )
    group by all
),

breaches as (
    select
        o.rule_id, o.load_seq, o.left_code as code, o.value_column,
        o.left_value::varchar || ' / ' || e.n_active::varchar as detail
    from operands as o
    inner join export_counts as e
        on e.source_kind = o.right_code and e.school_code = o.school_code
        and e.school_year = o.school_year and e.period = o.period
    where e.n_active > 0
      and abs(o.left_value - e.n_active) / e.n_active > o.tolerance
)

select * from breaches
