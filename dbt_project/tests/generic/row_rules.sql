{#- A model's row-level rules in one test (macros/row_rules.sql): one dbt node and one Dagster
    check per model and severity instead of one per rule. Fails with every row that breaks
    a rule, the rules it breaks first (`broken_rules`). -#}
{% test row_rules(model, not_null=[], accepted_values={}, between={}, expressions=[]) %}
{{ row_rules_sql(model, not_null, accepted_values, between, expressions) }}
{% endtest %}
