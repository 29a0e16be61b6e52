{{
    config(
        pre_hook=[
            "{{ drop_rejects_tables('raw_line_rejects') }}",
            "{{ validation_session_settings() }}"
        ],
        post_hook=[
            "{{ reset_validation_session_settings() }}"
        ],
    )
}}
{#- Every raw line of the batch, read once (through the stg_click_events__lines view; on DuckDB
    the files are read and validated in parallel, one file per thread: see
    validation_session_settings()), numbered, parsed and validated: blank lines flagged, invalid
    ones given a quarantine reason (rules in the quarantine_reason() macro), valid ones typed.
    Raw text is kept only for quarantined lines. Lines DuckDB's reader rejects (invalid UTF-8, too
    long) are listed by stg_click_events__unreadable_lines: they are quarantined here, and every
    returned row is numbered past the rejected lines before it (line_shift_buckets()); Spark's
    reader returns them, and unreadable_line_error() quarantines them here. JSON functions run
    only on lines that are valid JSON (json_kind() first), which keeps them on DuckDB's fast path.
    The engine-specific SQL is in the dispatched macros of macros/validation/ (line_checks.sql,
    json_parsing.sql, json_fields.sql, parse_event_ts.sql and the hooks) and anonymize_ip(). -#}
{#- The contract's fields, in one order: field_types[i] and field_texts[i] below are field i. -#}
{%- set contract_fields = ['event_id', 'user_id', 'event_type', 'event_ts',
    'page_url', 'referrer', 'user_agent', 'ip', 'properties'] %}
{%- set contract_field_names = "'" ~ contract_fields | join("', '") ~ "'" %}
{#- A JSON merge patch that removes the contract's fields, leaving the extra ones. -#}
{#- Returned rows per bucket of the line-number shift join (line_shift_buckets()). -#}
{%- set shift_bucket_rows = 1024 %}
{%- set known_fields_removed_patch = '{"' ~ contract_fields | join('":null,"') ~ '":null}' %}

with

lines as (
    select * from {{ ref('stg_click_events__lines') }}
),

event_types as (
    select event_type from {{ ref('event_types') }}
),

unreadable_lines as (
    select * from {{ ref('stg_click_events__unreadable_lines') }}
),

rejected_lines_counted as (
    {#- A file's k-th returned row is physical line k + j, where j counts the rejected lines r_i
        (the i-th rejected line of the file) with r_i - i + 1 <= k. -#}
    select
        dt,
        file_name,
        line_number - row_number() over file_order + 1 as from_row,
        row_number() over file_order as shift
    from unreadable_lines
    window file_order as (partition by dt, file_name order by line_number)
),

line_shift_steps as (
    select
        dt,
        file_name,
        from_row,
        max(shift) as shift
    from rejected_lines_counted
    group by dt, file_name, from_row
),

line_shift_intervals as (
    {#- returned rows [from_row, to_row] share one shift; the file's last step is open (to_row NULL) -#}
    select
        dt,
        file_name,
        from_row,
        lead(from_row) over (partition by dt, file_name order by from_row) - 1 as to_row,
        shift
    from line_shift_steps
),

line_shifts_bucketed as (
    {{ line_shift_buckets('line_shift_intervals', shift_bucket_rows) }}
),

last_line_shifts as (
    select
        dt,
        file_name,
        from_row,
        shift
    from line_shift_intervals
    where to_row is null
),

lines_checked as (
    select
        lines.dt,
        lines.file_name,
        lines.file_row_index + coalesce(line_shifts_bucketed.shift, last_line_shifts.shift, 0) as line_number,
        lines.line_text,
        {{ unreadable_line_error('lines.line_text', 'lines.file_row_index') }} as read_error
    from lines
    left join line_shifts_bucketed
        on
            lines.dt = line_shifts_bucketed.dt
            and lines.file_name = line_shifts_bucketed.file_name
            and cast(floor(lines.file_row_index / {{ shift_bucket_rows }}) as bigint) = line_shifts_bucketed.bucket
            and lines.file_row_index between line_shifts_bucketed.from_row and line_shifts_bucketed.to_row
    left join last_line_shifts
        on
            lines.dt = last_line_shifts.dt
            and lines.file_name = last_line_shifts.file_name
            and lines.file_row_index >= last_line_shifts.from_row
),

json_parsed as (
    select
        *,
        {{ json_document('line_text') }} as line_json
    from lines_checked
),

json_kinds as (
    select
        *,
        {{ json_kind('line_text', 'line_json') }} as json_kind_parsed
    from json_parsed
),

blanks_flagged as (
    select
        *,
        -- valid JSON is never blank, so the blank test runs only on the other lines
        {{ is_blank_line('line_text', 'read_error', 'json_kind_parsed') }} as is_blank
    from json_kinds
),

keys_listed as (
    select
        *,
        case
            when json_kind_parsed = 'OBJECT' then {{ json_object_keys_list('line_text', 'line_json') }}
        end as top_level_keys
    from blanks_flagged
),

contract_keys_compared as (
    {#- The common case, cheap to test: exactly the contract's fields, once each, in its order. -#}
    select
        *,
        coalesce(top_level_keys = {{ string_list_literal(contract_fields) }}, false) as has_exactly_contract_keys
    from keys_listed
),

json_checked as (
    {#- One rule on both engines: a repeated top-level key makes the line invalid JSON (DuckDB
        would take the first value, Spark the last). -#}
    select
        *,
        case
            when has_exactly_contract_keys then json_kind_parsed
            when not coalesce({{ has_repeated_items('top_level_keys') }}, false) then json_kind_parsed
        end as json_kind
    from contract_keys_compared
),

field_types_extracted as (
    {#- Two passes over an object line give every contract field's JSON type and its text. -#}
    select
        *,
        case
            when json_kind = 'OBJECT' then {{ json_field_types('line_text', 'line_json', contract_fields) }}
        end as field_types
    from json_checked
),

fields_extracted as (
    select
        *,
        case
            when json_kind = 'OBJECT' then {{ json_field_texts('line_text', 'line_json', contract_fields, 'field_types') }}
        end as field_texts
    from field_types_extracted
),

fields_named as (
    select
        dt,
        file_name,
        line_number,
        line_text,
        line_json,
        read_error,
        is_blank,
        json_kind,
        top_level_keys,
        has_exactly_contract_keys,
        {{ list_item('field_types', 1) }} as event_id_type,
        {{ list_item('field_texts', 1) }} as event_id,
        {{ list_item('field_types', 2) }} as user_id_type,
        {{ list_item('field_texts', 2) }} as user_id,
        {{ list_item('field_types', 3) }} as event_type_type,
        {{ list_item('field_texts', 3) }} as event_type,
        {{ list_item('field_types', 4) }} as event_ts_type,
        {{ list_item('field_texts', 4) }} as event_ts_text,
        {{ list_item('field_texts', 5) }} as page_url,
        {{ list_item('field_texts', 6) }} as referrer,
        {{ list_item('field_texts', 7) }} as user_agent,
        {{ list_item('field_texts', 8) }} as ip_text,
        {{ list_item('field_types', 9) }} as properties_type,
        {{ list_item('field_texts', 9) }} as properties_text,
        {{ iso_timestamp_parts(list_item('field_texts', 4)) }} as event_ts_parts
    from fields_extracted
),

fields_typed as (
    select
        fields_named.*,
        {{ event_ts_from_parts('event_ts_type', 'event_ts_text', 'event_ts_parts') }} as event_ts,
        event_types.event_type is not null as is_known_event_type
    from fields_named
    left join event_types
        on
            fields_named.event_type = event_types.event_type
            and fields_named.event_type_type = 'VARCHAR'
),

reasons_assigned as (
    select
        *,
        case
            when read_error is not null then {{ reject_quarantine_reason('read_error') }}
            when not is_blank then {{ quarantine_reason() }}
        end as quarantine_reason
    from fields_typed
),

quarantined_fields_quoted as (
    {#- The quarantine detail quotes event_type and event_ts as they are written in the line. -#}
    select
        *,
        case
            when quarantine_reason is not null and json_kind = 'OBJECT'
                then {{ json_field_json('line_text', 'line_json', 'event_type', 'event_type_type') }}
        end as event_type_json,
        case
            when quarantine_reason is not null and json_kind = 'OBJECT'
                then {{ json_field_json('line_text', 'line_json', 'event_ts', 'event_ts_type') }}
        end as event_ts_json
    from reasons_assigned
),

validated as (
    select
        *,
        case
            when read_error is not null then {{ reject_quarantine_detail('read_error') }}
            when quarantine_reason is not null then {{ quarantine_detail() }}
        end as quarantine_detail,
        not is_blank and quarantine_reason is null as is_valid
    from quarantined_fields_quoted
),

extra_keys_listed as (
    select
        *,
        -- NULL (none) for a line with exactly the contract's fields
        case
            when is_valid and not has_exactly_contract_keys then {{ list_items_not_in('top_level_keys', contract_field_names) }}
        end as extra_keys
    from validated
),

validated_lines as (
    select
        dt,
        file_name,
        line_number,
        is_blank,
        quarantine_reason,
        quarantine_detail,
        quarantine_reason is not null as is_quarantined,
        is_valid,
        case when quarantine_reason is not null and read_error is null then line_text end as raw_line,
        case when is_valid then event_id end as event_id,
        case when is_valid then user_id end as user_id,
        case when is_valid then event_type end as event_type,
        case when is_valid then event_ts end as event_ts,
        case when is_valid then page_url end as page_url,
        case when is_valid then referrer end as referrer,
        case when is_valid then user_agent end as user_agent,
        -- privacy: the client IP never goes further in clear (IPv4 /24, IPv6 /48)
        case when is_valid then {{ anonymize_ip('ip_text') }} end as ip,
        -- an object or array's text is its JSON; other kinds (rare) are extracted again
        case
            when is_valid then {{ properties_json('line_text', 'line_json', 'properties_type', 'properties_text') }}
        end as properties,
        {{ extra_fields_json('line_text', 'line_json', 'extra_keys', known_fields_removed_patch) }} as extra_fields
    from extra_keys_listed
),

rejected_lines_quarantined as (
    select
        dt,
        file_name,
        line_number,
        false as is_blank,
        {{ reject_quarantine_reason('reject_error') }} as quarantine_reason,
        {{ reject_quarantine_detail('reject_error') }} as quarantine_detail,
        true as is_quarantined,
        false as is_valid,
        null as raw_line,
        null as event_id,
        null as user_id,
        null as event_type,
        null as event_ts,
        null as page_url,
        null as referrer,
        null as user_agent,
        null as ip,
        null as properties,
        null as extra_fields
    from unreadable_lines
),

final as (
    select * from validated_lines
    union all
    select * from rejected_lines_quarantined
)

select * from final
