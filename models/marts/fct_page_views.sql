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
        bucketed_build=true,
    )
}}
{#- One row per page view of a human session (bots excluded), with the time spent on the page:
    until the next event of the session (NULL for the session's last event); is_exit marks the
    session's last page view (its exit page). Each run replaces the page views of the sessions it
    recomputed. -#}
with

sessionized_events as {{ inline_cte_hint() }} (
    {#- Built in user buckets on a large batch (build_bucket_predicate()): a session, so its
        windows, belongs to one user. #}
    select * from {{ ref('int_events_sessionized') }}
    where {{ build_bucket_predicate('user_id') }}
),

event_keys as (
    {#- The windows sort only the key columns; the page views' other columns are joined back
        once, after the filter (sorting every column of the events costs several times more,
        and spills at the memory limit). -#}
    select
        event_id,
        session_id,
        event_ts,
        event_type = 'page_view' as is_page_view,
        is_bot
    from sessionized_events
),

next_events_found as (
    {#- One window order (one sort) for all three: the next event of the session and the
        session's page views up to and after each event (written out: Spark cannot extend a
        named window with a frame). -#}
    select
        event_id,
        is_page_view,
        is_bot,
        lead(event_ts) over session_order as next_event_ts,
        count(case when is_page_view then 1 end) over (
            partition by session_id order by event_ts, event_id rows unbounded preceding
        ) as page_view_number,
        count(case when is_page_view then 1 end) over (
            partition by session_id order by event_ts, event_id rows between 1 following and unbounded following
        ) = 0 as is_exit
    from event_keys
    window session_order as (partition by session_id order by event_ts, event_id)
),

page_view_keys as (
    select
        event_id,
        next_event_ts,
        page_view_number,
        is_exit
    from next_events_found
    where is_page_view and not is_bot
),

final as (
    select
        sessionized_events.event_id,
        sessionized_events.session_id,
        sessionized_events.user_id,
        sessionized_events.event_ts,
        sessionized_events.event_date,
        page_view_keys.page_view_number,
        sessionized_events.page_url,
        sessionized_events.page_host,
        sessionized_events.page_path,
        sessionized_events.referrer,
        sessionized_events.channel,
        sessionized_events.device_category,
        {{ seconds_between('sessionized_events.event_ts', 'page_view_keys.next_event_ts') }} as time_on_page_seconds,
        page_view_keys.is_exit
    from page_view_keys
    inner join sessionized_events
        on page_view_keys.event_id = sessionized_events.event_id
)

select * from final
{{ full_build_order_by('event_date') }}
