{#- The kinds of consistency rule the warehouse can evaluate (reference/consistency_rules.csv,
    column `kind`), each with the family whose model evaluates it: the one list of kinds in
    the dbt project. int_emis__rule_violations unions one model per family
    (int_emis__breaches_<family>); the test known_rule_kind checks every rule against it. -#}
{% macro consistency_rule_kinds() -%}
    {{ return({
        'sum': 'within_report',
        'le': 'within_report',
        'column_le': 'within_report',
        'required': 'within_report',
        'not_applicable': 'within_report',
        'max_ratio': 'within_report',
        'change_period': 'over_time',
        'change_year': 'over_time',
        'zscore': 'across_schools',
        'match_export': 'across_sources',
        'match_pushed': 'across_sync',
    }) }}
{%- endmacro %}

{#- The families whose breaches lie outside the statistical report, each evaluated and
    located by a model of its own: across_sync at the push's row of the push history
    (int_sync__rule_violations). -#}
{% macro rule_families_outside_report() -%}
    {{ return({'across_sync': 'int_sync__rule_violations'}) }}
{%- endmacro %}

{#- The families of the statistical report, in the order their models are unioned. -#}
{% macro consistency_rule_families() -%}
    {%- set families = [] -%}
    {%- for family in consistency_rule_kinds().values() -%}
        {%- if family not in families and family not in rule_families_outside_report()
        -%}{%- do families.append(family) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(families) }}
{%- endmacro %}

{#- The kinds a family's model evaluates, as a SQL list: ('sum', 'le', …). -#}
{% macro rule_kinds_of(family) -%}
    {%- set kinds = [] -%}
    {%- for kind, of in consistency_rule_kinds().items() if of == family -%}
        {%- do kinds.append("'" ~ kind ~ "'") -%}
    {%- endfor -%}
    ({{ kinds | join(', ') }})
{%- endmacro %}
