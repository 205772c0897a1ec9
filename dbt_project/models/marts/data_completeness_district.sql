-- A school whose registry names no district (after the 2025 reform) is in no district row:
-- see data_completeness_area for communes and provinces.
with schools as (
    select * from {{ ref('data_completeness_school') }}
    where district_code is not null
),

aggregated as (
    select
        district_code,
        school_year,
        period,
        count(*) as n_schools_expected,
        round(100.0 * sum(n_received) / sum(n_expected), 2) as reporting_rate,
        round(avg(on_time_rate::decimal(18, 4)), 2)::double as on_time_rate,
        round(avg(completeness_score::decimal(18, 4)), 2)::double as avg_completeness_score,
        count(*) filter (where band = 'green') as n_green,
        count(*) filter (where band = 'amber') as n_amber,
        count(*) filter (where band = 'red') as n_red
    from schools
    group by district_code, school_year, period
)

select * from aggregated
