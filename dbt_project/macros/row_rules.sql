{#- The rows of `relation` that break any of the given rules, each with `broken_rules`, the
    list of the rules it breaks (in Vietnamese words an analyst reads in the failing rows).
    One query per model instead of one per rule: each dbt test is a fixed cost of about
    20 ms of dbt's own Python, and one per rule made most of an incremental build's nodes.
    The rules keep the meaning of the tests they replace:
    - not_null: the column is blank;
    - accepted_values (column → values): a value outside the list (a blank is not checked),
      compared as text like dbt's accepted_values;
    - between (column → [min, max]): a value below min or above max (a blank is not checked);
    - expressions: the SQL condition is false or unknown (null fails, as expression_is_true). -#}
{% macro row_rules_sql(relation, not_null=[], accepted_values={}, between={}, expressions=[]) %}
    {%- set checks = [] -%}
    {%- for column in not_null -%}
        {%- do checks.append(
            "case when " ~ row_rule_column(column) ~ " is null then "
            ~ row_rule_label("trống: " ~ column) ~ " end"
        ) -%}
    {%- endfor -%}
    {%- for column, values in accepted_values.items() -%}
        {%- set listed = [] -%}
        {%- for value in values -%}
            {%- do listed.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        {%- do checks.append(
            "case when " ~ row_rule_column(column) ~ " not in (" ~ (listed | join(", ")) ~ ") then "
            ~ row_rule_label("ngoài danh sách: " ~ column) ~ " end"
        ) -%}
    {%- endfor -%}
    {%- for column, bounds in between.items() -%}
        {%- do checks.append(
            "case when " ~ row_rule_column(column) ~ " < " ~ bounds[0] ~ " or "
            ~ row_rule_column(column) ~ " > " ~ bounds[1]
            ~ " then " ~ row_rule_label("ngoài khoảng " ~ bounds[0] ~ "…" ~ bounds[1] ~ ": " ~ column)
            ~ " end"
        ) -%}
    {%- endfor -%}
    {%- for expression in expressions -%}
        {%- do checks.append(
            "case when not coalesce((" ~ expression ~ "), false) then "
            ~ row_rule_label("sai điều kiện: " ~ (expression | trim)) ~ " end"
        ) -%}
    {%- endfor -%}
with checked as (
    select
        list_filter(
            [
                {{ checks | join(",\n                ") }}
            ],
            lambda broken: broken is not null
        ) as broken_rules,
        *
    from {{ relation }}
)

select * from checked
where len(broken_rules) > 0
{% endmacro %}


{#- A column's name quoted (a future column called `order` or `group`). -#}
{% macro row_rule_column(name) -%}
    "{{ name | replace('"', '""') }}"
{%- endmacro %}


{% macro row_rule_label(text) -%}
    '{{ text | replace("'", "''") | replace("\n", " ") }}'
{%- endmacro %}
