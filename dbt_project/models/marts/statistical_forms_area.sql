-- The values of the start-of-year statistical forms the province sends to the Ministry
-- (issue 20; Circular 25/2024: 01.ĐN-MN, 02.ĐN-TH, 03.ĐN-THCS), in long form: one row per
-- area, school year, form row and column. The rows and how each is computed come from
-- reference/statistical_forms.csv (stg_reference__statistical_forms); headings and rows the
-- warehouse cannot compute have no row here (pipelines/reports/statistical_forms.py lays the
-- whole form out from the reference file and lists those on the workbook's last sheet).
-- Schools: the active schools of the year's registry whose level the row names, placed in
-- each commune, district and province the registry gives them (int_schools__areas); figures:
-- their latest accepted start-of-year report (int_emis__latest, period dau_nam). Columns:
-- total, one per ownership the form shows (cong_lap, tu_thuc, dan_lap), and female and
-- ethnic (all ownerships) for rows with a breakdown. Only school years with at least one
-- start-of-year report. Formulas in _marts.yml.
with form_rows as (
    select * from {{ ref('stg_reference__statistical_forms') }}
    where method in ('school_count', 'school_count_with', 'emis_sum')
),

schools as (
    select school_year, school_code, school_level, ownership
    from {{ ref('int_schools__by_year') }}
    where in_year_registry and is_active
),

areas as (
    select * from {{ ref('int_schools__areas') }}
    where area_level in ('commune', 'district', 'province')
),

report_cells as (
    select school_year, school_code, indicator_code, value_column, value
    from {{ ref('int_emis__latest') }}
    where period = 'dau_nam'
),

report_years as (
    select distinct school_year from report_cells
),

reporting_schools as (
    select distinct school_year, school_code from report_cells
),

row_levels as (
    select form, row_order, unnest(levels) as school_level from form_rows
),

row_codes as (
    select form, row_order, unnest(codes) as indicator_code from form_rows
),

row_schools as (
    -- every (form row, school) the row counts or sums over
    select
        r.form,
        r.row_order,
        r.ma_so,
        r.method,
        r.has_breakdown,
        r.ownership_columns,
        s.school_year,
        s.school_code,
        s.ownership
    from form_rows as r
    inner join row_levels as l on l.form = r.form and l.row_order = r.row_order
    inner join schools as s on s.school_level = l.school_level
    inner join report_years as y on y.school_year = s.school_year
),

school_figures as (
    -- per row and school: the sum of the row's codes in each report column (null when the
    -- school's report gives none of them)
    select
        rs.form,
        rs.row_order,
        rs.school_year,
        rs.school_code,
        sum(c.value) filter (where c.value_column = 'total') as total,
        sum(c.value) filter (where c.value_column = 'female') as female,
        sum(c.value) filter (where c.value_column = 'ethnic') as ethnic
    from row_schools as rs
    left join row_codes as k on k.form = rs.form and k.row_order = rs.row_order
    left join report_cells as c
        on c.school_year = rs.school_year and c.school_code = rs.school_code
        and c.indicator_code = k.indicator_code
    group by rs.form, rs.row_order, rs.school_year, rs.school_code
),

school_values as (
    select
        rs.*,
        case rs.method
            when 'school_count' then 1
            when 'school_count_with' then case when f.total > 0 then 1 else 0 end
            else f.total
        end as total,
        case when rs.has_breakdown then f.female end as female,
        case when rs.has_breakdown then f.ethnic end as ethnic,
        p.school_code is not null as has_report
    from row_schools as rs
    inner join school_figures as f
        on f.form = rs.form and f.row_order = rs.row_order
        and f.school_year = rs.school_year and f.school_code = rs.school_code
    left join reporting_schools as p
        on p.school_year = rs.school_year and p.school_code = rs.school_code
),

placed as (
    select a.area_level, a.area_code, v.*
    from school_values as v
    inner join areas as a on a.school_year = v.school_year and a.school_code = v.school_code
),

row_totals as (
    select
        area_level,
        area_code,
        school_year,
        form,
        row_order,
        any_value(ma_so) as ma_so,
        any_value(has_breakdown) as has_breakdown,
        any_value(ownership_columns) as ownership_columns,
        count(*) as n_schools,
        count(*) filter (where has_report) as n_reported,
        coalesce(sum(total), 0) as total,
        coalesce(sum(total) filter (where ownership = 'cong_lap'), 0) as cong_lap,
        coalesce(sum(total) filter (where ownership = 'tu_thuc'), 0) as tu_thuc,
        coalesce(sum(total) filter (where ownership = 'dan_lap'), 0) as dan_lap,
        coalesce(sum(female), 0) as female,
        coalesce(sum(ethnic), 0) as ethnic
    from placed
    group by area_level, area_code, school_year, form, row_order
),

area_rows as (
    -- every computed row in every area that has a school of any level this year, even with
    -- no school of the row's levels (its counts are then 0)
    select distinct a.area_level, a.area_code, a.school_year, r.*
    from areas as a
    inner join schools as s on s.school_year = a.school_year and s.school_code = a.school_code
    inner join report_years as y on y.school_year = a.school_year
    cross join form_rows as r
),

filled as (
    select
        ar.area_level,
        ar.area_code,
        ar.school_year,
        ar.form,
        ar.row_order,
        ar.ma_so,
        ar.has_breakdown,
        ar.ownership_columns,
        coalesce(t.n_schools, 0) as n_schools,
        coalesce(t.n_reported, 0) as n_reported,
        coalesce(t.total, 0) as total,
        coalesce(t.cong_lap, 0) as cong_lap,
        coalesce(t.tu_thuc, 0) as tu_thuc,
        coalesce(t.dan_lap, 0) as dan_lap,
        coalesce(t.female, 0) as female,
        coalesce(t.ethnic, 0) as ethnic
    from area_rows as ar
    left join row_totals as t
        on t.area_level = ar.area_level and t.area_code = ar.area_code
        and t.school_year = ar.school_year and t.form = ar.form and t.row_order = ar.row_order
),

long_values as (
    unpivot filled
    on total, cong_lap, tu_thuc, dan_lap, female, ethnic
    into name value_column value value
),

kept as (
    -- the ownership columns the form shows; female and ethnic only where the row has them
    select *
    from long_values
    where value_column = 'total'
        or list_contains(ownership_columns, value_column)
        or (value_column in ('female', 'ethnic') and has_breakdown)
),

area_names as (
    select distinct school_year, area_level, area_code, area_name, province_code, area_rank
    from areas
),

final as (
    select
        k.area_level,
        k.area_code,
        n.area_name,
        n.province_code,
        k.school_year,
        k.form,
        k.row_order,
        k.ma_so,
        k.value_column,
        cast(k.value as bigint) as value,
        k.n_schools,
        k.n_reported
    from kept as k
    inner join area_names as n
        on n.school_year = k.school_year and n.area_level = k.area_level
        and n.area_code = k.area_code
    order by n.area_rank, k.area_code, k.school_year, k.form, k.row_order, k.value_column
)

select * from final
