{% macro iso_timestamp_parts(text) -%}
    {#- STRUCT(day, time, fraction, zone) of the ISO 8601 pieces of `text`
        (YYYY-MM-DD[T ]HH:MM:SS[.ffffff][Z|±HH:MM]); every piece is '' when the text does not
        have that form. Feed it to event_ts_from_parts(). -#}
    regexp_extract(
        {{ text }},
        '^([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})?$',
        ['day', 'time', 'fraction', 'zone']
    )
{%- endmacro %}


{% macro event_ts_from_parts(field_type, field_text, parts) -%}
    {#- The UTC TIMESTAMP of an event_ts JSON field (its json_type and its text), or NULL when it
        is not valid:
        - a JSON string in ISO 8601 form (parts from iso_timestamp_parts()) that is a real time;
          no offset means UTC; an offset's hours must be 00-23 and minutes 00-59;
        - a JSON integer of epoch milliseconds.
        Anything else (other formats, 2024-02-30, 25:00, floats, booleans, objects) is NULL. -#}
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


{% macro utc_offset_interval(zone) -%}
    {#- INTERVAL of a zone designator: '' or 'Z' is 0; '+HH:MM' / '-HH:MM' is ±(HH*60+MM) minutes;
        NULL when HH > 23 or MM > 59 (which makes the timestamp invalid). -#}
    case
        when {{ zone }} in ('', 'Z') then interval 0 minute
        when substr({{ zone }}, 2, 2)::int <= 23 and substr({{ zone }}, 5, 2)::int <= 59
            then to_minutes(
                (case when substr({{ zone }}, 1, 1) = '-' then -1 else 1 end)
                * (substr({{ zone }}, 2, 2)::int * 60 + substr({{ zone }}, 5, 2)::int)
            )
    end
{%- endmacro %}
