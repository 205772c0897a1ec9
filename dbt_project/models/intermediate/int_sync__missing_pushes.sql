-- Every push a school owes and has not made (contract §2.7, sync_calendar.csv): an active
-- school with no push of a batch in a term whose window has opened, in a year the loaded
-- push history covers. One row per school, year, term and batch, in the columns of
-- data_quality_issues (named against the latest export of the year, no row), with the
-- window's dates for the follow-up list; an error once the window's due date has passed.
with expected as (
    select * from {{ ref('int_sync__expected') }}
),

labels as (
    select * from {{ ref('stg_reference__labels') }}
),

final as (
    select
        null::bigint as load_seq,
        'sync_log' as source,
        e.history_file as source_file,
        null as file_sha256,
        null as sheet,
        null::bigint as source_row,
        'Đợt đẩy' as field,
        'sync_push_missing' as rule_id,
        case when e.days_late > 0 then 'error' else 'warning' end as severity,
        'missing_push' as kind,
        'Chưa đẩy dữ liệu lên CSDL ngành: đợt ' || coalesce(b.label_vi, e.batch)
            || ', học kỳ ' || e.term::varchar || ', năm học ' || e.school_year || ' (mở từ '
            || strftime(e.opens_on, '%d/%m/%Y') || ', hạn ' || strftime(e.due_on, '%d/%m/%Y')
            || case when e.days_late > 0 then ', quá hạn ' || e.days_late::varchar || ' ngày'
                else '' end
            || '): lịch sử đẩy dữ liệu không có lần đẩy nào của trường' as message_vi,
        -- the school and year in the value too: issue_id hashes file, row, field, rule and value,
        -- and every missing push of a year is named against the same file with no row
        e.school_code || ': ' || coalesce(b.label_vi, e.batch) || ', học kỳ ' || e.term::varchar
            || ', năm học ' || e.school_year as value,
        e.school_code,
        e.school_year,
        null as period,
        e.opens_on,
        e.due_on,
        e.days_late
    from expected as e
    left join labels as b on b.value_of = 'batch' and b.code = e.batch
    where not e.has_push
)

select * from final
