{#- Pre-hook of int_click_events_validated for the lines DuckDB's reader rejects (read_raw_lines()'s
    temporary rejects tables; stg_click_events__unreadable_lines lists those lines); a no-op on
    Spark, whose reader returns every line (unreadable_line_error()). -#}

{% macro drop_rejects_tables(rejects_table) -%}
    {#- Pre-hook: drop a previous scan's temporary rejects tables, so that the rejects of this
        model's own read (listed already by stg_click_events__unreadable_lines) do not pile up in
        the connection. Dispatched; a no-op on Spark (no rejects tables there). -#}
    {{- return(adapter.dispatch('drop_rejects_tables', 'clickstream')(rejects_table)) -}}
{%- endmacro %}

{% macro default__drop_rejects_tables(rejects_table) -%}
    drop table if exists temp.main.{{ rejects_table }};
    drop table if exists temp.main.{{ rejects_table }}_scans
{%- endmacro %}

{% macro spark__drop_rejects_tables(rejects_table) -%}
{%- endmacro %}
