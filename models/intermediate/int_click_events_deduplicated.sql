{{ config(materialized='view') }}
{#- The batch's valid events, each flagged as the first landed copy of its event_id or a
    duplicate (the rule: int_duplicate_copies_identified). A view: the validated lines joined to
    the narrow table of later copies, so the wide rows are written once (validation) and read by
    enrichment, the duplicates' audit and the ingest counts without another copy. -#}
with

valid_events as (
    select * from {{ ref('int_click_events_validated') }}
    where is_valid
),

duplicate_copies as (
    select * from {{ ref('int_duplicate_copies_identified') }}
),

final as (
    select
        valid_events.event_id,
        valid_events.user_id,
        valid_events.event_type,
        valid_events.event_ts,
        valid_events.page_url,
        valid_events.referrer,
        valid_events.user_agent,
        valid_events.ip,
        valid_events.properties,
        valid_events.extra_fields,
        valid_events.dt,
        valid_events.file_name,
        valid_events.line_number,
        duplicate_copies.dt is not null as is_duplicate,
        coalesce(duplicate_copies.kept_dt, valid_events.dt) as kept_dt,
        coalesce(duplicate_copies.kept_file_name, valid_events.file_name) as kept_file_name,
        coalesce(duplicate_copies.kept_line_number, valid_events.line_number) as kept_line_number
    from valid_events
    left join duplicate_copies
        on
            valid_events.dt = duplicate_copies.dt
            and valid_events.file_name = duplicate_copies.file_name
            and valid_events.line_number = duplicate_copies.line_number
)

select * from final
