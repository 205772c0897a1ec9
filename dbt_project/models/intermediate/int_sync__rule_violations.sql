-- Breaches of the rules of family across_sync (kind match_pushed, consistency_rules.csv):
-- the records of a batch a school pushed with success in a term (`Thành công` of its latest
-- current push of that term, any stage, unless the push failed outright) against the same
-- school's export (right = `students`: active pupils; `teachers`: every active staff record)
-- or statistical report (right = a code, e.g. 201) of the period sync_calendar.csv pairs
-- with the term, within ± tolerance. Each breach is located at the push's row.
with rules as (
    select * from {{ ref('stg_reference__consistency_rules') }}
    where rule_kind in {{ rule_kinds_of('across_sync') }}
),

calendar as (
    select * from {{ ref('stg_reference__sync_calendar') }}
),

latest_pushes as (
    -- the term's latest current push of each batch, with the period it is compared with
    select p.*, c.period
    from {{ ref('int_sync__pushes') }} as p
    inner join calendar as c
        on c.school_year = p.school_year and c.term = p.term and c.batch = p.batch
    where p.is_current and p.status <> 'error'
    qualify row_number() over (
        partition by p.school_code, p.school_year, p.term, p.batch
        order by p.pushed_at desc nulls last, p.source_row desc, p.load_seq desc
    ) = 1
),

people as (
    select * from {{ ref('int_people__records') }}
),

export_counts as (
    select
        case person_type when 'student' then 'students' else 'teachers' end as right_code,
        school_code, school_year, period, count(*) as n_records
    from people
    where is_active
    group by all
),

report_counts as (
    select
        indicator_code as right_code, school_code, school_year, period,
        value::bigint as n_records
    from {{ ref('int_emis__latest') }}
    where value_column = 'total' and value is not null
),

figures as (
    select *, 'export' as figure_source from export_counts
    union all
    select *, 'report' as figure_source from report_counts
),

labels as (
    select * from {{ ref('stg_reference__labels') }}
),

compared as (
    select
        r.rule_id, r.severity, r.message_vi as rule_message, r.right_code, r.tolerance,
        p.load_seq, p.source_file, p.sheet, p.source_row, p.school_code, p.school_year,
        p.term, p.batch, p.period, p.succeeded, f.figure_source, f.n_records
    from rules as r
    inner join latest_pushes as p on p.batch = r.left_code
    inner join figures as f
        on f.right_code = r.right_code and f.school_code = p.school_code
        and f.school_year = p.school_year and f.period = p.period
    where f.n_records > 0
      and abs(p.succeeded - f.n_records) / f.n_records > r.tolerance
),

final as (
    select
        c.load_seq,
        c.source_file,
        c.sheet,
        c.source_row,
        'Thành công' as field,
        c.rule_id,
        c.severity,
        c.rule_message || ' (học kỳ ' || c.term::varchar || ', năm học ' || c.school_year
            || ': đã đẩy thành công ' || c.succeeded::varchar || ', '
            || case when c.figure_source = 'export'
                then coalesce(src.label_vi, c.right_code)
                else 'báo cáo thống kê, mã ' || c.right_code end
            || ' – ' || coalesce(per.label_vi, c.period) || ': '
            || c.n_records::varchar || ')' as message_vi,
        c.succeeded::varchar || ' / ' || c.n_records::varchar as value,
        c.school_code,
        c.school_year
    from compared as c
    left join labels as src on src.value_of = 'source' and src.code = c.right_code
    left join labels as per on per.value_of = 'period' and per.code = c.period
)

select * from final
