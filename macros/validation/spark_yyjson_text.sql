{#- Spark helpers (not dispatched) of the spark__ JSON bodies: JSON text written as DuckDB
    (yyjson) writes it. -#}

{% macro spark_yyjson_number_text(java_text) -%}
    {#- Spark: a JSON number as DuckDB (yyjson) writes it, from its text as get_json_object()
        gives it (Java's Double.toString: `1.5E-7`, `1.0E22`, `1.2345678E7`). yyjson writes the
        shortest digits in plain notation from 1e-6 up to below 1e21 (`0.0001`, `12345678.0`,
        `150000000000000000000.0`) and `1.5e-7` / `1e22` outside. Integer texts (big integers
        kept as written) pass unchanged. -#}
    {%- set mantissa = "regexp_extract(" ~ java_text ~ ", '^-?([0-9])\\\\.([0-9]+)E(-?[0-9]+)\\\\z', 1)" -%}
    {%- set fraction = "regexp_replace(regexp_extract(" ~ java_text ~ ", '^-?([0-9])\\\\.([0-9]+)E(-?[0-9]+)\\\\z', 2), '0+\\\\z', '')" -%}
    {%- set exponent = "cast(regexp_extract(" ~ java_text ~ ", '^-?([0-9])\\\\.([0-9]+)E(-?[0-9]+)\\\\z', 3) as int)" -%}
    {%- set sign = "case when " ~ java_text ~ " like '-%' then '-' else '' end" -%}
    {%- set digits = mantissa ~ " || " ~ fraction -%}
    case
        when not {{ java_text }} rlike 'E' then {{ java_text }}
        when {{ exponent }} >= 21 or {{ exponent }} < -6
            then {{ sign }} || {{ mantissa }} || case when {{ fraction }} != '' then '.' || {{ fraction }} else '' end
            || 'e' || {{ exponent }}
        when {{ exponent }} >= 0
            then {{ sign }} || rpad({{ digits }}, {{ exponent }} + 1, '0')
            || '.' || coalesce(nullif(substr({{ digits }}, {{ exponent }} + 2), ''), '0')
        else {{ sign }} || '0.' || repeat('0', -{{ exponent }} - 1) || {{ digits }}
    end
{%- endmacro %}


{% macro spark_yyjson_json_text(json_text) -%}
    {#- Spark: minified JSON from get_json_object() (an object or array) as DuckDB (yyjson)
        writes it. get_json_object's Jackson writer escapes characters beyond U+FFFF as
        surrogate pairs (`\uD83C\uDF81`, yyjson writes them raw) and writes doubles as Java
        does (`1.0E22`, see spark_yyjson_number_text()); only texts holding one of these are
        rewritten, token by token (strings, numbers with an exponent, the rest). Doubles Java
        writes in plain notation (1e-3 <= |x| < 1e7) are assumed to have the same digits. -#}
    case
        when {{ json_text }} rlike '\\\\uD[89AB]|[0-9]E' then array_join(transform(
            regexp_extract_all({{ json_text }}, '"(?:[^"\\\\]|\\\\.)*"|-?[0-9]\\.[0-9]+E-?[0-9]+|[^"0-9-]+|[0-9.-]+', 0),
            token -> case
                when token like '"%\\\\uD%'
                    then regexp_replace(to_json(array(from_json('[' || token || ']', 'array<string>')[0])), '^\\[|\\]\\z', '')
                when token rlike '^-?[0-9]\\.[0-9]+E' then {{ spark_yyjson_number_text('token') }}
                else token
            end
        ), '')
        else {{ json_text }}
    end
{%- endmacro %}
