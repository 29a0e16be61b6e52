{#- Small SQL pieces that DuckDB and Spark spell differently (issue #7, docs/spark.md). Each is
    dispatched: default__ is the DuckDB SQL, spark__ the Spark SQL, with the same result on the
    same input. Models use these instead of engine-specific functions. -#}

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


{% macro epoch_microseconds(timestamp) -%}
    {#- BIGINT microseconds since 1970-01-01 00:00:00 UTC of a timestamp (exact, so that
        differences compare the same on every engine). -#}
    {{- return(adapter.dispatch('epoch_microseconds', 'clickstream')(timestamp)) -}}
{%- endmacro %}

{% macro default__epoch_microseconds(timestamp) -%}
    epoch_us({{ timestamp }})
{%- endmacro %}

{% macro spark__epoch_microseconds(timestamp) -%}
    unix_micros({{ timestamp }})
{%- endmacro %}


{% macro seconds_between(start_timestamp, end_timestamp) -%}
    {#- DOUBLE seconds from start to end, from whole microseconds (the same value on every
        engine). -#}
    cast({{ epoch_microseconds(end_timestamp) }} - {{ epoch_microseconds(start_timestamp) }} as double) / 1000000
{%- endmacro %}


{% macro minutes_interval(minutes) -%}
    {#- An interval of `minutes` minutes (an integer SQL expression), to add to a timestamp. -#}
    {{- return(adapter.dispatch('minutes_interval', 'clickstream')(minutes)) -}}
{%- endmacro %}

{% macro default__minutes_interval(minutes) -%}
    to_minutes({{ minutes }})
{%- endmacro %}

{% macro spark__minutes_interval(minutes) -%}
    make_dt_interval(0, 0, {{ minutes }}, 0)
{%- endmacro %}


{% macro days_interval(days) -%}
    {#- An interval of `days` days (an integer SQL expression), to add to a timestamp. -#}
    {{- return(adapter.dispatch('days_interval', 'clickstream')(days)) -}}
{%- endmacro %}

{% macro default__days_interval(days) -%}
    to_days({{ days }})
{%- endmacro %}

{% macro spark__days_interval(days) -%}
    make_dt_interval({{ days }}, 0, 0, 0)
{%- endmacro %}


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


{% macro utc_timestamp_text(timestamp) -%}
    {#- A timestamp as ISO 8601 text with microseconds and Z: 2024-01-10T10:00:00.000000Z. -#}
    {{- return(adapter.dispatch('utc_timestamp_text', 'clickstream')(timestamp)) -}}
{%- endmacro %}

{% macro default__utc_timestamp_text(timestamp) -%}
    strftime({{ timestamp }}, '%Y-%m-%dT%H:%M:%S.%fZ')
{%- endmacro %}

{% macro spark__utc_timestamp_text(timestamp) -%}
    date_format({{ timestamp }}, "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
{%- endmacro %}


{% macro inline_cte_hint() -%}
    {#- Written between `name as` and `(` of a CTE that a model reads more than once but that is
        cheap to compute again (a scan with a filter): DuckDB's `not materialized`, so DuckDB
        re-reads the table instead of materialising the CTE's rows (which can spill to disk on a
        large batch); nothing on Spark, whose SQL has no such hint. -#}
    {{- return(adapter.dispatch('inline_cte_hint', 'clickstream')()) -}}
{%- endmacro %}

{% macro default__inline_cte_hint() -%}
    not materialized
{%- endmacro %}

{% macro spark__inline_cte_hint() -%}
{%- endmacro %}


{% macro full_build_order_by(column) -%}
    {#- Written after a mart's final select: on DuckDB, when the model is built whole (first build
        or full refresh), `order by <column>`, so the table is stored in date order, like a
        warehouse built day by day, and later daily runs' date literals skip the row groups of
        other days; nothing on incremental runs (a day's rows are appended together anyway) and
        on Spark (its tables are partitioned by date). Dispatched. -#}
    {{- return(adapter.dispatch('full_build_order_by', 'clickstream')(column)) -}}
{%- endmacro %}

{% macro default__full_build_order_by(column) -%}
    {%- if not is_incremental() %}
order by {{ column }}
    {%- endif %}
{%- endmacro %}

{% macro spark__full_build_order_by(column) -%}
{%- endmacro %}


{% macro query_date_literal(query) -%}
    {#- Runs `query` (a SELECT of one row and one date column) now and returns its value as a SQL
        date literal, `date 'YYYY-MM-DD'`, or none when it is NULL: a constant the engine can
        prune row groups / partitions with. Read as text: Spark's Thrift client returns dates as
        strings. -#}
    {%- set value = run_query('select cast((' ~ query ~ ') as string)').columns[0].values()[0] -%}
    {{- return(none if value is none else "date '" ~ value ~ "'") -}}
{%- endmacro %}
