{% macro unread_entries_count(dt_column) -%}
    {#- SQL expression: the unread entries of the landing day in dt_column (env
        CLICKSTREAM_UNREAD_ENTRIES, a JSON object day -> count set by `clickstream refresh`; 0 when
        unset). Read only while executing, so a changed value does not make dbt re-parse. -#}
    {%- set counts = fromjson(env_var('CLICKSTREAM_UNREAD_ENTRIES', '') or '{}', {}) if execute else {} -%}
    {%- if counts -%}
        case cast({{ dt_column }} as string)
            {%- for day, count in counts | dictsort %} when '{{ day | replace("'", "") }}' then {{ count | int }}{% endfor %}
            else 0
        end
    {%- else -%}
        0
    {%- endif -%}
{%- endmacro %}
