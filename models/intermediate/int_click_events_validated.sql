{{
    config(
        pre_hook="{{ drop_rejects_tables('raw_line_rejects') }}",
        post_hook="{{ append_rejected_raw_lines('raw_line_rejects') }}",
    )
}}
{#- Every raw line of the batch, read once (through the stg_click_events__lines view), numbered,
    parsed and validated: blank lines flagged, invalid ones given a quarantine reason (rules in
    the quarantine_reason() macro), valid ones typed. Raw text is kept only for quarantined
    lines. Lines the reader rejects (invalid UTF-8, too long) are added by the post-hook, which
    also shifts the line numbers after them. JSON functions run only on lines that are valid
    JSON (json_valid first), which keeps them on DuckDB's fast path. -#}
{#- A JSON merge patch that removes the contract's fields, leaving the extra ones. -#}
{%- set known_fields_removed_patch = '{"event_id":null,"user_id":null,"event_type":null,"event_ts":null,'
    ~ '"page_url":null,"referrer":null,"user_agent":null,"ip":null,"properties":null}' %}

with

lines as (
    select * from {{ ref('stg_click_events__lines') }}
),

event_types as (
    select event_type from {{ ref('event_types') }}
),

blank_flagged as (
    select
        dt,
        file_name,
        file_row_index as line_number,
        line_text,
        line_text is null or regexp_full_match(line_text, '\s*') as is_blank,
    from lines
),

json_parsed as (
    select
        *,
        case when not is_blank and json_valid(line_text) then json_type(line_text) end as json_kind,
    from blank_flagged
),

fields_extracted as (
    select
        *,
        case
            when json_kind = 'OBJECT' then json_extract(line_text, [
                '$.event_id', '$.user_id', '$.event_type', '$.event_ts',
                '$.page_url', '$.referrer', '$.user_agent', '$.ip', '$.properties'
            ])
        end as field_values,
        case
            when json_kind = 'OBJECT'
                then list_filter(json_keys(line_text), lambda key: key not in (
                    'event_id', 'user_id', 'event_type', 'event_ts',
                    'page_url', 'referrer', 'user_agent', 'ip', 'properties'
                ))
        end as extra_keys,
    from json_parsed
),

fields_named as (
    select
        *,
        field_values[1] as event_id_json,
        field_values[2] as user_id_json,
        field_values[3] as event_type_json,
        field_values[4] as event_ts_json,
        {{ iso_timestamp_parts("(field_values[4] ->> '$')") }} as event_ts_parts,
    from fields_extracted
),

fields_typed as (
    select
        fields_named.*,
        {{ event_ts_from_parts('event_ts_json', 'event_ts_parts') }} as event_ts,
        coalesce(event_types.event_type is not null, false) as is_known_event_type,
    from fields_named
    left join event_types
        on
            fields_named.event_type_json ->> '$' = event_types.event_type
            and json_type(fields_named.event_type_json) = 'VARCHAR'
),

reasons_assigned as (
    select
        *,
        case when not is_blank then {{ quarantine_reason() }} end as quarantine_reason,
    from fields_typed
),

validated as (
    select
        *,
        case when quarantine_reason is not null then {{ quarantine_detail() }} end as quarantine_detail,
    from reasons_assigned
),

final as (
    select
        dt,
        file_name,
        line_number,
        is_blank,
        quarantine_reason,
        quarantine_detail,
        quarantine_reason is not null as is_quarantined,
        not is_blank and quarantine_reason is null as is_valid,
        case when quarantine_reason is not null then line_text end as raw_line,
        case when quarantine_reason is null then event_id_json ->> '$' end as event_id,
        case when quarantine_reason is null then user_id_json ->> '$' end as user_id,
        case when quarantine_reason is null then event_type_json ->> '$' end as event_type,
        case when quarantine_reason is null then event_ts end as event_ts,
        case when quarantine_reason is null then field_values[5] ->> '$' end as page_url,
        case when quarantine_reason is null then field_values[6] ->> '$' end as referrer,
        case when quarantine_reason is null then field_values[7] ->> '$' end as user_agent,
        -- privacy: the client IP never goes further in clear (IPv4 /24, IPv6 /48)
        case when quarantine_reason is null then {{ anonymize_ip("(field_values[8] ->> '$')") }} end as ip,
        case when quarantine_reason is null then field_values[9] end as properties,
        case
            when quarantine_reason is null and len(extra_keys) > 0
                then json_merge_patch(line_text, '{{ known_fields_removed_patch }}')
        end as extra_fields,
    from validated
)

select * from final
