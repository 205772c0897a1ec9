-- Every breach of a consistency or plausibility rule (reference.consistency_rules), at the
-- cell to open. Each family of rules is evaluated by its own model
-- (int_emis__breaches_<family>, the families from the macro consistency_rule_kinds); this
-- model unions them and locates each breach: file, sheet, row, column and message.
with rules as (
    select * from {{ ref('stg_reference__consistency_rules') }}
),

reports as (
    select * from {{ ref('int_emis__reports') }}
),

cells as (
    select * from {{ ref('int_emis__latest') }}
),

breaches as (
    {%- for family in consistency_rule_families() %}
    {{ 'union all ' if not loop.first }}select * from {{ ref('int_emis__breaches_' ~ family) }}
    {%- endfor %}
),

column_labels as (
    select * from (values ('total', 'Tổng số'), ('female', 'Nữ'), ('ethnic', 'Dân tộc'))
        as t(value_column, field)
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
