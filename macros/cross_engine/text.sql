{#- Text functions that DuckDB and Spark spell (or define) differently. Dispatched: default__ is
    the DuckDB SQL, spark__ the Spark SQL, with the same result on the same input (issue #7,
    docs/spark.md). -#}

{% macro is_blank_text(text) -%}
    {#- TRUE when `text` is empty or only ASCII whitespace (space, tab, LF, CR, form feed: RE2's
        `\s`; Java's `\s` would also take a vertical tab, so the class is spelled out). -#}
    {{- regex_full_match(text, '[ \\t\\n\\r\\f]*') -}}
{%- endmacro %}


{% macro lower_text(text) -%}
    {#- `text` in lower case, DuckDB's per-character mapping (utf8proc): U+0130 (capital I with
        dot) becomes a plain `i`, and a capital sigma always `σ`. -#}
    {{- return(adapter.dispatch('lower_text', 'clickstream')(text)) -}}
{%- endmacro %}

{% macro default__lower_text(text) -%}
    lower({{ text }})
{%- endmacro %}

{% macro spark__lower_text(text) -%}
    {#- Java's toLowerCase has two context rules DuckDB lacks: U+0130 -> `i` + U+0307, and a
        final sigma -> `ς`; both characters are mapped first, as DuckDB does. -#}
    lower(replace(replace({{ text }}, 'İ', 'i'), 'Σ', 'σ'))
{%- endmacro %}


{% macro try_cast_integer(text) -%}
    {#- INTEGER value of a text, DuckDB's try_cast rules: surrounding white space ignored, a
        decimal or exponent number rounded half away from zero ('2.5' -> 3, '1e2' -> 100); NULL
        when it is not a number or is out of the INTEGER range. -#}
    {{- return(adapter.dispatch('try_cast_integer', 'clickstream')(text)) -}}
{%- endmacro %}

{% macro default__try_cast_integer(text) -%}
    try_cast({{ text }} as integer)
{%- endmacro %}

{% macro spark__try_cast_integer(text) -%}
    {#- Spark's try_cast to int rejects '2.5': go through a decimal and round (HALF_UP). -#}
    try_cast(round(try_cast({{ text }} as decimal(38, 18)), 0) as int)
{%- endmacro %}


{% macro json_field_text(json, path) -%}
    {#- The text of the value at JSONPath `path` (a Jinja string such as '$.country') of a JSON
        text column: a string unquoted, other values as JSON; NULL when missing or JSON null. -#}
    {{- return(adapter.dispatch('json_field_text', 'clickstream')(json, path)) -}}
{%- endmacro %}

{% macro default__json_field_text(json, path) -%}
    json_extract_string({{ json }}, '{{ path }}')
{%- endmacro %}

{% macro spark__json_field_text(json, path) -%}
    get_json_object({{ json }}, '{{ path }}')
{%- endmacro %}
