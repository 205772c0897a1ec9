-- A self-assessment row answers its indicator the way the indicator's rule asks (contract
-- §2.2): a mandatory condition by a yes/no (self_met), never by points; a scored indicator
-- by points ≥ 0, never by a yes/no. (No upper bound: a score above max_points is accepted,
-- capped and flagged; the capped self_points are bounded in int_cds__indicator_scores.)
-- It reads two models: meta.dagster.ref names the one Dagster shows it as a check of.
{{ config(meta={'dagster': {'ref': {'name': 'stg_landing__cds_assessment'}}}) }}

with answers as (
    select * from {{ ref('stg_landing__cds_assessment') }}
),

indicators as (
    select * from {{ ref('stg_reference__cds_index_indicators') }}
)

select a.load_seq, a.indicator_code, i.rule, a.self_score, a.self_met
from answers as a
inner join indicators as i on i.indicator_code = a.indicator_code
where a.self_score < 0
   or (i.rule = 'mandatory' and a.self_score is not null)
   or (i.rule <> 'mandatory' and a.self_met is not null)
