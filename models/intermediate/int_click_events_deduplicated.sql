-- depends_on: {{ ref('stg_click_events__files') }}
{#- The batch's valid events, each flagged as the first landed copy of its event_id or a
    duplicate. The copy landed first wins: earliest dt, then file name, then line number, even
    when copies differ; copies already in fct_events (earlier landing days) always win. -#}
{%- set prior_events = prior_relation('fct_events') %}

with

valid_events as {{ inline_cte_hint() }} (
    select * from {{ ref('int_click_events_validated') }}
    where is_valid
),

history_events as (
    {%- if prior_events is not none %}
    select event_id, dt, file_name, line_number
    from {{ prior_events }}
    where dt < {{ batch_min_dt() }}
    {%- else %}
    select
        event_id,
        dt,
        file_name,
        line_number
    from valid_events
    where false
    {%- endif %}
),

repeated_event_ids as (
    {#- Most event ids occur once: only the repeated ones are ranked (a hash aggregate over the id
        instead of sorting every event). -#}
    select event_id
    from valid_events
    group by event_id
    having count(*) > 1
),

repeats_ranked as (
    select
        valid_events.event_id,
        valid_events.dt,
        valid_events.file_name,
        valid_events.line_number,
        row_number() over landing_order as landing_rank,
        first_value(valid_events.dt) over landing_order as first_dt,
        first_value(valid_events.file_name) over landing_order as first_file_name,
        first_value(valid_events.line_number) over landing_order as first_line_number
    from valid_events
    semi join repeated_event_ids
        on valid_events.event_id = repeated_event_ids.event_id
    window landing_order as (
        partition by valid_events.event_id
        order by valid_events.dt, valid_events.file_name, valid_events.line_number
    )
),

final as (
    select
        valid_events.event_id,
        valid_events.user_id,
        valid_events.event_type,
        valid_events.event_ts,
        valid_events.page_url,
        valid_events.referrer,
        valid_events.user_agent,
        valid_events.ip,
        valid_events.properties,
        valid_events.extra_fields,
        valid_events.dt,
        valid_events.file_name,
        valid_events.line_number,
        history_events.event_id is not null or coalesce(repeats_ranked.landing_rank > 1, false) as is_duplicate,
        coalesce(history_events.dt, repeats_ranked.first_dt, valid_events.dt) as kept_dt,
        coalesce(history_events.file_name, repeats_ranked.first_file_name, valid_events.file_name) as kept_file_name,
        coalesce(history_events.line_number, repeats_ranked.first_line_number, valid_events.line_number)
            as kept_line_number
    from valid_events
    left join repeats_ranked
        on
            valid_events.event_id = repeats_ranked.event_id
            and valid_events.dt = repeats_ranked.dt
            and valid_events.file_name = repeats_ranked.file_name
            and valid_events.line_number = repeats_ranked.line_number
    left join history_events
        on valid_events.event_id = history_events.event_id
)

select * from final
