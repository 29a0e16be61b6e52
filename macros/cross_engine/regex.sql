{#- Regular expressions on both engines. Dispatched: default__ is the DuckDB SQL (RE2), spark__
    the Spark SQL (java.util.regex), with the same result on the same input (issue #7,
    docs/spark.md). -#}

{% macro regex_literal(pattern) -%}
    {#- A SQL string literal holding the regular expression `pattern` (a Jinja string, written
        as the regex engine reads it, e.g. '^www\.'). DuckDB keeps backslashes in string
        literals as they are; Spark's parser treats them as escapes, so they are doubled there. -#}
    {{- return(adapter.dispatch('regex_literal', 'clickstream')(pattern)) -}}
{%- endmacro %}

{% macro default__regex_literal(pattern) -%}
    '{{ pattern | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__regex_literal(pattern) -%}
    '{{ pattern | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}


{% macro regex_full_match(expr, pattern) -%}
    {#- TRUE when the whole of `expr` matches the regex `pattern` (a Jinja string); NULL for NULL.
        Spark's `$` would also match before a final newline, so its anchor is `\z`. -#}
    {{- return(adapter.dispatch('regex_full_match', 'clickstream')(expr, pattern)) -}}
{%- endmacro %}

{% macro default__regex_full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, {{ regex_literal(pattern) }})
{%- endmacro %}

{% macro spark__regex_full_match(expr, pattern) -%}
    ({{ expr }} rlike {{ regex_literal('^(?:' ~ pattern ~ ')\\z') }})
{%- endmacro %}


{% macro regex_contains(expr, pattern_sql) -%}
    {#- TRUE when some part of `expr` matches the regex given as SQL (`pattern_sql`: a column, or
        a literal made with regex_literal()); NULL for NULL. -#}
    {{- return(adapter.dispatch('regex_contains', 'clickstream')(expr, pattern_sql)) -}}
{%- endmacro %}

{% macro default__regex_contains(expr, pattern_sql) -%}
    regexp_matches({{ expr }}, {{ pattern_sql }})
{%- endmacro %}

{% macro spark__regex_contains(expr, pattern_sql) -%}
    ({{ expr }} rlike {{ pattern_sql }})
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
