-- Every breach of a consistency or plausibility rule (reference.consistency_rules), at the
-- cell to open: one CTE per kind of check, all reading the same rule table.
with rules as (
    select * from {{ ref('stg_reference__consistency_rules') }}
),

cells as (
    select * from {{ ref('int_emis__latest') }}
),

required_codes as (
    select * from {{ ref('int_emis__required_codes') }}
),

reports as (
    select distinct rc.load_seq, rc.school_code, rc.school_year, rc.period, rc.school_level,
           rc.source_file, f.sheet
    from required_codes as rc
    inner join {{ ref('stg_audit__ingest_files') }} as f on f.load_seq = rc.load_seq
),


column_labels as (
    select * from (values ('total', 'Tổng số'), ('female', 'Nữ'), ('ethnic', 'Dân tộc'))
        as t(value_column, field)
),

applicable_rules as (
    -- each rule × each report of a level and period it applies to × each column it checks
    select r.*, rep.load_seq, rep.school_code, rep.school_year, rep.period, rep.school_level,
           rep.source_file, rep.sheet, unnest(r.value_columns) as value_column
    from rules as r
    inner join reports as rep
        on (r.levels = '' or list_contains(string_split(r.levels, ' '), rep.school_level))
        and (r.periods = '' or list_contains(string_split(r.periods, ' '), rep.period))
),

sum_parts as (
    select rule_id, unnest(string_split(right_code, ' ')) as part_code
    from rules
    where rule_kind = 'sum'
),

sum_checks as (
    select
        ar.rule_id, ar.load_seq, ar.value_column, ar.left_code,
        max(lhs.value) as lhs_value,
        sum(part.value) as parts_value,
        count(part.value) as n_parts
    from applicable_rules as ar
    inner join cells as lhs
        on lhs.load_seq = ar.load_seq and lhs.indicator_code = ar.left_code
        and lhs.value_column = ar.value_column
    inner join sum_parts as sp on sp.rule_id = ar.rule_id
    left join cells as part
        on part.load_seq = ar.load_seq and part.indicator_code = sp.part_code
        and part.value_column = ar.value_column
    where ar.rule_kind = 'sum'
    group by ar.rule_id, ar.load_seq, ar.value_column, ar.left_code
),

sum_breaches as (
    select
        rule_id, load_seq, left_code as code, value_column,
        lhs_value::varchar || ' ≠ ' || parts_value::varchar as detail
    from sum_checks
    where n_parts > 0 and lhs_value is not null and lhs_value <> parts_value
),

le_breaches as (
    select ar.rule_id, ar.load_seq, ar.left_code as code, ar.value_column,
           lhs.value::varchar || ' > ' || rhs.value::varchar as detail
    from applicable_rules as ar
    inner join cells as lhs
        on lhs.load_seq = ar.load_seq and lhs.indicator_code = ar.left_code
        and lhs.value_column = ar.value_column
    inner join cells as rhs
        on rhs.load_seq = ar.load_seq and rhs.indicator_code = ar.right_code
        and rhs.value_column = ar.value_column
    where ar.rule_kind = 'le' and lhs.value > rhs.value
),

column_le_breaches as (
    select ar.rule_id, ar.load_seq, part.indicator_code as code, ar.value_column,
           part.value::varchar || ' > ' || total.value::varchar as detail
    from applicable_rules as ar
    inner join cells as part
        on part.load_seq = ar.load_seq and part.value_column = ar.value_column
    inner join cells as total
        on total.load_seq = part.load_seq and total.indicator_code = part.indicator_code
        and total.value_column = 'total'
    where ar.rule_kind = 'column_le' and part.value > total.value
),

required_breaches as (
    select ar.rule_id, ar.load_seq, rc.indicator_code as code, 'total' as value_column,
           rc.indicator_code as detail
    from applicable_rules as ar
    inner join required_codes as rc on rc.load_seq = ar.load_seq
    left join cells as c
        on c.load_seq = rc.load_seq and c.indicator_code = rc.indicator_code
        and c.value_column = 'total'
    where ar.rule_kind = 'required' and c.value is null
),

not_applicable_breaches as (
    select ar.rule_id, ar.load_seq, c.indicator_code as code, 'total' as value_column,
           c.indicator_code as detail
    from applicable_rules as ar
    inner join cells as c
        on c.load_seq = ar.load_seq and c.value_column = 'total' and c.value is not null
    left join required_codes as rc
        on rc.load_seq = c.load_seq and rc.indicator_code = c.indicator_code
    where ar.rule_kind = 'not_applicable' and rc.indicator_code is null
),

max_ratio_breaches as (
    select ar.rule_id, ar.load_seq, ar.left_code as code, ar.value_column,
           round(lhs.value / rhs.value, 1)::varchar as detail
    from applicable_rules as ar
    inner join cells as lhs
        on lhs.load_seq = ar.load_seq and lhs.indicator_code = ar.left_code
        and lhs.value_column = ar.value_column
    inner join cells as rhs
        on rhs.load_seq = ar.load_seq and rhs.indicator_code = ar.right_code
        and rhs.value_column = ar.value_column
    where ar.rule_kind = 'max_ratio' and rhs.value > 0 and lhs.value / rhs.value > ar.tolerance
),

change_breaches as (
    -- against the start of the same year (change_period) or of the previous year (change_year)
    select ar.rule_id, ar.load_seq, ar.left_code as code, ar.value_column,
           cur.value::varchar || ' / ' || base.value::varchar as detail
    from applicable_rules as ar
    inner join cells as cur
        on cur.load_seq = ar.load_seq and cur.indicator_code = ar.left_code
        and cur.value_column = ar.value_column
    inner join cells as base
        on base.school_code = ar.school_code and base.indicator_code = ar.right_code
        and base.value_column = ar.value_column and base.period = 'dau_nam'
        and base.school_year = case
            when ar.rule_kind = 'change_period' then ar.school_year
            else (cast(left(ar.school_year, 4) as integer) - 1)::varchar || '-' || left(ar.school_year, 4)
        end
    where ar.rule_kind in ('change_period', 'change_year')
      and base.value > 0
      and abs(cur.value - base.value) / base.value > ar.tolerance
),

informatics_pupils as (
    select load_seq, sum(value) as value
    from cells
    where value_column = 'total'
      and indicator_code in ('213', '214', '215', '216', '217', '218', '219')
    group by load_seq
),

ratio_values as (
    -- the ratio each zscore rule compares, per report (`informatics` = grades 3–9)
    select
        ar.rule_id, ar.load_seq, ar.school_year, ar.period, ar.school_level, ar.left_code,
        ar.right_code, ar.tolerance,
        case when ar.left_code = 'informatics' then inf.value else lhs.value end
            / nullif(rhs.value, 0) as x
    from applicable_rules as ar
    left join informatics_pupils as inf on inf.load_seq = ar.load_seq
    left join cells as lhs
        on lhs.load_seq = ar.load_seq and lhs.indicator_code = ar.left_code
        and lhs.value_column = 'total'
    left join cells as rhs
        on rhs.load_seq = ar.load_seq and rhs.indicator_code = ar.right_code
        and rhs.value_column = 'total'
    where ar.rule_kind = 'zscore'
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

zscore_breaches as (
    -- reported at the denominator (classes, teachers, computers): the school's own resource
    select v.rule_id, v.load_seq, v.right_code as code, 'total' as value_column,
           'x = ' || round(v.x, 1)::varchar || ', z = '
               || round(0.6745 * (v.x - m.med) / m.mad, 1)::varchar as detail
    from ratio_values as v
    inner join ratio_mad as m using (rule_id, school_year, period, school_level)
    where m.mad > 0 and abs(0.6745 * (v.x - m.med) / m.mad) > v.tolerance
),

export_counts as (
    select source_kind, school_code, school_year, period, count(*) as n_active
    from (
        select 'students' as source_kind, school_code, school_year, period
        from {{ ref('int_people__records') }}
        where person_type = 'student' and is_active
        union all
        select 'teachers', school_code, school_year, period
        from {{ ref('int_people__records') }}
        where person_type = 'staff' and is_active and position = 'teacher'
    )
    group by all
),

export_breaches as (
    select ar.rule_id, ar.load_seq, ar.left_code as code, ar.value_column,
           c.value::varchar || ' / ' || e.n_active::varchar as detail
    from applicable_rules as ar
    inner join cells as c
        on c.load_seq = ar.load_seq and c.indicator_code = ar.left_code
        and c.value_column = ar.value_column
    inner join export_counts as e
        on e.source_kind = ar.right_code and e.school_code = ar.school_code
        and e.school_year = ar.school_year and e.period = ar.period
    where ar.rule_kind = 'match_export' and e.n_active > 0
      and abs(c.value - e.n_active) / e.n_active > ar.tolerance
),

breaches as (
    select * from sum_breaches
    union all select * from le_breaches
    union all select * from column_le_breaches
    union all select * from required_breaches
    union all select * from not_applicable_breaches
    union all select * from max_ratio_breaches
    union all select * from change_breaches
    union all select * from zscore_breaches
    union all select * from export_breaches
),

located as (
    select
        b.load_seq,
        rep.school_code,
        rep.school_year,
        rep.period,
        'emis_report' as source,
        rep.source_file,
        coalesce(cell.sheet, rep.sheet) as sheet,
        cell.source_row,
        case when cell.source_row is null then 'Mã số' else lbl.field end as field,
        r.rule_id,
        r.rule_family,
        r.severity,
        r.message_vi || ' (mã ' || b.code || ': ' || b.detail || ')' as message_vi,
        b.detail as value
    from breaches as b
    inner join rules as r on r.rule_id = b.rule_id
    inner join reports as rep on rep.load_seq = b.load_seq
    inner join column_labels as lbl on lbl.value_column = b.value_column
    left join cells as cell
        on cell.load_seq = b.load_seq and cell.indicator_code = b.code
        and cell.value_column = b.value_column
)

select * from located
