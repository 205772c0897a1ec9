{#- Where a landed row came from, renamed the same way in every landing staging model:
    the file (relative to raw/), optionally its content hash, the sheet, the spreadsheet
    row and the load. Each source carries _source_file, _sheet, _row and _load_seq;
    with_sha256 adds _file_sha256 (sources that keep it per row). -#}
{% macro lineage_columns(with_sha256=false) -%}
        _source_file as source_file,
        {%- if with_sha256 %}
        _file_sha256 as file_sha256,
        {%- endif %}
        _sheet as sheet,
        _row as source_row,
        _load_seq as load_seq
{%- endmacro %}
