{% macro raw_root() -%}
    {#- The raw landing zone root: var raw_root, else $CLICKSTREAM_RAW_ROOT, else data/raw. -#}
    {%- set configured = var('raw_root', none) -%}
    {%- if configured is none or configured == '' -%}
        {%- set configured = env_var('CLICKSTREAM_RAW_ROOT', 'data/raw') -%}
    {%- endif -%}
    {{- return(configured.rstrip('/')) -}}
{%- endmacro %}
