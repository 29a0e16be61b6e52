{% macro append_rejected_raw_lines(rejects_table) -%}
    {#- Post-hook of stg_click_events__lines: appends the lines the CSV reader rejected (one row
        per rejected line, with its 1-based line number and the reader's error types) from the
        temporary rejects tables that the model's own scan filled. -#}
    {%- set rejects_exist = run_query(
        "select count(*) from duckdb_tables() where temporary and table_name = '" ~ rejects_table ~ "'"
    ).columns[0].values()[0] > 0 if execute else false -%}
    {%- if rejects_exist -%}
        insert into {{ this }} (dt, file_path, file_name, file_row_index, line_text, rejected_line_number, reject_error)
        select
            regexp_extract(scans.file_path, '/dt=([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1)::date as dt,
            scans.file_path,
            regexp_extract(scans.file_path, '[^/]+$') as file_name,
            null as file_row_index,
            null as line_text,
            errors.line as rejected_line_number,
            string_agg(distinct errors.error_type, ', ' order by errors.error_type) as reject_error
        from temp.main.{{ rejects_table }} as errors
        inner join temp.main.{{ rejects_table }}_scans as scans
            on errors.scan_id = scans.scan_id and errors.file_id = scans.file_id
        group by all
    {%- else -%}
        select 1 as no_rejected_lines
    {%- endif -%}
{%- endmacro %}
