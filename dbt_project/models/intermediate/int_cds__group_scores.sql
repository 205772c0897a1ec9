-- Group totals and group levels (contract §6): bounds come from the index file; a group
-- whose mandatory conditions are not all met is level 1. The reviewed score and level
-- (contract §2.6) use the reviewed scores and conditions the same way.
with scores as (
    select * from {{ ref('int_cds__indicator_scores') }}
),

bounds as (
    select index_id, level2_from, level3_above from {{ ref('stg_reference__cds_index') }}
),

group_totals as (
    select
        school_code,
        school_year,
        index_id,
        group_code,
        round(sum(coalesce(self_points, 0)::decimal(18, 6))::double, 2) as self_score,
        round(sum(coalesce(verified_points, 0)::decimal(18, 6))::double, 2) as verified_score,
        round(sum(coalesce(reviewed_points, 0)::decimal(18, 6))::double, 2) as reviewed_score,
        coalesce(bool_and(self_met) filter (where rule = 'mandatory'), true) as self_mandatory_met,
        coalesce(bool_and(verified_met) filter (where rule = 'mandatory'), true)
            as verified_mandatory_met,
        coalesce(bool_and(coalesce(reviewed_met, false)) filter (where rule = 'mandatory'), true)
            as reviewed_mandatory_met,
        round((sum(coalesce(verified_points, 0)::decimal(18, 6)) filter (where provenance = 'assumed'))::double, 2)
            as verified_points_on_assumed_items,
        count(*) filter (where provenance = 'assumed') as n_assumed_items
    from scores
    group by school_code, school_year, index_id, group_code
),

leveled as (
    select
        g.*,
        case
            when not g.self_mandatory_met then 1
            when g.self_score < b.level2_from then 1
            when g.self_score <= b.level3_above then 2
            else 3
        end as self_level,
        case
            when not g.verified_mandatory_met then 1
            when g.verified_score < b.level2_from then 1
            when g.verified_score <= b.level3_above then 2
            else 3
        end as verified_level,
        case
            when not g.reviewed_mandatory_met then 1
            when g.reviewed_score < b.level2_from then 1
            when g.reviewed_score <= b.level3_above then 2
            else 3
        end as reviewed_level
    from group_totals as g
    inner join bounds as b on b.index_id = g.index_id
)

select * from leveled
