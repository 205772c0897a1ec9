-- Breaches of the rules checked inside one report (family within_report): one CTE per kind.
-- One row per breach: the rule, the report (load_seq), the code and column to point at, and
-- the numbers that break the rule.
with operands as (
    select * from {{ ref('int_emis__rule_operands') }}
    where rule_kind in {{ rule_kinds_of('within_report') }}
),

rules as (
    select * from {{ ref('stg_reference__consistency_rules') }}
),

cells as (
    select * from {{ ref('int_emis__latest') }}
),

required_codes as (
    select * from {{ ref('int_emis__required_codes') }}
),

sum_parts as (
    select rule_id, unnest(string_split(right_code, ' ')) as part_code
    from rules
    where rule_kind = 'sum'
),

sum_checks as (
    -- left = the sum of the right codes
    select
        o.rule_id,
        o.load_seq,
        o.value_column,
        o.left_code,
        o.left_value,
        sum(part.value) as parts_value,
        count(part.value) as n_parts
    from operands as o
    inner join sum_parts as sp on sp.rule_id = o.rule_id
    left join cells as part
        on part.load_seq = o.load_seq and part.indicator_code = sp.part_code
        and part.value_column = o.value_column
    where o.rule_kind = 'sum'
    group by o.rule_id, o.load_seq, o.value_column, o.left_code, o.left_value
),

sum_breaches as (
    select
        rule_id, load_seq, left_code as code, value_column,
        left_value::varchar || ' ≠ ' || parts_value::varchar as detail
    from sum_checks
    where n_parts > 0 and left_value is not null and left_value <> parts_value
),

le_breaches as (
    -- left ≤ right
    select
        rule_id, load_seq, left_code as code, value_column,
        left_value::varchar || ' > ' || right_value::varchar as detail
    from operands
    where rule_kind = 'le' and left_value > right_value
),

column_le_breaches as (
    -- the rule's column (female, ethnic) ≤ total, for every code
    select
        o.rule_id, o.load_seq, part.indicator_code as code, o.value_column,
        part.value::varchar || ' > ' || total.value::varchar as detail
    from operands as o
    inner join cells as part
        on part.load_seq = o.load_seq and part.value_column = o.value_column
    inner join cells as total
        on total.load_seq = part.load_seq and total.indicator_code = part.indicator_code
        and total.value_column = 'total'
    where o.rule_kind = 'column_le' and part.value > total.value
),

required_breaches as (
    -- every code the level must report in the period has a total
    select
        o.rule_id, o.load_seq, rc.indicator_code as code, 'total' as value_column,
        rc.indicator_code as detail
    from operands as o
    inner join required_codes as rc on rc.load_seq = o.load_seq
    left join cells as c
        on c.load_seq = rc.load_seq and c.indicator_code = rc.indicator_code
        and c.value_column = 'total'
    where o.rule_kind = 'required' and c.value is null
),

not_applicable_breaches as (
    -- no code outside the school's level and the period
    select
        o.rule_id, o.load_seq, c.indicator_code as code, 'total' as value_column,
        c.indicator_code as detail
    from operands as o
    inner join cells as c
        on c.load_seq = o.load_seq and c.value_column = 'total' and c.value is not null
    left join required_codes as rc
        on rc.load_seq = c.load_seq and rc.indicator_code = c.indicator_code
    where o.rule_kind = 'not_applicable' and rc.indicator_code is null
),

max_ratio_breaches as (
    -- left / right ≤ tolerance
    select
        rule_id, load_seq, left_code as code, value_column,
        round(left_value / right_value, 1)::varchar as detail
    from operands
    where rule_kind = 'max_ratio' and right_value > 0 and left_value / right_value > tolerance
),

breaches as (
    select * from sum_breaches
    union all select * from le_breaches
    union all select * from column_le_breaches
    union all select * from required_breaches
    union all select * from not_applicable_breaches
    union all select * from max_ratio_breaches
)

select * from breaches
