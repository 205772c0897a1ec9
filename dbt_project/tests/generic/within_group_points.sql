{#- A group score (or a mean of group scores) lies between 0 and the points the index's
    indicators of that group can give: the sum of their max_points (a group score is the
    sum of its indicators' points, each capped at max_points). The group is a constant
    (group_code) or a column of the model (group_column); the index is the row's index_id. -#}
{% test within_group_points(model, column_name, group_code=none, group_column=none) %}
with points as (
    select index_id, group_code, sum(max_points) as points
    from {{ ref('stg_reference__cds_index_indicators') }}
    group by index_id, group_code
)

select m.*
from {{ model }} as m
left join points as p
    on p.index_id = m.index_id
    and p.group_code = {{ "'" ~ group_code ~ "'" if group_code is not none else 'm.' ~ group_column }}
where m.{{ column_name }} is not null
  and (p.points is null or m.{{ column_name }} < 0 or m.{{ column_name }} > p.points)
{% endtest %}
