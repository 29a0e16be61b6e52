{#- Aggregate and window functions that DuckDB and Spark spell differently. Dispatched:
    default__ is the DuckDB SQL, spark__ the Spark SQL, with the same result on the same input
    (issue #7, docs/spark.md). -#}

{% macro ordering_key(first, second) -%}
    {#- A composite sort key of two expressions (compared field by field), for value_at_min(). -#}
    {{- return(adapter.dispatch('ordering_key', 'clickstream')(first, second)) -}}
{%- endmacro %}

{% macro default__ordering_key(first, second) -%}
    ({{ first }}, {{ second }})
{%- endmacro %}

{% macro spark__ordering_key(first, second) -%}
    struct({{ first }}, {{ second }})
{%- endmacro %}


{% macro value_at_min(value, ordering) -%}
    {#- Aggregate: `value` on the row with the smallest `ordering`, among the rows where `value`
        is not NULL (DuckDB's arg_min semantics); NULL when every value is NULL. Ties on
        `ordering` must be broken by the caller (e.g. ordering_key(ts, id)). -#}
    {{- return(adapter.dispatch('value_at_min', 'clickstream')(value, ordering)) -}}
{%- endmacro %}

{% macro default__value_at_min(value, ordering) -%}
    arg_min({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro spark__value_at_min(value, ordering) -%}
    min_by({{ value }}, case when {{ value }} is not null then {{ ordering }} end)
{%- endmacro %}


{% macro value_at_first(value, ordering) -%}
    {#- Aggregate: `value` on the row with the smallest `ordering`, NULL included (unlike
        value_at_min(), which skips the rows where `value` is NULL): the first row's own value.
        `ordering` must be unique within the group and not NULL (e.g. ordering_key(ts, id)). -#}
    {{- return(adapter.dispatch('value_at_first', 'clickstream')(value, ordering)) -}}
{%- endmacro %}

{% macro default__value_at_first(value, ordering) -%}
    arg_min_null({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro spark__value_at_first(value, ordering) -%}
    min_by({{ value }}, {{ ordering }})
{%- endmacro %}


{% macro value_at_max(value, ordering) -%}
    {#- Aggregate: `value` on the row with the largest `ordering`, among the rows where `value`
        is not NULL (DuckDB's arg_max semantics). -#}
    {{- return(adapter.dispatch('value_at_max', 'clickstream')(value, ordering)) -}}
{%- endmacro %}

{% macro default__value_at_max(value, ordering) -%}
    arg_max({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro spark__value_at_max(value, ordering) -%}
    max_by({{ value }}, case when {{ value }} is not null then {{ ordering }} end)
{%- endmacro %}


{% macro last_non_null(expr) -%}
    {#- Window function: the last non-NULL value of `expr` in the window frame (follow it with
        `over (...)`). -#}
    {{- return(adapter.dispatch('last_non_null', 'clickstream')(expr)) -}}
{%- endmacro %}

{% macro default__last_non_null(expr) -%}
    last_value({{ expr }} ignore nulls)
{%- endmacro %}

{% macro spark__last_non_null(expr) -%}
    last({{ expr }}, true)
{%- endmacro %}
