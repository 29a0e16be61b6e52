{% macro generate_schema_name(custom_schema_name, node) -%}
    {#- Use the folder's +schema as-is (staging, intermediate, main) so that the public
        tables are simply main.fct_events, main.fct_sessions, ... -#}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
