-- the export's work list is recorded before this table changes (a crash cannot lose it):
-- depends_on: {{ ref('int_export_requests') }}
-- depends_on: {{ ref('stg_click_events__files') }}
-- depends_on: {{ ref('int_refresh_changed_partitions') }}
{{
    config(
        unique_key='event_id',
        incremental_strategy='replace',
        replace_where_macro='batch_days_predicate',
        replace_scope_column='dt',
        replace_scope_floor_macro='batch_min_dt',
        partition_by=['dt'],
        meta={
            'refreshed_window_column': 'dt',
            'export': {
                'partition_column': 'event_date',
                'order_by': ['event_ts', 'event_id'],
                'partition_by_differs': 'Spark stores it by landing day dt (the days a run rewrites); readers want the event day',
            },
        },
    )
}}
{#- One row per valid, deduplicated event with its session. Each run replaces the batch's
    landing days and the events whose session was recomputed. -#}
with

sessionized_events as (
    select * from {{ ref('int_events_sessionized') }}
),

final as (
    select
        event_id,
        user_id,
        event_type,
        event_ts,
        event_date,
        session_id,
        page_url,
        referrer,
        user_agent,
        ip,
        properties,
        extra_fields,
        dt,
        file_name,
        line_number,
        page_host,
        page_path,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        gclid,
        fbclid,
        referrer_host,
        channel,
        traffic_source,
        device_category,
        browser_family,
        os_family,
        is_bot_user_agent,
        is_bot
    from sessionized_events
)

select * from final
