{% macro validation_session_settings() -%}
    {#- Pre-hook of int_click_events_validated: session settings for its reading and parsing.
        DuckDB: insertion order not preserved, for this connection only. Each file is its own
        scan, numbered by `with ordinality` (a streaming row_number() that keeps its pipeline on
        one thread, in the file's order, whatever this setting), so the line numbers do not
        depend on it; what it changes is that DuckDB no longer keeps the union of the per-file
        scans in order, which made it read and validate the files one after the other on one
        thread: now one file per thread, with no copy of the raw text in between (rows carry
        their file and line number; nothing downstream depends on a table's row order).
        Spark: accept repeated keys when parsing a VARIANT (nested ones are valid JSON for
        DuckDB, which keeps them as written; repeated top-level keys make a line malformed on
        both engines, see the model). -#}
    {{- return(adapter.dispatch('validation_session_settings', 'clickstream')()) -}}
{%- endmacro %}

{% macro default__validation_session_settings() -%}
    set session preserve_insertion_order = false
{%- endmacro %}

{% macro spark__validation_session_settings() -%}
    set spark.sql.variant.allowDuplicateKeys = true
{%- endmacro %}


{% macro reset_validation_session_settings() -%}
    {#- Post-hook of int_click_events_validated: undo validation_session_settings(). -#}
    {{- return(adapter.dispatch('reset_validation_session_settings', 'clickstream')()) -}}
{%- endmacro %}

{% macro default__reset_validation_session_settings() -%}
    reset session preserve_insertion_order
{%- endmacro %}

{% macro spark__reset_validation_session_settings() -%}
    reset spark.sql.variant.allowDuplicateKeys
{%- endmacro %}
