-- the export's work list is recorded before this table changes (a crash cannot lose it):
-- depends_on: {{ ref('int_export_requests') }}
-- depends_on: {{ ref('int_sessions_rebuilt') }}
{{
    config(
        unique_key='user_id',
        incremental_strategy='replace',
        replace_where_macro='rebuilt_users_predicate',
        meta={
            'export': {
                'partition_column': none,
                'order_by': ['user_id'],
            },
        },
    )
}}
{#- One row per user with at least one human session: first and last seen, sessions, the channel
    of the first session, purchases. Each run recomputes the users whose sessions it changed,
    from all of their sessions. -#}
with

sessions as (
    select * from {{ ref('fct_sessions') }}
),

affected_users as (
    select distinct user_id from {{ ref('int_sessions_rebuilt') }}
),

user_sessions as (
    select sessions.*
    from sessions
    semi join affected_users on sessions.user_id = affected_users.user_id
    where not sessions.is_bot
),

final as (
    select
        user_id,
        min(session_start) as first_seen_at,
        max(session_end) as last_seen_at,
        min(session_date) as first_seen_date,
        count(*) as session_count,
        -- bigint on both engines (a DuckDB sum of integers is a HUGEINT, exported as DOUBLE)
        cast(sum(event_count) as bigint) as event_count,
        {{ value_at_min('channel', ordering_key('session_start', 'session_id')) }} as first_channel,
        {{ value_at_min('device_category', ordering_key('session_start', 'session_id')) }} as first_device_category,
        count(*) filter (where has_purchase) as purchase_session_count,
        sum(revenue) as revenue
    from user_sessions
    group by user_id
)

select * from final
