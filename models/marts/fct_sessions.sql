-- the export's work list is recorded before this table changes (a crash cannot lose it):
-- depends_on: {{ ref('int_export_requests') }}
-- fct_sessions commits after fct_events, so a failed run can only leave fct_events ahead:
-- depends_on: {{ ref('fct_events') }}
-- depends_on: {{ ref('int_sessions_replaced') }}
{{
    config(
        unique_key='session_id',
        incremental_strategy='replace',
        replace_where_macro='replaced_sessions_predicate',
        replace_scope_column='session_date',
        replace_scope_floor_macro='replaced_sessions_min_date',
        partition_by=['session_date'],
        meta={
            'refreshed_window_column': 'session_date',
            'export': {
                'partition_column': 'session_date',
                'order_by': ['session_start', 'session_id'],
            },
        },
    )
}}
{#- One row per session (bots included, flagged). Each run deletes the sessions it replaces
    (int_sessions_replaced) and inserts the recomputed ones (int_sessions_rebuilt). -#}
with

rebuilt_sessions as (
    select * from {{ ref('int_sessions_rebuilt') }}
),

final as (
    select
        session_id,
        user_id,
        session_start,
        session_end,
        session_date,
        duration_seconds,
        event_count,
        page_view_count,
        click_count,
        landing_page,
        exit_page,
        page_view_count = 1 and event_count = 1 as is_bounce,
        duration_seconds >= {{ int_var('engaged_session_min_seconds') }}
        or page_view_count >= 2
        or has_purchase as is_engaged,
        channel,
        traffic_source,
        traffic_medium,
        traffic_campaign,
        device_category,
        browser_family,
        os_family,
        country,
        has_add_to_cart,
        has_checkout,
        has_purchase,
        revenue,
        is_bot,
        first_dt,
        last_dt
    from rebuilt_sessions
)

select * from final
{{ full_build_order_by('session_date') }}
