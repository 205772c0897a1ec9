{#- A model's required columns in one query: one dbt node (and one Dagster check) per model
    instead of one per column, each a fixed cost of dbt's. Fails with every row that has a
    blank in any of them, the blank columns named first. -#}
{% test not_null_columns(model, columns) %}
select
    concat_ws(
        ', '
        {%- for column in columns %},
        case when {{ adapter.quote(column) }} is null then '{{ column }}' end
        {%- endfor %}
    ) as blank_columns,
    *
from {{ model }}
where
    {%- for column in columns %}
    {{ "or " if not loop.first }}{{ adapter.quote(column) }} is null
    {%- endfor %}
{% endtest %}
