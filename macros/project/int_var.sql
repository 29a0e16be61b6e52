{% macro int_var(name) -%}
    {#- The project var `name` as an integer, or a compiler error naming the var, its value and
        the type expected: a wrong value fails loudly where casting it with the int filter would
        have made "thirty" 0 or cut 2.5 to 2. Ranges are checked before dbt starts by `clickstream
        refresh` (clickstream/pipeline/dbt_vars.py). -#}
    {%- set value = var(name) -%}
    {%- if value is integer -%}
        {{- return(value) -}}
    {%- endif -%}
    {%- if value is string -%}
        {%- set shown = "'" ~ value ~ "'" -%}
    {%- elif value is none -%}
        {%- set shown = 'null' -%}
    {%- else -%}
        {%- set shown = value | string | lower if value is boolean else value | string -%}
    {%- endif -%}
    {{- exceptions.raise_compiler_error(
        "var " ~ name ~ " must be an integer (a whole number, unquoted), got " ~ shown
        ~ ". Fix it where it is set: --vars, or its default in dbt_project.yml.") -}}
{%- endmacro %}
