{#- The statistical report's codes of pupils in the Informatics grades (3–9, codes 213–219,
    as the level has them; contract §6, "Infrastructure"), as a SQL list. -#}
{% macro informatics_grade_codes() -%}
    ('213', '214', '215', '216', '217', '218', '219')
{%- endmacro %}
