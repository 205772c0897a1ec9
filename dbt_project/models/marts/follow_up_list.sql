-- What a data officer chases before a deadline: reports missing that are overdue or due in
-- the next 14 days, self-assessments the office returned, pushes to the sector database
-- missing once their window opened (int_sync__expected), and the open issues, ordered by how
-- much they move the totals of the
-- school's area: its district's learners when the registry gives it a district, else its
-- province's (registries made since the 2025 reform name no district).
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

weighing_areas as (
    -- the area whose totals an item moves: the school's district in the year's registry,
    -- else its province
    select school_year, school_code, area_level, area_code, area_name
    from {{ ref('int_schools__areas') }}
    where area_level in ('district', 'province')
    qualify row_number() over (partition by school_year, school_code order by area_rank) = 1
),

area_learners as (
    select a.area_level, a.area_code, l.school_year, sum(l.learners) as learners
    from learners as l
    inner join weighing_areas as a using (school_code, school_year)
    group by all
),

area_weights as (
    -- every school's weighing area of the year; its share is null without a report
    select
        a.school_code, a.school_year, a.area_level, a.area_code, a.area_name,
        round(100.0 * l.learners / nullif(t.learners, 0), 2) as pct_of_area_learners
    from weighing_areas as a
    left join learners as l using (school_code, school_year)
    left join area_learners as t
        on t.area_level = a.area_level and t.area_code = a.area_code
        and t.school_year = a.school_year
),

current_areas as (
    -- an item without a school year (a rejected file) is placed by the current registry
    select
        school_code,
        case when district_code is not null then 'district' else 'province' end as area_level,
        coalesce(district_code, province_code) as area_code,
        case when district_code is not null then district_name else province_name end as area_name
    from {{ ref('dim_school') }}
),

labels as (
    -- the words for the codes (labels_vi.csv): `Dữ liệu học sinh`, `Đầu năm`, never the codes
    select * from {{ ref('stg_reference__labels') }}
),

missing_reports as (
    select
        'missing_report' as item, s.school_code, s.report as source, s.school_year, s.period,
        s.due_on, s.days_late, null as source_file, null::bigint as "row", null as field,
        'Chưa nộp: ' || coalesce(r.label_vi, s.report) || ' – '
            || coalesce(p.label_vi, s.period) || ', năm học ' || s.school_year
            || case when s.days_late > 0 then ' (quá hạn ' || s.days_late::varchar || ' ngày)'
                    else ' (hạn ' || strftime(s.due_on, '%d/%m/%Y') || ')' end as message_vi,
        'error' as severity
    from status as s
    left join labels as r on r.value_of = 'report' and r.code = s.report
    left join labels as p on p.value_of = 'period' and p.code = s.period
    where s.status = 'missing' and s.due_on <= {{ run_date() }} + interval 14 day
),

missing_pushes as (
    -- listed here with the window's due date, not again as an issue
    select
        'missing_push' as item, school_code, source, school_year, period, due_on, days_late,
        source_file, source_row as "row", field, message_vi, severity
    from {{ ref('int_sync__missing_pushes') }}
),

open_issues as (
    -- a rejected file that names its school (contract §6): the school is asked to send
    -- that report again, named in words
    select
        'issue' as item, i.school_code, i.source, i.school_year, i.period, null::date as due_on,
        null::bigint as days_late, i.source_file, i."row", i.field,
        case when i.kind = 'file_rejected'
            then 'Đề nghị trường sửa và gửi lại: ' || coalesce(src.label_vi, i.source)
                || coalesce(' – ' || coalesce(p.label_vi, i.period), '')
                || coalesce(', năm học ' || i.school_year, '')
                || '. ' || i.message_vi
            else i.message_vi
        end as message_vi,
        i.severity
    from {{ ref('data_quality_issues') }} as i
    left join labels as src on src.value_of = 'source' and src.code = i.source
    left join labels as p on p.value_of = 'period' and p.code = i.period
    -- the office's own review decisions set aside (review_stale) are the office's work,
    -- not the school's
    -- a missing push is listed once, above, with its window's due date
    where i.school_code is not null and i.source <> 'cds_review'
      and i.rule_id <> 'sync_push_missing'
),

returned_assessments as (
    -- a self-assessment the office returned (contract §2.6): the school must correct it
    -- and submit it again
    select
        'returned_assessment' as item, m.school_code, 'cds_assessment' as source,
        m.school_year, 'ca_nam' as period, null::date as due_on, null::bigint as days_late,
        m.source_file, null::bigint as "row", 'Kết quả thẩm định' as field,
        'Phiếu tự đánh giá CĐS năm học ' || m.school_year || ' bị trả lại khi thẩm định'
            || coalesce(' ngày ' || strftime(m.reviewed_on, '%d/%m/%Y'), '')
            || coalesce(': ' || m.review_reason, '')
            || '. Đề nghị trường sửa và nộp lại phiếu' as message_vi,
        'error' as severity
    from {{ ref('cds_maturity_school') }} as m
    where m.review_status = 'returned'
),

items as (
    select * from missing_reports
    union all
    select * from missing_pushes
    union all
    select * from open_issues
    union all
    select * from returned_assessments
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
        -- null for a school the registry places in no district
        case when s.district_code is not null
            then coalesce(w.pct_of_district_learners, 0) end as pct_of_district_learners,
        coalesce(aw.area_level, ca.area_level) as area_level,
        coalesce(aw.area_code, ca.area_code) as area_code,
        case when aw.area_code is not null then aw.area_name else ca.area_name end as area_name,
        coalesce(aw.pct_of_area_learners, 0) as pct_of_area_learners,
        row_number() over (
            order by i.item in ('missing_report', 'missing_push') desc, i.severity = 'error' desc,
                     coalesce(aw.pct_of_area_learners, 0) desc, coalesce(i.days_late, 0) desc,
                     i.school_code, i.source, i.school_year, i.period, i.source_file, i."row",
                     i.field, i.message_vi
        ) as priority
    from items as i
    inner join schools as s on s.school_code = i.school_code
    left join weights as w on w.school_code = i.school_code and w.school_year = i.school_year
    left join area_weights as aw
        on aw.school_code = i.school_code and aw.school_year = i.school_year
    left join current_areas as ca on ca.school_code = i.school_code
)

select * from final
