-- the export's work list is recorded before this table changes (a crash cannot lose it):
-- depends_on: {{ ref('int_export_requests') }}
{{
    config(
        unique_key='event_date',
        incremental_strategy='replace',
        replace_where_macro='changed_partitions_predicate',
        replace_where_args=['event_date'],
        partition_by=['event_date'],
        meta={
            'refreshed_window_column': 'event_date',
            'export': {
                'partition_column': 'event_date',
                'order_by': ['event_date'],
            },
        },
    )
}}
{#- Clicks and activity per event day (UTC), for analysts, bots excluded; per-session clicks are
    fct_sessions.click_count. Each run recomputes the days whose events changed. -#}
with

events as (
    select * from {{ ref('fct_events') }}
),

changed_dates as (
    select partition_date from {{ ref('int_refresh_changed_partitions') }}
    where table_name = 'agg_daily_clicks'
),

final as (
    select
        events.event_date,
        count(*) as event_count,
        count(*) filter (where events.event_type = 'click') as click_count,
        count(*) filter (where events.event_type = 'page_view') as page_view_count,
        count(distinct events.user_id) as user_count,
        count(distinct events.session_id) as session_count,
        count(distinct events.session_id) filter (where events.event_type = 'click') as sessions_with_click_count
    from events
    semi join changed_dates on events.event_date = changed_dates.partition_date
    where not events.is_bot
    group by events.event_date
)

select * from final
