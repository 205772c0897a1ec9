-- Where each school is in each school year, as the registry of that year gives it (contract
-- §2.1, §6 *_area): one row per school year, school and area level whose code the registry
-- gives it (commune, district, province), and one for the nation (`VN`). A school without a
-- commune code is in no commune; a registry without districts (after the 2025 reform) puts
-- no school in a district. The area marts count a school in each of its rows.
with schools as (
    select * from {{ ref('int_schools__by_year') }}
),

communes as (
    select
        school_year, school_code, in_year_registry, 'commune' as area_level,
        commune_code as area_code, commune_name as area_name, province_code
    from schools
    where commune_code is not null
),

districts as (
    select
        school_year, school_code, in_year_registry, 'district' as area_level,
        district_code as area_code, district_name as area_name, province_code
    from schools
    where district_code is not null
),

provinces as (
    select
        school_year, school_code, in_year_registry, 'province' as area_level,
        province_code as area_code, province_name as area_name, province_code
    from schools
    where province_code is not null
),

nation as (
    select
        school_year, school_code, in_year_registry, 'nation' as area_level,
        'VN' as area_code, 'Toàn quốc' as area_name, null as province_code
    from schools
),

placed as (
    select * from communes
    union all
    select * from districts
    union all
    select * from provinces
    union all
    select * from nation
),

name_votes as (
    -- one name per area and year: the one most rows of that year's registry give (then any
    -- row; ties to the first alphabetically), so that one misspelt row does not rename it
    select
        school_year, area_level, area_code, area_name,
        row_number() over (
            partition by school_year, area_level, area_code
            order by count(*) filter (where in_year_registry) desc, count(*) desc, area_name
        ) as name_rank
    from placed
    where area_name is not null
    group by school_year, area_level, area_code, area_name
),

province_votes as (
    -- the province an area lies in, chosen the same way (null for the nation)
    select
        school_year, area_level, area_code, province_code,
        row_number() over (
            partition by school_year, area_level, area_code
            order by count(*) filter (where in_year_registry) desc, count(*) desc, province_code
        ) as province_rank
    from placed
    where province_code is not null
    group by school_year, area_level, area_code, province_code
),

final as (
    select
        p.school_year,
        p.school_code,
        p.area_level,
        p.area_code,
        n.area_name,
        v.province_code,
        case p.area_level
            when 'commune' then 1 when 'district' then 2 when 'province' then 3 else 4
        end as area_rank
    from placed as p
    left join name_votes as n
        on n.school_year = p.school_year and n.area_level = p.area_level
        and n.area_code = p.area_code and n.name_rank = 1
    left join province_votes as v
        on v.school_year = p.school_year and v.area_level = p.area_level
        and v.area_code = p.area_code and v.province_rank = 1
)

select * from final
