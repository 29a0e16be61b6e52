{#- Hooks of int_click_events_validated for the lines DuckDB's reader rejects (read_raw_lines()'s
    temporary rejects tables); no-ops on Spark, whose reader returns every line
    (unreadable_line_error()). -#}

{% macro drop_rejects_tables(rejects_table) -%}
    {#- Pre-hook: drop a previous scan's temporary rejects tables, so that the post-hook sees only
        the lines rejected by this model's own read. Dispatched; a no-op on Spark (no rejects
        tables there). -#}
    {{- return(adapter.dispatch('drop_rejects_tables', 'clickstream')(rejects_table)) -}}
{%- endmacro %}

{% macro default__drop_rejects_tables(rejects_table) -%}
    drop table if exists temp.main.{{ rejects_table }};
    drop table if exists temp.main.{{ rejects_table }}_scans;
    drop table if exists temp.main.{{ rejects_table }}_lines
{%- endmacro %}

{% macro spark__drop_rejects_tables(rejects_table) -%}
{%- endmacro %}


{% macro append_rejected_raw_lines(rejects_table) -%}
    {#- Post-hook of int_click_events_validated: adds the lines the reader rejected (DuckDB).
        Dispatched; on Spark a no-op, as the model quarantines such lines itself. -#}
    {{- return(adapter.dispatch('append_rejected_raw_lines', 'clickstream')(rejects_table)) -}}
{%- endmacro %}

{% macro default__append_rejected_raw_lines(rejects_table) -%}
    {#- Post-hook of int_click_events_validated. The model numbered each line by its row index
        among the lines the reader returned; the lines it rejected (invalid UTF-8, too long) sit
        in the temporary `rejects_table` of the same connection with their physical line numbers.
        This shifts the line number of every later line of those files past the rejected ones,
        then appends one quarantine row per rejected line. A file's k-th returned row is physical
        line k + j, where j counts the rejected lines r_i (the i-th rejected line of the file)
        with r_i - i + 1 <= k. -#}
    {%- set rejects_exist = run_query(
        "select count(*) from duckdb_tables() where temporary and table_name = '" ~ rejects_table ~ "'"
    ).columns[0].values()[0] > 0 if execute else false -%}
    {%- if rejects_exist -%}
        create or replace temporary table {{ rejects_table }}_lines as
        with rejected as (
            select
                regexp_extract(scans.file_path, '/dt=([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1)::date as dt,
                regexp_extract(scans.file_path, '[^/]+$') as file_name,
                errors.line as line_number,
                string_agg(distinct errors.error_type, ', ' order by errors.error_type) as reject_error
            from temp.main.{{ rejects_table }} as errors
            inner join temp.main.{{ rejects_table }}_scans as scans
                on errors.scan_id = scans.scan_id and errors.file_id = scans.file_id
            group by 1, 2, 3
        )
        select
            *,
            line_number - row_number() over (partition by dt, file_name order by line_number) + 1 as shifted_from_row
        from rejected;

        update {{ this }} as validated
        set line_number = renumbered.new_line_number
        from (
            select
                returned.dt,
                returned.file_name,
                returned.line_number,
                returned.line_number + count(*) as new_line_number
            from {{ this }} as returned
            inner join temp.main.{{ rejects_table }}_lines as rejected
                on
                    returned.dt = rejected.dt
                    and returned.file_name = rejected.file_name
                    and rejected.shifted_from_row <= returned.line_number
            group by returned.dt, returned.file_name, returned.line_number
        ) as renumbered
        where
            validated.dt = renumbered.dt
            and validated.file_name = renumbered.file_name
            and validated.line_number = renumbered.line_number;

        insert into {{ this }} by name
        select
            dt,
            file_name,
            line_number,
            false as is_blank,
            {{ reject_quarantine_reason('reject_error') }} as quarantine_reason,
            {{ reject_quarantine_detail('reject_error') }} as quarantine_detail,
            true as is_quarantined,
            false as is_valid
        from temp.main.{{ rejects_table }}_lines;

        drop table temp.main.{{ rejects_table }}_lines
    {%- else -%}
        select 1 as no_rejected_lines
    {%- endif -%}
{%- endmacro %}

{% macro spark__append_rejected_raw_lines(rejects_table) -%}
{%- endmacro %}
