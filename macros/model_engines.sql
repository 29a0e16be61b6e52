{#- Dispatched SQL pieces of the models after validation (issue #7, docs/spark.md) that
    macros/portable_sql.sql does not cover: default__ is the DuckDB SQL, spark__ the Spark SQL,
    with the same result on the same input. -#}

{% macro url_decode_or_null(text) -%}
    {#- `text` with its %XX escapes decoded as UTF-8 (a `%` not followed by two hex digits is kept
        as it is; `+` is not touched), or NULL when the decoded bytes are not valid UTF-8. -#}
    {{- return(adapter.dispatch('url_decode_or_null', 'clickstream')(text)) -}}
{%- endmacro %}

{% macro default__url_decode_or_null(text) -%}
    try(url_decode({{ text }}))
{%- endmacro %}

{% macro spark__url_decode_or_null(text) -%}
    {#- Spark's try_url_decode (java.net.URLDecoder) returns NULL for a `%` without two hex digits
        (DuckDB keeps it: so it is escaped as %25 first) and turns bytes that are not UTF-8 into
        U+FFFD (DuckDB fails: so a result with more U+FFFD than the text had, literally or as
        %EF%BF%BD, is NULL). -#}
    {%- set decoded = "try_url_decode(regexp_replace(" ~ text ~ ", '%(?![0-9A-Fa-f]{2})', '%25'))" -%}
    case
        when
            length({{ decoded }}) - length(replace({{ decoded }}, '\uFFFD', ''))
            = length({{ text }}) - length(replace({{ text }}, '\uFFFD', ''))
            + (length(lower({{ text }})) - length(replace(lower({{ text }}), '%ef%bf%bd', ''))) div 9
            then {{ decoded }}
    end
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


{% macro seed_regex_contains(expr, pattern_sql) -%}
    {#- TRUE when some part of `expr` matches a regular expression written for RE2 (DuckDB's
        engine) and given as SQL (`pattern_sql`, e.g. a seed column such as
        user_agent_patterns.pattern); NULL for NULL. -#}
    {{- return(adapter.dispatch('seed_regex_contains', 'clickstream')(expr, pattern_sql)) -}}
{%- endmacro %}

{% macro default__seed_regex_contains(expr, pattern_sql) -%}
    regexp_matches({{ expr }}, {{ pattern_sql }})
{%- endmacro %}

{% macro spark__seed_regex_contains(expr, pattern_sql) -%}
    {#- java.util.regex with RE2's defaults: (?d) makes \n the only line terminator (RE2's `.`
        matches \r, U+0085, U+2028, U+2029; Java's does not), (?u) makes (?i) fold Unicode case
        as RE2 does (`(?i)s` matches U+017F, `(?i)k` the Kelvin sign). -#}
    ({{ expr }} rlike concat('(?du)', {{ pattern_sql }}))
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
