with expected as (
    select * from {{ ref('int_reporting__expected') }}
),

submissions as (
    select
        report, school_code, school_year, period,
        min(first_submitted_on) as first_submitted_on,
        max(last_submitted_on) as last_submitted_on,
        max(versions) as versions
    from {{ ref('int_submissions__versions') }}
    group by report, school_code, school_year, period
),

joined as (
    select
        e.school_code,
        e.report,
        e.school_year,
        e.period,
        e.due_school as due_on,
        e.due_district,
        true as expected,
        s.school_code is not null as received,
        s.first_submitted_on,
        s.last_submitted_on,
        coalesce(s.versions, 0) as versions
    from expected as e
    left join submissions as s
        on s.report = e.report and s.school_code = e.school_code
        and s.school_year = e.school_year and s.period = e.period
),

final as (
    select
        *,
        received and coalesce(first_submitted_on <= due_on, false) as on_time,
        case
            when received and first_submitted_on > due_on then date_diff('day', due_on, first_submitted_on)
            when received then 0
            when {{ run_date() }} > due_on then date_diff('day', due_on, {{ run_date() }})
            else 0
        end as days_late,
        case
            when not received then 'missing'
            when coalesce(first_submitted_on <= due_on, false) then 'on_time'
            else 'late'
        end as status
    from joined
)

select * from final
