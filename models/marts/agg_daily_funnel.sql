-- the export's work list is recorded before this table changes (a crash cannot lose it):
-- depends_on: {{ ref('int_export_requests') }}
-- depends_on: {{ ref('int_refresh_changed_partitions') }}
{{
    config(
        unique_key='session_date',
        incremental_strategy='replace',
        replace_where_macro='changed_partitions_predicate',
        replace_where_args=['session_date'],
        partition_by=['session_date'],
        meta={
            'refreshed_window_column': 'session_date',
            'export': {
                'partition_column': 'session_date',
                'order_by': ['session_date'],
            },
        },
    )
}}
{#- The purchase funnel per session day (UTC), human sessions only: sessions that reached
    page_view -> add_to_cart -> checkout -> purchase (a step counts when the session also reached
    every earlier step), and each step's conversion rate from the step before. -#}
with

sessions as (
    select * from {{ ref('fct_sessions') }}
),

changed_dates as (
    select partition_date from {{ ref('int_refresh_changed_partitions') }}
    where table_name = 'agg_daily_funnel'
),

steps_reached as (
    select
        sessions.session_date,
        sessions.page_view_count > 0 as reached_page_view,
        sessions.page_view_count > 0 and sessions.has_add_to_cart as reached_add_to_cart,
        sessions.page_view_count > 0 and sessions.has_add_to_cart and sessions.has_checkout as reached_checkout,
        sessions.page_view_count > 0 and sessions.has_add_to_cart and sessions.has_checkout
        and sessions.has_purchase as reached_purchase
    from sessions
    semi join changed_dates on sessions.session_date = changed_dates.partition_date
    where not sessions.is_bot
),

step_counts as (
    select
        session_date,
        count(*) as session_count,
        count(*) filter (where reached_page_view) as page_view_sessions,
        count(*) filter (where reached_add_to_cart) as add_to_cart_sessions,
        count(*) filter (where reached_checkout) as checkout_sessions,
        count(*) filter (where reached_purchase) as purchase_sessions
    from steps_reached
    group by session_date
),

final as (
    select
        session_date,
        session_count,
        page_view_sessions,
        add_to_cart_sessions,
        checkout_sessions,
        purchase_sessions,
        add_to_cart_sessions / nullif(page_view_sessions, 0) as add_to_cart_rate,
        checkout_sessions / nullif(add_to_cart_sessions, 0) as checkout_rate,
        purchase_sessions / nullif(checkout_sessions, 0) as purchase_rate,
        purchase_sessions / nullif(page_view_sessions, 0) as overall_conversion_rate
    from step_counts
)

select * from final
