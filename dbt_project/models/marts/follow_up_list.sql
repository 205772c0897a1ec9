-- What a data officer chases before a deadline: reports missing that are overdue or due in
-- the next 14 days, and the open issues, ordered by how much they move the district's
-- totals (the school's share of the district's learners).
with status as (
    select * from {{ ref('reporting_status') }}
),

schools as (
    select school_code, school_name, level, district_code from {{ ref('dim_school') }}
),

districts_by_year as (
    -- a school year's district totals follow the registry in force for it (contract §2.1)
    select school_code, school_year, district_code from {{ ref('int_schools__by_year') }}
),

learners as (
    select school_code, school_year, max(value) as learners
    from {{ ref('int_emis__latest') }}
    where indicator_code = '201' and value_column = 'total'
    group by school_code, school_year
),

district_learners as (
    select s.district_code, l.school_year, sum(l.learners) as learners
    from learners as l
    inner join districts_by_year as s using (school_code, school_year)
    group by all
),

weights as (
    select
        l.school_code, l.school_year,
        round(100.0 * l.learners / nullif(d.learners, 0), 2) as pct_of_district_learners
    from learners as l
    inner join districts_by_year as s using (school_code, school_year)
    inner join district_learners as d
        on d.district_code = s.district_code and d.school_year = l.school_year
),

missing_reports as (
    select
        'missing_report' as item, school_code, report as source, school_year, period, due_on,
        days_late, null as source_file, null::bigint as "row", null as field,
        'Chưa nộp ' || report || ' ' || school_year || ' ' || period
            || case when days_late > 0 then ' (quá hạn ' || days_late::varchar || ' ngày)'
                    else ' (hạn ' || strftime(due_on, '%d/%m/%Y') || ')' end as message_vi,
        'error' as severity
    from status
    where status = 'missing' and due_on <= {{ run_date() }} + interval 14 day
),

open_issues as (
    select
        'issue' as item, school_code, source, school_year, period, null::date as due_on,
        null::bigint as days_late, source_file, "row", field, message_vi, severity
    from {{ ref('data_quality_issues') }}
    where school_code is not null
),

items as (
    select * from missing_reports
    union all
    select * from open_issues
),

final as (
    select
        i.item,
        i.severity,
        i.school_code,
        s.school_name,
        s.district_code,
        i.source,
        i.school_year,
        i.period,
        i.due_on,
        i.days_late,
        i.source_file,
        i."row",
        i.field,
        i.message_vi,
        coalesce(w.pct_of_district_learners, 0) as pct_of_district_learners,
        row_number() over (
            order by i.item = 'missing_report' desc, i.severity = 'error' desc,
                     coalesce(w.pct_of_district_learners, 0) desc, coalesce(i.days_late, 0) desc,
                     i.school_code, i.source, i.school_year, i.period, i.source_file, i."row",
                     i.field, i.message_vi
        ) as priority
    from items as i
    inner join schools as s on s.school_code = i.school_code
    left join weights as w on w.school_code = i.school_code and w.school_year = i.school_year
)

select * from final
