{#- Every rule's kind is one the warehouse evaluates, and its family is the family of that
    kind (macro consistency_rule_kinds): a rule of an unknown kind, or filed under another
    family, would otherwise be evaluated by no model and never reported. -#}
{% test known_rule_kind(model, column_name, family_column) %}
with kinds as (
    select * from (values
        {%- for kind, family in consistency_rule_kinds().items() %}
        ('{{ kind }}', '{{ family }}'){{ ',' if not loop.last }}
        {%- endfor %}
    ) as t(kind, family)
)

select m.*
from {{ model }} as m
left join kinds as k on k.kind = m.{{ column_name }}
where k.kind is null or k.family is distinct from m.{{ family_column }}
{% endtest %}
