-- Breaches of the rules comparing a report with an earlier one of the same school (family
-- over_time): the left code against the right code at the start of the same school year
-- (change_period) or of the previous one (change_year), within ± tolerance.
with operands as (
    select * from {{ ref('int_emis__rule_operands') }}
    where rule_kind in {{ rule_kinds_of('over_time') }}
),

cells as (
    select * from {{ ref('int_emis__latest') }}
),

with_base_year as (
    select
        *,
        case
            when rule_kind = 'change_period' then school_year
            else (cast(left(school_year, 4) as integer) - 1)::varchar || '-' || left(school_year, 4)
        end as base_school_year
    from operands
),

breaches as (
    select
        o.rule_id, o.load_seq, o.left_code as code, o.value_column,
        o.left_value::varchar || ' / ' || base.value::varchar as detail
    from with_base_year as o
    inner join cells as base
        on base.school_code = o.school_code and base.indicator_code = o.right_code
        and base.value_column = o.value_column and base.period = 'dau_nam'
        and base.school_year = o.base_school_year
    where base.value > 0
      and abs(o.left_value - base.value) / base.value > o.tolerance
)

select * from breaches
