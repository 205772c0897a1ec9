-- Each consistency rule (reference.consistency_rules) × each latest report of a level and
-- period it applies to × each column it checks, with the report's values of the rule's left
-- and right codes in that column (null when the code is not reported or blank). The rule
-- families' models read their operands here instead of joining the cells each time.
with rules as (
    select * from {{ ref('stg_reference__consistency_rules') }}
),

reports as (
    select * from {{ ref('int_emis__reports') }}
),

cells as (
    select * from {{ ref('int_emis__latest') }}
),

applicable_rules as (
    select
        r.rule_id,
        r.rule_family,
        r.rule_kind,
        r.left_code,
        r.right_code,
        r.tolerance,
        rep.load_seq,
        rep.school_code,
        rep.school_year,
        rep.period,
        rep.school_level,
        unnest(r.value_columns) as value_column
    from rules as r
    inner join reports as rep
        on (r.levels = '' or list_contains(string_split(r.levels, ' '), rep.school_level))
        and (r.periods = '' or list_contains(string_split(r.periods, ' '), rep.period))
),

with_operands as (
    select
        ar.*,
        lhs.value as left_value,
        rhs.value as right_value
    from applicable_rules as ar
    left join cells as lhs
        on lhs.load_seq = ar.load_seq and lhs.indicator_code = ar.left_code
        and lhs.value_column = ar.value_column
    left join cells as rhs
        on rhs.load_seq = ar.load_seq and rhs.indicator_code = ar.right_code
        and rhs.value_column = ar.value_column
)

select * from with_operands
