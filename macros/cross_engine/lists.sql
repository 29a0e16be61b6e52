{#- Lists of strings (DuckDB lists, Spark arrays). Dispatched: default__ is the DuckDB SQL,
    spark__ the Spark SQL, with the same result on the same input (issue #7, docs/spark.md). -#}

{% macro has_repeated_items(list) -%}
    {#- TRUE when a list of strings holds some value twice. -#}
    {{- return(adapter.dispatch('has_repeated_items', 'clickstream')(list)) -}}
{%- endmacro %}

{% macro default__has_repeated_items(list) -%}
    list_unique({{ list }}) < len({{ list }})
{%- endmacro %}

{% macro spark__has_repeated_items(list) -%}
    size(array_distinct({{ list }})) < size({{ list }})
{%- endmacro %}


{% macro list_items_not_in(list, names) -%}
    {#- The items of a list of strings that are not among `names` (a SQL list of literals), in
        order. -#}
    {{- return(adapter.dispatch('list_items_not_in', 'clickstream')(list, names)) -}}
{%- endmacro %}

{% macro default__list_items_not_in(list, names) -%}
    list_filter({{ list }}, lambda key: key not in ({{ names }}))
{%- endmacro %}

{% macro spark__list_items_not_in(list, names) -%}
    filter({{ list }}, key -> key not in ({{ names }}))
{%- endmacro %}


{% macro list_length(list) -%}
    {#- The number of items of a list (NULL for NULL). -#}
    {{- return(adapter.dispatch('list_length', 'clickstream')(list)) -}}
{%- endmacro %}

{% macro default__list_length(list) -%}
    len({{ list }})
{%- endmacro %}

{% macro spark__list_length(list) -%}
    size({{ list }})
{%- endmacro %}


{% macro list_item(list, position) -%}
    {#- Item `position` (1-based, a Jinja integer) of a list. -#}
    {{- return(adapter.dispatch('list_item', 'clickstream')(list, position)) -}}
{%- endmacro %}

{% macro default__list_item(list, position) -%}
    {{ list }}[{{ position }}]
{%- endmacro %}

{% macro spark__list_item(list, position) -%}
    {{ list }}[{{ position - 1 }}]
{%- endmacro %}


{% macro string_list_literal(items) -%}
    {#- A SQL list (array) literal of the strings `items` (a Jinja list), in order. -#}
    {{- return(adapter.dispatch('string_list_literal', 'clickstream')(items)) -}}
{%- endmacro %}

{% macro default__string_list_literal(items) -%}
    [{% for item in items %}'{{ item | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor %}]
{%- endmacro %}

{% macro spark__string_list_literal(items) -%}
    array({% for item in items %}'{{ item | replace("\\", "\\\\") | replace("'", "\\'") }}'{{ ", " if not loop.last }}{% endfor %})
{%- endmacro %}
