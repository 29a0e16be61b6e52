{#- The sessions recomputed in this run, aggregated from int_events_sessionized (which holds
    every event of each of these sessions). -#}
with

sessionized_events as (
    select * from {{ ref('int_events_sessionized') }}
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
        arg_min(page_url, (event_ts, event_id)) filter (where event_type = 'page_view') as landing_page,
        arg_max(page_url, (event_ts, event_id)) filter (where event_type = 'page_view') as exit_page,
        bool_or(event_type = 'purchase') as has_purchase,
        min(dt) as first_dt,
        max(dt) as last_dt,
    from sessionized_events
    group by session_id, user_id
)

select * from final
