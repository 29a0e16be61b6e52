{% macro clear_transient_raw_lines() -%}
    {#- on-run-end: empty staging.stg_click_events__lines, the run's copy of raw line text, so the
        warehouse keeps raw text only for quarantined lines. -#}
    {%- set relation = adapter.get_relation(database=target.database, schema='staging', identifier='stg_click_events__lines') if execute else none -%}
    {%- if relation is not none -%}
        delete from {{ relation }}
    {%- else -%}
        select 1 as nothing_to_clear
    {%- endif -%}
{%- endmacro %}
