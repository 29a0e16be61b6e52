{% macro iso_timestamp_parts(text) -%}
    {#- STRUCT(day, time, fraction, zone) of the ISO 8601 pieces of `text`
        (YYYY-MM-DD[T ]HH:MM:SS[.ffffff][Z|±HH:MM]); every piece is '' when the text does not
        have that form. Feed it to event_ts_from_parts(). -#}
    {{- return(adapter.dispatch('iso_timestamp_parts', 'clickstream')(text)) -}}
{%- endmacro %}

{% macro default__iso_timestamp_parts(text) -%}
    regexp_extract(
        {{ text }},
        '^([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})?$',
        ['day', 'time', 'fraction', 'zone']
    )
{%- endmacro %}

{% macro spark__iso_timestamp_parts(text) -%}
    {#- Spark: one regexp_extract per group (no list of names); `\z`, as Java's `$` would also
        match before a final newline. -#}
    {%- set pattern = "'^([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}:[0-9]{2})(\\\\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})?\\\\z'" -%}
    named_struct(
        'day', regexp_extract({{ text }}, {{ pattern }}, 1),
        'time', regexp_extract({{ text }}, {{ pattern }}, 2),
        'fraction', regexp_extract({{ text }}, {{ pattern }}, 3),
        'zone', regexp_extract({{ text }}, {{ pattern }}, 4)
    )
{%- endmacro %}


{% macro event_ts_from_parts(field_type, field_text, parts) -%}
    {#- The UTC TIMESTAMP of an event_ts JSON field (its json_type and its text), or NULL when it
        is not valid:
        - a JSON string in ISO 8601 form (parts from iso_timestamp_parts()) that is a real time;
          no offset means UTC; an offset's hours must be 00-23 and minutes 00-59;
        - a JSON integer of epoch milliseconds (within DuckDB's timestamp range,
          +-9223372036854775 ms).
        Anything else (other formats, 2024-02-30, 25:00, floats, booleans, objects) is NULL. -#}
    {{- return(adapter.dispatch('event_ts_from_parts', 'clickstream')(field_type, field_text, parts)) -}}
{%- endmacro %}

{% macro default__event_ts_from_parts(field_type, field_text, parts) -%}
    case
        when {{ field_type }} in ('BIGINT', 'UBIGINT')
            then try(epoch_ms(try_cast({{ field_text }} as bigint)))
        when {{ field_type }} = 'VARCHAR' and {{ parts }}.day != ''
            then try_strptime(
                {{ parts }}.day || ' ' || {{ parts }}.time
                || rpad(coalesce(nullif({{ parts }}.fraction, ''), '.'), 7, '0'),
                '%Y-%m-%d %H:%M:%S.%f'
            ) - {{ utc_offset_interval(parts ~ '.zone') }}
    end
{%- endmacro %}

{% macro spark__event_ts_from_parts(field_type, field_text, parts) -%}
    {#- Spark: timestamp_millis raises on overflow, so the range DuckDB's epoch_ms accepts is
        checked first. -#}
    case
        when {{ field_type }} in ('BIGINT', 'UBIGINT')
            and try_cast({{ field_text }} as bigint) between -9223372036854775 and 9223372036854775
            then timestamp_millis(try_cast({{ field_text }} as bigint))
        when {{ field_type }} = 'VARCHAR' and {{ parts }}.day != ''
            then try_to_timestamp(
                {{ parts }}.day || ' ' || {{ parts }}.time
                || rpad(coalesce(nullif({{ parts }}.fraction, ''), '.'), 7, '0'),
                'yyyy-MM-dd HH:mm:ss.SSSSSS'
            ) - {{ utc_offset_interval(parts ~ '.zone') }}
    end
{%- endmacro %}


{% macro utc_offset_interval(zone) -%}
    {#- INTERVAL of a zone designator: '' or 'Z' is 0; '+HH:MM' / '-HH:MM' is ±(HH*60+MM) minutes;
        NULL when HH > 23 or MM > 59 (which makes the timestamp invalid). -#}
    {{- return(adapter.dispatch('utc_offset_interval', 'clickstream')(zone)) -}}
{%- endmacro %}

{% macro default__utc_offset_interval(zone) -%}
    case
        when {{ zone }} in ('', 'Z') then interval 0 minute
        when substr({{ zone }}, 2, 2)::int <= 23 and substr({{ zone }}, 5, 2)::int <= 59
            then to_minutes(
                (case when substr({{ zone }}, 1, 1) = '-' then -1 else 1 end)
                * (substr({{ zone }}, 2, 2)::int * 60 + substr({{ zone }}, 5, 2)::int)
            )
    end
{%- endmacro %}

{% macro spark__utc_offset_interval(zone) -%}
    case
        when {{ zone }} in ('', 'Z') then {{ minutes_interval('0') }}
        when substr({{ zone }}, 2, 2)::int <= 23 and substr({{ zone }}, 5, 2)::int <= 59
            then {{ minutes_interval(
                "(case when substr(" ~ zone ~ ", 1, 1) = '-' then -1 else 1 end) * (substr("
                ~ zone ~ ", 2, 2)::int * 60 + substr(" ~ zone ~ ", 5, 2)::int)"
            ) }}
    end
{%- endmacro %}
