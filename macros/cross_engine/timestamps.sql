{#- Timestamp arithmetic and formatting on both engines. Dispatched: default__ is the DuckDB SQL,
    spark__ the Spark SQL, with the same result on the same input (issue #7, docs/spark.md). -#}

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
