-- Every rejection, quarantined row, warning, consistency-rule breach and shared personal ID,
-- pointing at the cell to open (contract §5–6). Issues of a report version that a later
-- version replaced are not listed, nor the rejection of content since replaced at its
-- path. Choices the warehouse made between files are listed too: two versions or two
-- registries of the same date, a report of a school that its year's registry does not
-- list. A self-assessed figure that the exports or the statistical report
-- contradict (cds_cross_source, contract §6 "Cross-checks") is listed with both figures;
-- a review decision with no effect (review_stale, contract §2.6) with the resubmission.
-- The push history (contract §2.7) adds each current push that failed (sync_push_failed) or
-- failed in part (sync_push_partial), at its row of the export, each push window a school
-- has not pushed once it opened (sync_push_missing, named against the latest export of the
-- year), and the pushed pupils and staff that disagree with the exports and the report
-- (int_sync__rule_violations).
with issues as (
    select * from {{ ref('stg_audit__ingest_issues') }}
),

files as (
    select * from {{ ref('stg_audit__ingest_files') }}
),

superseded_versions as (
    select load_seq
    from {{ ref('int_submissions__versions') }}
    where not is_latest
),

replaced_rejections as (
    -- a rejected file whose path now holds other content (sent again under the same name,
    -- or read while still being copied): raw/ no longer holds what was rejected
    select load_seq
    from (
        select
            load_seq,
            status,
            {{ is_replaced_at_path(['source', 'source_file']) }} as is_replaced
        from files
    )
    where status = 'rejected' and is_replaced
),

sync_rows as (
    -- a push history holds many schools: a warning on one of its rows names that row's
    -- school and year (a quarantined row did not land, and names none)
    select load_seq, sheet, source_row, school_code, school_year
    from {{ ref('stg_landing__sync_log') }}
),

current_issues as (
    select
        i.* replace (
            coalesce(i.school_code, r.school_code) as school_code,
            coalesce(i.school_year, r.school_year) as school_year
        )
    from issues as i
    left join sync_rows as r
        on i.source = 'sync_log' and r.load_seq = i.load_seq
        and r.sheet is not distinct from i.sheet and r.source_row = i.source_row
    where i.load_seq not in (select load_seq from superseded_versions)
      and i.load_seq not in (select load_seq from replaced_rejections)
),

duplicate_files as (
    select
        load_seq,
        source,
        source_file,
        file_sha256,
        'duplicate_file' as rule_id,
        'Tệp ''' || source_file || ''' trùng nội dung với tệp đã nạp ''' || duplicate_of
            || ''': không tính thêm lần nộp' as message_vi,
        duplicate_of as value,
        school_code,
        school_year,
        period
    from files
    where status = 'duplicate'
),

versions as (
    select * from {{ ref('int_submissions__versions') }}
),

labels as (
    -- the words for the codes (labels_vi.csv): `Dữ liệu học sinh`, `Đầu năm`
    select * from {{ ref('stg_reference__labels') }}
),

same_date_versions as (
    -- a version set aside only by the order of the files: the school should date them apart
    select
        v.load_seq,
        v.report as source,
        v.source_file,
        v.file_sha256,
        case when v.report in ('students', 'teachers') then 'Ngày xuất dữ liệu'
            else 'Ngày báo cáo' end as field,
        'same_date_versions' as rule_id,
        'Hai phiên bản cùng ngày nộp '
            || coalesce(strftime(v.submitted_on, '%d/%m/%Y'), '(không ghi ngày)')
            || ' của ' || coalesce(r.label_vi, v.report) || ' – '
            || coalesce(p.label_vi, v.period) || ', năm học ' || v.school_year
            || ': dùng tệp ''' || latest.source_file || ''', không dùng tệp '''
            || v.source_file || ''' (tệp xếp sau theo đường dẫn được dùng, không theo thứ tự'
            || ' nạp); ghi rõ ngày nộp khác nhau cho mỗi lần nộp' as message_vi,
        latest.source_file as value,
        v.school_code,
        v.school_year,
        v.period
    from versions as v
    left join labels as r on r.value_of = 'report' and r.code = v.report
    left join labels as p on p.value_of = 'period' and p.code = v.period
    inner join versions as latest
        on latest.report = v.report and latest.school_code = v.school_code
        and latest.school_year = v.school_year and latest.period = v.period
        and latest.is_latest
    where not v.is_latest
      and not v.is_replaced
      and v.submitted_on is not distinct from latest.submitted_on
      and v.source_file <> latest.source_file
),

registries as (
    select * from {{ ref('int_schools__registries') }}
),

same_date_registries as (
    -- the later in path order wins (contract §2.1); the one set aside is named with it
    select
        r.load_seq,
        'schools' as source,
        r.source_file,
        r.file_sha256,
        'Ngày hiệu lực' as field,
        'registry_same_effective_date' as rule_id,
        'Hai danh mục trường cùng ngày hiệu lực '
            || coalesce(strftime(r.effective_on, '%d/%m/%Y'), '(không ghi ngày)')
            || ': dùng tệp ''' || winner.source_file || ''', không dùng tệp '''
            || r.source_file || ''' (tệp xếp sau theo đường dẫn được dùng); ghi ''Ngày hiệu'
            || ' lực'' khác nhau ở phần đầu mỗi tệp' as message_vi,
        winner.source_file as value
    from registries as r
    inner join registries as winner
        on winner.effective_on is not distinct from r.effective_on
        and winner.registry_order > r.registry_order
        and winner.source_file <> r.source_file
    where not r.is_replaced
    qualify row_number() over (
        partition by r.load_seq order by winner.registry_order desc
    ) = 1
),

unlisted_schools as (
    -- a report of a school its year's registry does not list: loaded, left out of the year
    select
        v.load_seq,
        v.report as source,
        v.source_file,
        v.file_sha256,
        'Mã trường' as field,
        'school_not_in_year_registry' as rule_id,
        'Trường ' || v.school_code || ' không có trong danh mục trường có hiệu lực cho năm học '
            || v.school_year || ' (tệp ''' || y.in_force_file || ''''
            || coalesce(', hiệu lực ' || strftime(y.in_force_effective_on, '%d/%m/%Y'), '')
            || '): báo cáo được nạp nhưng không tính vào tình hình nộp báo cáo và các bảng'
            || ' tổng hợp của năm học này; bổ sung trường vào danh mục nếu trường hoạt động'
            || ' trong năm học đó' as message_vi,
        v.school_code as value,
        v.school_code,
        v.school_year,
        v.period
    from versions as v
    inner join {{ ref('int_schools__by_year') }} as y
        on y.school_code = v.school_code and y.school_year = v.school_year
    where v.is_latest and not y.in_year_registry
),

rule_breaches as (
    select
        load_seq, source, source_file, null as file_sha256, sheet, source_row, field, rule_id,
        severity, 'rule_violation' as kind, message_vi, value, school_code, school_year, period
    from {{ ref('int_emis__rule_violations') }}
),

duplicate_ids as (
    -- no clear ID here: which schools share the key is enough to find the records
    select
        load_seq,
        case person_type when 'student' then 'students' else 'teachers' end as source,
        source_file, null as file_sha256, sheet, source_row,
        'Số định danh cá nhân' as field,
        duplicate_rule as rule_id,
        'warning' as severity,
        'row_warning' as kind,
        case duplicate_rule
            when 'id_duplicate_same_person'
                then 'Cùng một người có nhiều hồ sơ trong cùng kỳ (trùng số định danh; trường: '
            else 'Số định danh trùng với người khác trong cùng kỳ (trường: '
        end || duplicate_schools || ')' as message_vi,
        'trùng với ' || n_other_records::varchar || ' hồ sơ khác' as value,
        school_code, school_year, period
    from {{ ref('int_people__records') }}
    where is_duplicate_id
),

contradicted as (
    select * from {{ ref('int_cds__indicator_scores') }}
    where contradicts_sources
),

cross_source as (
    -- the school's figure against the warehouse's, at the assessment row that claims it
    select
        c.load_seq,
        'cds_assessment' as source,
        c.submission_file as source_file,
        null as file_sha256,
        c.sheet,
        c.source_row,
        'Tử số' as field,
        'cds_cross_source' as rule_id,
        'warning' as severity,
        'rule_violation' as kind,
        'Chỉ số ' || c.indicator_code || ' (' || coalesce(m.label_vi, c.cross_check_measure)
            || '): trường kê khai ' || c.self_text || ' (' || c.numerator::varchar || '/'
            || c.denominator::varchar || '), nhưng theo '
            || coalesce(src.label_vi, c.source_report) || ' – '
            || coalesce(p.label_vi, c.source_period) || ', năm học ' || c.school_year
            || ': ' || c.source_text || ' ('
            || c.source_numerator::varchar || '/' || c.source_denominator::varchar
            || '); lệch quá mức cho phép (' || c.tolerance_text || '), điểm kiểm tra tính theo '
            || 'số liệu đã nộp: ' || {{ vi_number('c.verified_points') }} || '/'
            || {{ vi_number('c.max_points') }} || ' điểm' as message_vi,
        c.self_text || ' ≠ ' || c.source_text as value,
        c.school_code,
        c.school_year,
        'ca_nam' as period
    from (
        select
            *,
            case when cross_check_measure = 'students_per_computer'
                then {{ vi_number('self_value') }} || ' học sinh/máy'
                else {{ vi_number('100 * self_value') }} || ' %' end as self_text,
            case when cross_check_measure = 'students_per_computer'
                then {{ vi_number('source_value') }} || ' học sinh/máy'
                else {{ vi_number('100 * source_value') }} || ' %' end as source_text,
            case when cross_check_measure = 'students_per_computer'
                then {{ vi_number('cross_check_tolerance') }} || ' học sinh/máy'
                else {{ vi_number('100 * cross_check_tolerance') }} || ' điểm phần trăm'
            end as tolerance_text
        from contradicted
    ) as c
    left join labels as m on m.value_of = 'cross_check_measure' and m.code = c.cross_check_measure
    left join labels as src on src.value_of = 'source' and src.code = c.source_report
    left join labels as p on p.value_of = 'period' and p.code = c.source_period
),

review_set_aside as (
    -- a decision of the office with no effect (contract §2.6): made before the school's
    -- latest resubmission (review_stale), or on a school year without an accepted assessment
    select
        d.load_seq,
        'cds_review' as source,
        d.source_file,
        d.file_sha256,
        d.sheet,
        d.source_row,
        'Ngày thẩm định' as field,
        case when d.has_assessment then 'review_stale' else 'review_without_assessment' end
            as rule_id,
        'warning' as severity,
        'rule_violation' as kind,
        'Quyết định thẩm định ''' || coalesce(dl.label_vi, d.decision) || ''' ngày '
            || strftime(d.reviewed_on, '%d/%m/%Y') || ' ('
            || coalesce('tiêu chí ' || d.indicator_code, 'cả phiếu') || ') '
            || case
                when d.has_assessment
                    then 'có trước ngày nộp của phiếu tự đánh giá đang dùng ('
                        || strftime(d.assessment_submitted_on, '%d/%m/%Y') || ', tệp '''
                        || d.assessment_file || '''): trường đã nộp phiếu sau quyết định'
                        || ' này nên quyết định không còn hiệu lực; cần thẩm định phiếu'
                        || ' đang dùng'
                else 'nhưng trường chưa có phiếu tự đánh giá nào được nhận cho năm học '
                    || d.school_year || ': không có hiệu lực'
            end as message_vi,
        strftime(d.reviewed_on, '%d/%m/%Y') as value,
        d.school_code,
        d.school_year,
        'ca_nam' as period
    from {{ ref('int_cds__review_decisions') }} as d
    left join labels as dl on dl.value_of = 'review_decision' and dl.code = d.decision
    where d.is_stale or not d.has_assessment
),

pushes as (
    select * from {{ ref('int_sync__pushes') }}
),

sync_failed as (
    -- the current push of a key that did not reach the Ministry whole
    select
        p.load_seq,
        'sync_log' as source,
        p.source_file,
        null as file_sha256,
        p.sheet,
        p.source_row,
        case when p.status = 'error' then 'Trạng thái' else 'Thất bại' end as field,
        case when p.status = 'error' then 'sync_push_failed' else 'sync_push_partial'
        end as rule_id,
        case when p.status = 'error' then 'error' else 'warning' end as severity,
        'rule_violation' as kind,
        'Đẩy dữ liệu lên CSDL ngành chưa thành công (' || coalesce(st.label_vi, p.status)
            || '): đợt ' || coalesce(b.label_vi, p.batch) || ', học kỳ ' || p.term::varchar
            || coalesce(', giai đoạn ' || p.stage, '') || ', năm học ' || p.school_year
            || coalesce(', phần mềm ' || p.partner, '') || ': ' || p.succeeded::varchar || '/'
            || p.pushed::varchar || ' bản ghi thành công, ' || p.failed::varchar
            || ' thất bại; trường sửa các bản ghi lỗi trên phần mềm quản lý nhà trường rồi đẩy'
            || ' lại' as message_vi,
        p.succeeded::varchar || '/' || p.pushed::varchar as value,
        p.school_code,
        p.school_year,
        null as period
    from pushes as p
    left join labels as st on st.value_of = 'status' and st.code = p.status
    left join labels as b on b.value_of = 'batch' and b.code = p.batch
    where p.is_current and (p.status <> 'success' or p.failed > 0)
),

sync_missing as (
    -- a push window opened and the year's push history holds no push of the school for it
    select * exclude (opens_on, due_on, days_late)
    from {{ ref('int_sync__missing_pushes') }}
),

sync_breaches as (
    select
        load_seq, 'sync_log' as source, source_file, null as file_sha256, sheet, source_row,
        field, rule_id, severity, 'rule_violation' as kind, message_vi, value, school_code,
        school_year, null as period
    from {{ ref('int_sync__rule_violations') }}
),

file_warnings as (
    -- what the warehouse chose between files: warnings on a whole file (no sheet, no row)
    select *, 'warning' as severity, 'file_warning' as kind
    from (
        select * from duplicate_files
        union all by name
        select * from same_date_versions
        union all by name
        select * from same_date_registries
        union all by name
        select * from unlisted_schools
    )
),

unioned as (
    select * from current_issues
    union all by name
    select * from file_warnings
    union all by name
    select * from rule_breaches
    union all by name
    select * from duplicate_ids
    union all by name
    select * from cross_source
    union all by name
    select * from review_set_aside
    union all by name
    select * from sync_failed
    union all by name
    select * from sync_missing
    union all by name
    select * from sync_breaches
),

final as (
    select
        md5(concat_ws('|',
            source, source_file, coalesce(file_sha256, ''), coalesce(source_row::varchar, ''),
            coalesce(field, ''), rule_id, coalesce(value, '')
        )) as issue_id,
        school_code,
        school_year,
        period,
        source,
        source_file,
        sheet,
        source_row as "row",
        field,
        rule_id,
        severity,
        kind,
        message_vi,
        value
    from unioned
)

select * from final
