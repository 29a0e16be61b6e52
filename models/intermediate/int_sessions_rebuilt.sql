{#- The sessions recomputed in this run, aggregated from int_events_sessionized (which holds
    every event of each of these sessions). Attribution (channel, source / medium / campaign,
    device, browser, OS, country) is the session's first event's (by event_ts, event_id). -#}
with

sessionized_events as (
    select * from {{ ref('int_events_sessionized') }}
),

events_valued as (
    select
        *,
        (event_ts, event_id) as event_order,
        case
            when event_type = 'purchase'
                then coalesce(
                    try_cast(properties ->> '$.revenue' as decimal(18, 2)),
                    try_cast(properties ->> '$.price' as decimal(18, 2))
                    * coalesce(try_cast(properties ->> '$.quantity' as integer), 1)
                )
        end as purchase_revenue
    from sessionized_events
),

final as (
    select
        session_id,
        user_id,
        min(event_ts) as session_start,
        max(event_ts) as session_end,
        min(event_ts)::date as session_date,
        (epoch_us(max(event_ts)) - epoch_us(min(event_ts))) / 1000000.0 as duration_seconds,
        count(*) as event_count,
        count(*) filter (where event_type = 'page_view') as page_view_count,
        count(*) filter (where event_type = 'click') as click_count,
        arg_min(page_url, event_order) filter (where event_type = 'page_view') as landing_page,
        arg_max(page_url, event_order) filter (where event_type = 'page_view') as exit_page,
        bool_or(event_type = 'add_to_cart') as has_add_to_cart,
        bool_or(event_type = 'checkout') as has_checkout,
        bool_or(event_type = 'purchase') as has_purchase,
        coalesce(sum(purchase_revenue), 0) as revenue,
        arg_min(channel, event_order) as channel,
        arg_min(
            coalesce(utm_source, traffic_source, case when channel = 'direct' then '(direct)' end), event_order
        ) as traffic_source,
        arg_min(
            coalesce(
                utm_medium,
                case
                    when channel = 'organic_search' then 'organic'
                    when channel in ('referral', 'social', 'email', 'internal') then 'referral'
                    when channel = 'direct' then '(none)'
                end
            ),
            event_order
        ) as traffic_medium,
        arg_min(utm_campaign, event_order) as traffic_campaign,
        arg_min(device_category, event_order) as device_category,
        arg_min(browser_family, event_order) as browser_family,
        arg_min(os_family, event_order) as os_family,
        arg_min(properties ->> '$.country', event_order) as country,
        bool_or(is_bot) as is_bot,
        min(dt) as first_dt,
        max(dt) as last_dt
    from events_valued
    group by session_id, user_id
)

select * from final
