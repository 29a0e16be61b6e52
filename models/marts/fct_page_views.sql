-- the export's work list is recorded before this table changes (a crash cannot lose it):
-- depends_on: {{ ref('int_export_requests') }}
-- depends_on: {{ ref('int_sessions_replaced') }}
{{
    config(
        unique_key='event_id',
        incremental_strategy='replace',
        replace_where_macro='replaced_sessions_predicate',
        replace_scope_column='event_date',
        replace_scope_floor_macro='replaced_sessions_min_date',
        partition_by=['event_date'],
        meta={
            'refreshed_window_column': 'event_date',
            'export': {
                'partition_column': 'event_date',
                'order_by': ['event_ts', 'event_id'],
            },
        },
    )
}}
{#- One row per page view of a human session (bots excluded), with the time spent on the page:
    until the next event of the session (NULL for the session's last event); is_exit marks the
    session's last page view (its exit page). Each run replaces the page views of the sessions it
    recomputed. -#}
with

sessionized_events as (
    select * from {{ ref('int_events_sessionized') }}
),

next_events_found as (
    {#- One window order (one sort, over the columns needed only) for all three: the next event of
        the session and the session's page views up to and after each event (written out: Spark
        cannot extend a named window with a frame). -#}
    select
        event_id,
        session_id,
        user_id,
        event_ts,
        event_date,
        event_type,
        is_bot,
        page_url,
        page_host,
        page_path,
        referrer,
        channel,
        device_category,
        lead(event_ts) over session_order as next_event_ts,
        count(case when event_type = 'page_view' then 1 end) over (
            partition by session_id order by event_ts, event_id rows unbounded preceding
        ) as page_view_number,
        count(case when event_type = 'page_view' then 1 end) over (
            partition by session_id order by event_ts, event_id rows between 1 following and unbounded following
        ) = 0 as is_exit
    from sessionized_events
    window session_order as (partition by session_id order by event_ts, event_id)
),

final as (
    select
        event_id,
        session_id,
        user_id,
        event_ts,
        event_date,
        page_view_number,
        page_url,
        page_host,
        page_path,
        referrer,
        channel,
        device_category,
        {{ seconds_between('event_ts', 'next_event_ts') }} as time_on_page_seconds,
        is_exit
    from next_events_found
    where event_type = 'page_view' and not is_bot
)

select * from final
{{ full_build_order_by('event_date') }}
