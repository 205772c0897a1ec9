{#- A number as a Vietnamese reader writes it: a decimal comma, `decimals` places
    (vi_number('0.425 * 100', 2) → 42,50). -#}
{% macro vi_number(expression, decimals=2) -%}
    replace(printf('%.{{ decimals }}f', {{ expression }}), '.', ',')
{%- endmacro %}
