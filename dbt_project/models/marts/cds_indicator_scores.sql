with scores as (
    select * from {{ ref('int_cds__indicator_scores') }}
),

final as (
    select
        school_code,
        school_year,
        index_id,
        indicator_code,
        group_code,
        criterion_code,
        rule,
        max_points,
        self_score,
        round(self_points, 2) as self_points,
        round(verified_points, 2) as verified_score,
        review_decision,
        round(reviewed_points, 2) as reviewed_score,
        reviewed_met,
        review_reason,
        reviewed_on,
        self_met,
        verified_met,
        has_evidence,
        round(measure, 4) as measure,
        provenance,
        flags,
        round(self_value, 4) as self_value,
        round(source_value, 4) as source_value,
        cross_check_measure,
        cross_check_tolerance,
        source_period,
        submission_file as source_file,
        sheet,
        source_row as "row",
        sort_order
    from scores
)

select * from final
