{% macro is_nonblank_string_field(field_type, field_text) -%}
    {#- TRUE when a JSON field (its json_type and its text) is a string with at least one
        non-whitespace character; never NULL. -#}
    coalesce({{ field_type }} = 'VARCHAR' and not {{ is_blank_text(field_text) }}, false)
{%- endmacro %}


{% macro is_empty_event_ts(field_type, field_text) -%}
    {#- TRUE when event_ts (its json_type and its text) is missing, JSON null, or the empty string
        (an invalid_field). -#}
    ({{ field_type }} is null or {{ field_type }} = 'NULL' or ({{ field_type }} = 'VARCHAR' and {{ field_text }} = ''))
{%- endmacro %}


{% macro quarantine_reason() -%}
    {#- The quarantine reason code of a parsed raw line, the first rule that applies, or NULL for
        a valid event, for a line the reader returned as text (lines it rejected get theirs from
        reject_quarantine_reason()). Expects the columns of int_click_events_validated's
        `fields_typed` step: json_kind, the json_type and text of each contract field
        (event_id_type, event_id, user_id_type, user_id, event_type_type, event_type,
        event_ts_type, event_ts_text), event_ts, is_known_event_type, dt. Order (a product decision):
        invalid_encoding, malformed_json, invalid_field, invalid_timestamp, unknown_event_type,
        future_event, too_late. -#}
    case
        when coalesce(json_kind, '') != 'OBJECT' then 'malformed_json'
        when not {{ is_nonblank_string_field('event_id_type', 'event_id') }}
            or not {{ is_nonblank_string_field('user_id_type', 'user_id') }}
            or not {{ is_nonblank_string_field('event_type_type', 'event_type') }}
            or {{ is_empty_event_ts('event_ts_type', 'event_ts_text') }}
            then 'invalid_field'
        when event_ts is null then 'invalid_timestamp'
        when not is_known_event_type then 'unknown_event_type'
        when event_ts > {{ latest_valid_event_ts('dt') }} then 'future_event'
        when event_ts < {{ earliest_valid_event_ts('dt') }} then 'too_late'
    end
{%- endmacro %}


{% macro quarantine_detail() -%}
    {#- A human-readable explanation to go with quarantine_reason() (same input columns, plus
        event_ts_json and event_type_json: those fields as JSON text, quoted as in the line). -#}
    case
        when json_kind is null then 'line is not valid JSON'
        when json_kind != 'OBJECT' then 'line is JSON ' || lower(json_kind) || ', not an object'
        when not {{ is_nonblank_string_field('event_id_type', 'event_id') }} then 'event_id is missing, null, blank or not a string'
        when not {{ is_nonblank_string_field('user_id_type', 'user_id') }} then 'user_id is missing, null, blank or not a string'
        when not {{ is_nonblank_string_field('event_type_type', 'event_type') }} then 'event_type is missing, null, blank or not a string'
        when {{ is_empty_event_ts('event_ts_type', 'event_ts_text') }} then 'event_ts is missing, null or empty'
        when event_ts is null then 'event_ts ' || left(event_ts_json, 100) || ' is not an ISO 8601 time or epoch milliseconds'
        when not is_known_event_type then 'event_type ' || left(event_type_json, 100) || ' is not in the event_types seed'
        when event_ts > {{ latest_valid_event_ts('dt') }}
            then 'event_ts ' || {{ timestamp_detail_text('event_ts') }} || ' is after landing day ' || cast(dt as string) || ' plus clock skew'
        when event_ts < {{ earliest_valid_event_ts('dt') }}
            then 'event_ts ' || {{ timestamp_detail_text('event_ts') }} || ' is more than {{ int_var("late_arrival_days") }} days before landing day ' || cast(dt as string)
    end
{%- endmacro %}


{% macro timestamp_detail_text(ts) -%}
    {#- A timestamp as ISO 8601 text for quarantine details (utc_timestamp_text()); Spark writes
        a year past 9999 with a leading `+`, which DuckDB does not. -#}
    {{- return(adapter.dispatch('timestamp_detail_text', 'clickstream')(ts)) -}}
{%- endmacro %}

{% macro default__timestamp_detail_text(ts) -%}
    {{ utc_timestamp_text(ts) }}
{%- endmacro %}

{% macro spark__timestamp_detail_text(ts) -%}
    regexp_replace({{ utc_timestamp_text(ts) }}, '^\\+', '')
{%- endmacro %}


{% macro latest_valid_event_ts(dt) -%}
    {#- The latest event_ts accepted on landing day `dt` (a DATE): the end of the day plus var
        clock_skew_minutes (later is future_event). -#}
    cast({{ dt }} as timestamp) + interval 1 day + {{ minutes_interval(int_var('clock_skew_minutes')) }}
{%- endmacro %}


{% macro earliest_valid_event_ts(dt) -%}
    {#- The earliest event_ts accepted on landing day `dt` (a DATE): its start minus var
        late_arrival_days (earlier is too_late). -#}
    cast({{ dt }} as timestamp) - {{ days_interval(int_var('late_arrival_days')) }}
{%- endmacro %}


{% macro quarantine_reasons() -%}
    {#- The quarantine reason codes, in rule order: the rows of the quarantine_reasons seed (their
        one home), read from the warehouse, so a model calling this declares
        `depends_on: ref('quarantine_reasons')`. While dbt only parses or compiles (docs, sqlfluff)
        before the seed is built: an empty list; a run or build without the seed stops. -#}
    {%- set seed = load_relation(ref('quarantine_reasons')) if execute else none -%}
    {%- if seed is none -%}
        {%- if execute and flags.WHICH in ['run', 'build', 'retry'] -%}
            {{- exceptions.raise_compiler_error("the quarantine_reasons seed is not built: run `dbt seed` (`dbt build` builds it first)") -}}
        {%- endif -%}
        {{- return([]) -}}
    {%- endif -%}
    {{- return(run_query('select reason from ' ~ seed ~ ' order by rule_order').columns[0].values() | list) -}}
{%- endmacro %}


{% macro reject_quarantine_reason(reject_error) -%}
    {#- The quarantine reason of a line the CSV reader rejected, from its error types:
        invalid_encoding for invalid UTF-8, else malformed_json (e.g. longer than var
        max_line_bytes). -#}
    case when {{ reject_error }} like '%INVALID ENCODING%' then 'invalid_encoding' else 'malformed_json' end
{%- endmacro %}


{% macro reject_quarantine_detail(reject_error) -%}
    {#- The readable detail that goes with reject_quarantine_reason(). -#}
    case
        when {{ reject_error }} like '%INVALID ENCODING%' then 'line is not valid UTF-8'
        when {{ reject_error }} like '%LINE SIZE OVER MAXIMUM%'
            then 'line is longer than max_line_bytes ({{ int_var("max_line_bytes") }} bytes)'
        else 'line could not be read as text: ' || {{ reject_error }}
    end
{%- endmacro %}
