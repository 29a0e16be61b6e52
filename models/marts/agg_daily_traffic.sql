-- the export's work list is recorded before this table changes (a crash cannot lose it):
-- depends_on: {{ ref('int_export_requests') }}
-- depends_on: {{ ref('int_refresh_changed_partitions') }}
{{
    config(
        unique_key='traffic_key',
        incremental_strategy='replace',
        replace_where_macro='changed_partitions_predicate',
        replace_where_args=['session_date'],
        partition_by=['session_date'],
        meta={
            'refreshed_window_column': 'session_date',
            'export': {
                'partition_column': 'session_date',
                'order_by': ['session_date', 'channel', 'device_category'],
            },
        },
    )
}}
{#- Traffic per session day (UTC) x channel x device category, human sessions only: users,
    sessions, page views, bounce rate, average session duration, conversions, revenue. Each run
    recomputes the session days it changed. -#}
with

sessions as (
    select * from {{ ref('fct_sessions') }}
),

changed_dates as (
    select partition_date from {{ ref('int_refresh_changed_partitions') }}
    where table_name = 'agg_daily_traffic'
),

final as (
    select
        md5(cast(sessions.session_date as string) || '|' || sessions.channel || '|' || sessions.device_category)
            as traffic_key,
        sessions.session_date,
        sessions.channel,
        sessions.device_category,
        count(distinct sessions.user_id) as user_count,
        count(*) as session_count,
        -- bigint on both engines (a DuckDB sum of integers is a HUGEINT, exported as DOUBLE)
        cast(sum(sessions.page_view_count) as bigint) as page_view_count,
        avg(cast(sessions.is_bounce as int)) as bounce_rate,
        avg(cast(sessions.is_engaged as int)) as engagement_rate,
        -- summed as whole microseconds (exact), so the result never depends on summation order
        sum(cast(round(sessions.duration_seconds * 1000000) as bigint)) / count(*) / cast(1000000 as double)
            as avg_session_duration_seconds,
        count(*) filter (where sessions.has_purchase) as conversion_count,
        sum(sessions.revenue) as revenue
    from sessions
    semi join changed_dates on sessions.session_date = changed_dates.partition_date
    where not sessions.is_bot
    group by sessions.session_date, sessions.channel, sessions.device_category
)

select * from final
