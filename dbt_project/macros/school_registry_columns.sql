{#- The attributes of a school in a registry, in one order, for every model that carries
    them (stg_landing__schools, int_schools__current, int_schools__by_year, dim_school).
    relation: the alias to read them from; source_names: a column's name where it is read
    (the landing table says `level`); output_names: its name where it is published
    (dim_school says `level`). -#}
{% macro school_registry_attributes() -%}
    {{ return([
        'school_code', 'school_name', 'school_level', 'ownership', 'commune_code',
        'commune_name', 'district_code', 'district_name', 'province_code', 'province_name',
        'status', 'is_active',
    ]) }}
{%- endmacro %}

{% macro school_registry_columns(relation=none, source_names={}, output_names={}) -%}
    {%- set columns = [] -%}
    {%- for column in school_registry_attributes() -%}
        {%- set read = source_names.get(column, column) -%}
        {%- set name = output_names.get(column, column) -%}
        {%- do columns.append(
            (relation ~ '.' if relation else '') ~ read ~ (' as ' ~ name if read != name else '')
        ) -%}
    {%- endfor -%}
    {{ columns | join(',\n        ') }}
{%- endmacro %}
