{% macro struct_of(fields) -%}
    {#- A struct value with named fields, from a list of [name, SQL expression] pairs; read a
        field back with `<struct>.<name>`. -#}
    {{- return(adapter.dispatch('struct_of', 'clickstream')(fields)) -}}
{%- endmacro %}

{% macro default__struct_of(fields) -%}
    struct_pack(
        {%- for name, expression in fields %}
        {{ name }} := {{ expression }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro spark__struct_of(fields) -%}
    named_struct(
        {%- for name, expression in fields %}
        '{{ name }}', {{ expression }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}
