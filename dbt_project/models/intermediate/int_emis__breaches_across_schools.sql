-- Breaches of the rules comparing a school with the schools of the same level (family
-- across_schools, kind zscore): the ratio left / right of each report against the median of
-- its level, school year and period, by the modified z-score 0.6745 · (x − median) / MAD.
-- `informatics` as the left code stands for the pupils of the Informatics grades.
with operands as (
    select * from {{ ref('int_emis__rule_operands') }}
    where rule_kind in {{ rule_kinds_of('across_schools') }}
),

rules as (
    select * from {{ ref('stg_reference__consistency_rules') }}
),

cells as (
    select * from {{ ref('int_emis__latest') }}
),

informatics_pupils as (
    select load_seq, sum(value) as value
    from cells
    where value_column = 'total'
      and indicator_code in {{ informatics_grade_codes() }}
    group by load_seq
),

ratio_values as (
    -- the ratio each rule compares, per report
    select
        o.rule_id, o.load_seq, o.school_year, o.period, o.school_level, o.right_code,
        o.tolerance,
        case when o.left_code = 'informatics' then inf.value else o.left_value end
            / nullif(o.right_value, 0) as x
    from operands as o
    left join informatics_pupils as inf on inf.load_seq = o.load_seq
),

ratio_stats as (
    -- a median and MAD of fewer than 5 schools say nothing about outliers
    select rule_id, school_year, period, school_level, median(x) as med
    from ratio_values
    where x is not null
    group by rule_id, school_year, period, school_level
    having count(*) >= 5
),

ratio_mad as (
    -- floored at mad_floor × median: near-identical schools must not make ordinary
    -- differences look extreme
    select v.rule_id, v.school_year, v.period, v.school_level, s.med,
           greatest(median(abs(v.x - s.med)), coalesce(max(r.mad_floor), 0) * abs(s.med)) as mad
    from ratio_values as v
    inner join ratio_stats as s using (rule_id, school_year, period, school_level)
    inner join rules as r on r.rule_id = v.rule_id
    where v.x is not null
    group by v.rule_id, v.school_year, v.period, v.school_level, s.med
),

breaches as (
    -- reported at the denominator (classes, teachers, computers): the school's own resource
    select
        v.rule_id, v.load_seq, v.right_code as code, 'total' as value_column,
        'x = ' || round(v.x, 1)::varchar || ', z = '
            || round(0.6745 * (v.x - m.med) / m.mad, 1)::varchar as detail
    from ratio_values as v
    inner join ratio_mad as m using (rule_id, school_year, period, school_level)
    where m.mad > 0 and abs(0.6745 * (v.x - m.med) / m.mad) > v.tolerance
)

select * from breaches
