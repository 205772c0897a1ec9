-- Every indicator of the index scored for every school's latest accepted self-assessment
-- (contract §6, "CĐS scoring"). Indicators a school did not report score 0 / not met.
-- An indicator with a cross-check compares the school's figure (self_value) with the
-- warehouse's (source_value, int_cds__source_measures): beyond the tolerance it is scored
-- from the warehouse's figure and flagged contradicts_sources (contract §6, "Cross-checks").
-- The office's current decision (contract §2.6) gives the reviewed score: approve → the self
-- score capped at max_points (mandatory: met as self-declared), reject → 0 (not met), adjust
-- → the score given (capped); without a current decision the verified score stands.
with latest_submissions as (
    select * from {{ ref('int_submissions__versions') }}
    where report = 'cds_assessment' and is_latest
),

schools as (
    -- the level of the registry in force for the school year (contract §2.1)
    select school_code, school_year, school_level from {{ ref('int_schools__by_year') }}
),

indicators as (
    select * from {{ ref('stg_reference__cds_index_indicators') }}
),

bands as (
    select * from {{ ref('stg_reference__cds_index_bands') }}
),

answers as (
    select * from {{ ref('stg_landing__cds_assessment') }}
),

source_measures as (
    select * from {{ ref('int_cds__source_measures') }}
),

review as (
    -- the office's current decision on each indicator (contract §2.6)
    select school_code, school_year, indicator_code, decision, reviewed_score, reviewed_met,
        reason, reviewed_on
    from {{ ref('int_cds__review_decisions') }}
    where is_current and indicator_code is not null
),

scaffold as (
    select
        s.school_code,
        s.school_year,
        s.load_seq,
        s.source_file as submission_file,
        sc.school_level,
        i.index_id,
        i.indicator_code,
        i.group_code,
        i.criterion_code,
        i.rule,
        i.max_points,
        i.provenance,
        i.cross_check_measure,
        i.cross_check_tolerance,
        i.sort_order
    from latest_submissions as s
    inner join schools as sc on sc.school_code = s.school_code and sc.school_year = s.school_year
    cross join indicators as i
),

answered as (
    select
        scaffold.*,
        a.indicator_code is not null as is_reported,
        a.self_score_raw,
        a.self_score,
        a.self_met as declared_met,
        a.numerator,
        a.denominator,
        coalesce(a.has_evidence, false) as has_evidence,
        a.evidence,
        a.sheet,
        a.source_row,
        case
            when a.denominator > 0 then a.numerator::double / a.denominator
        end as measure
    from scaffold
    left join answers as a
        on a.load_seq = scaffold.load_seq
        and a.indicator_code = scaffold.indicator_code
),

cross_checked as (
    select
        a.*,
        a.measure as self_value,
        m.source_value,
        m.period as source_period,
        m.source as source_report,
        m.numerator as source_numerator,
        m.denominator as source_denominator,
        -- rounded: 0.8 - 0.7 is 0.10000000000000009 in binary floating point
        coalesce(
            a.cross_check_measure is not null
            and round(abs(a.measure - m.source_value), 9) > a.cross_check_tolerance,
            false
        ) as contradicts_sources,
        a.cross_check_measure is not null and m.source_value is null as not_cross_checked
    from answered as a
    left join source_measures as m
        on m.school_code = a.school_code
        and m.school_year = a.school_year
        and m.measure = a.cross_check_measure
),

measured as (
    -- the measure scored: the warehouse's figure where the school's contradicts it
    select
        *,
        case when contradicts_sources then source_value else measure end as scored_measure
    from cross_checked
),

levels_with_own_bands as (
    select distinct index_id, indicator_code, school_level
    from bands
    where school_level is not null
),

applicable_bands as (
    -- the level's own bands where the index gives them (bands_by_level), else the default
    select
        a.school_code,
        a.school_year,
        a.indicator_code,
        a.scored_measure,
        b.band_order,
        b.band_op,
        b.bound,
        b.points
    from measured as a
    left join levels_with_own_bands as own
        on own.index_id = a.index_id
        and own.indicator_code = a.indicator_code
        and own.school_level = a.school_level
    inner join bands as b
        on b.index_id = a.index_id
        and b.indicator_code = a.indicator_code
        and b.school_level is not distinct from own.school_level
    where a.rule = 'bands'
),

band_points as (
    -- first band, top to bottom, whose bound the measure satisfies
    select
        school_code,
        school_year,
        indicator_code,
        arg_min(points, band_order) as band_points
    from applicable_bands
    where scored_measure is not null
      and (
          band_op = 'any'
          or (band_op = 'upto' and scored_measure <= bound)
          or (band_op = 'from' and scored_measure >= bound)
      )
    group by school_code, school_year, indicator_code
),

scored as (
    select
        a.*,
        case
            when a.rule <> 'mandatory' then least(coalesce(a.self_score, 0), a.max_points)
        end as self_points,
        case a.rule
            when 'binary' then
                case when a.self_score > 0 and a.has_evidence then a.max_points else 0 end
            when 'ratio' then
                case
                    when a.contradicts_sources
                        then a.max_points * least(1.0, a.source_value)
                    when a.denominator > 0
                        then a.max_points * least(1.0, coalesce(a.numerator, 0)::double / a.denominator)
                    else 0
                end
            when 'bands' then coalesce(bp.band_points, 0)
        end as verified_points,
        case when a.rule = 'mandatory' then coalesce(a.declared_met, false) end as self_met,
        case
            when a.rule = 'mandatory' then coalesce(a.declared_met, false) and a.has_evidence
        end as verified_met
    from measured as a
    left join band_points as bp
        on bp.school_code = a.school_code
        and bp.school_year = a.school_year
        and bp.indicator_code = a.indicator_code
),

reviewed as (
    select
        s.*,
        r.decision as review_decision,
        r.reason as review_reason,
        r.reviewed_on,
        case
            when s.rule = 'mandatory' then null
            when r.decision = 'approve' then s.self_points
            when r.decision = 'reject' then 0
            when r.decision = 'adjust' then least(r.reviewed_score, s.max_points)
            else s.verified_points
        end as reviewed_points,
        case
            when s.rule <> 'mandatory' then null
            when r.decision = 'approve' then s.self_met
            when r.decision = 'reject' then false
            when r.decision = 'adjust' then r.reviewed_met
            else s.verified_met
        end as reviewed_met
    from scored as s
    left join review as r
        on r.school_code = s.school_code
        and r.school_year = s.school_year
        and r.indicator_code = s.indicator_code
),

flagged as (
    select
        *,
        list_filter(
            [
                case when not is_reported then 'not_reported' end,
                case when rule <> 'mandatory' and self_score > max_points then 'self_score_capped' end,
                case
                    when not has_evidence and (self_score > 0 or coalesce(declared_met, false))
                        then 'missing_evidence'
                end,
                case when rule in ('ratio', 'bands') and measure is null then 'no_measure' end,
                case when provenance = 'assumed' then 'assumed_item' end,
                case when contradicts_sources then 'contradicts_sources' end,
                case when not_cross_checked then 'not_cross_checked' end
            ],
            lambda f: f is not null
        ) as flags
    from reviewed
)

select * from flagged
