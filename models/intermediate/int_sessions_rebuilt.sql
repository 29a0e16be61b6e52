{#- The sessions recomputed in this run, aggregated from int_events_sessionized (which holds
    every event of each of these sessions). Attribution (channel, source / medium / campaign),
    device, browser and OS are the session's first event's own values (by event_ts, event_id;
    NULL included, so attribution is never stitched together from several events); country is
    the first one an event of the session states (properties.country is often only on some). -#}
{{ config(bucketed_build=true) }}
with

sessionized_events as (
    select * from {{ ref('int_events_sessionized') }}
    where {{ build_bucket_predicate('user_id') }}
),

events_valued as (
    select
        *,
        {{ ordering_key('event_ts', 'event_id') }} as event_order,
        case
            when event_type = 'purchase'
                then coalesce(
                    try_cast({{ json_field_text('properties', '$.revenue') }} as decimal(18, 2)),
                    try_cast({{ json_field_text('properties', '$.price') }} as decimal(18, 2))
                    * coalesce({{ try_cast_integer(json_field_text('properties', '$.quantity')) }}, 1)
                )
        end as purchase_revenue,
        coalesce(utm_source, traffic_source, case when channel = 'direct' then '(direct)' end) as event_traffic_source,
        coalesce(
            utm_medium,
            case
                when channel = 'organic_search' then 'organic'
                when channel in ('referral', 'social', 'email', 'internal') then 'referral'
                when channel = 'direct' then '(none)'
            end
        ) as event_traffic_medium,
        {{ json_field_text('properties', '$.country') }} as event_country
    from sessionized_events
),

sessions_aggregated as (
    select
        session_id,
        user_id,
        min(event_ts) as session_start,
        max(event_ts) as session_end,
        min(event_ts)::date as session_date,
        {{ seconds_between('min(event_ts)', 'max(event_ts)') }} as duration_seconds,
        count(*) as event_count,
        count(*) filter (where event_type = 'page_view') as page_view_count,
        count(*) filter (where event_type = 'click') as click_count,
        {{ value_at_min('page_url', 'event_order') }} filter (where event_type = 'page_view') as landing_page,
        {{ value_at_max('page_url', 'event_order') }} filter (where event_type = 'page_view') as exit_page,
        bool_or(event_type = 'add_to_cart') as has_add_to_cart,
        bool_or(event_type = 'checkout') as has_checkout,
        bool_or(event_type = 'purchase') as has_purchase,
        coalesce(sum(purchase_revenue), 0) as revenue,
        {# the first event's attribution as one struct: one aggregate state per session (one per
            column took 2.3 times as long at 10M events) #}
        {{ value_at_first(struct_of([
            ['channel', 'channel'],
            ['traffic_source', 'event_traffic_source'],
            ['traffic_medium', 'event_traffic_medium'],
            ['traffic_campaign', 'utm_campaign'],
            ['device_category', 'device_category'],
            ['browser_family', 'browser_family'],
            ['os_family', 'os_family'],
        ]), 'event_order') }} as first_event,
        {{ value_at_min('event_country', 'event_order') }} as country,
        bool_or(is_bot) as is_bot,
        min(dt) as first_dt,
        max(dt) as last_dt
    from events_valued
    group by session_id, user_id
),

final as (
    select
        sessions_aggregated.session_id,
        sessions_aggregated.user_id,
        sessions_aggregated.session_start,
        sessions_aggregated.session_end,
        sessions_aggregated.session_date,
        sessions_aggregated.duration_seconds,
        sessions_aggregated.event_count,
        sessions_aggregated.page_view_count,
        sessions_aggregated.click_count,
        sessions_aggregated.landing_page,
        sessions_aggregated.exit_page,
        sessions_aggregated.has_add_to_cart,
        sessions_aggregated.has_checkout,
        sessions_aggregated.has_purchase,
        sessions_aggregated.revenue,
        -- the aliases name the struct's fields alike on every engine (sqlfluff takes them for self-aliases)
        -- noqa: disable=AL09
        sessions_aggregated.first_event.channel as channel,
        sessions_aggregated.first_event.traffic_source as traffic_source,
        sessions_aggregated.first_event.traffic_medium as traffic_medium,
        sessions_aggregated.first_event.traffic_campaign as traffic_campaign,
        sessions_aggregated.first_event.device_category as device_category,
        sessions_aggregated.first_event.browser_family as browser_family,
        sessions_aggregated.first_event.os_family as os_family,
        -- noqa: enable=AL09
        sessions_aggregated.country,
        sessions_aggregated.is_bot,
        sessions_aggregated.first_dt,
        sessions_aggregated.last_dt
    from sessions_aggregated
)

select * from final
