{#- The order of files that give the same thing (registries; versions of one report), which
    depends on the files alone, never on when they were loaded (contract §2.1, §5): by their
    date (undated 'first' or 'last'), then path order (the later path wins a tie); content
    since replaced at the same path before the content now there; the content hash settles
    anything left. Needs source_file, file_sha256 and is_replaced (is_replaced_at_path). -#}
{% macro file_order(date_column, undated) -%}
    {%- if undated not in ('first', 'last') -%}
        {{ exceptions.raise_compiler_error("file_order: undated must be 'first' or 'last'") }}
    {%- endif -%}
    {{ date_column }} asc nulls {{ undated }}, source_file asc, is_replaced desc, file_sha256 asc
{%- endmacro %}

{#- Another content was loaded later at the same path: the load order says only which
    content is at a path now (a rebuild from raw/ sees that one). -#}
{% macro is_replaced_at_path(partition_by=['source_file']) -%}
    load_seq < max(load_seq) over (partition by {{ partition_by | join(', ') }})
{%- endmacro %}
