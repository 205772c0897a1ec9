{#- The day a run counts as today: CDS_RUN_DATE (ISO) when set, as `cds run` sets it once at
    its start, so a run crossing midnight, a rebuild or a test sees one date throughout;
    otherwise DuckDB's current_date. -#}
{% macro run_date() -%}
    {%- set pinned = env_var('CDS_RUN_DATE', '') -%}
    {%- if pinned -%} date '{{ pinned }}' {%- else -%} current_date {%- endif -%}
{%- endmacro %}
