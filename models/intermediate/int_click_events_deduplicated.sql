-- depends_on: {{ ref('stg_click_events__files') }}
{#- The batch's valid events, each flagged as the first landed copy of its event_id or a
    duplicate. The copy landed first wins: earliest dt, then file name, then line number, even
    when copies differ; copies already in fct_events (earlier landing days) always win. -#}
{%- set prior_events = prior_relation('fct_events') %}

with

valid_events as (
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

batch_ranked as (
    select
        *,
        row_number() over (partition by event_id order by dt, file_name, line_number) as landing_rank,
        first_value(dt) over (partition by event_id order by dt, file_name, line_number) as first_dt,
        first_value(file_name) over (partition by event_id order by dt, file_name, line_number) as first_file_name,
        first_value(line_number) over (partition by event_id order by dt, file_name, line_number) as first_line_number,
    from valid_events
),

final as (
    select
        batch_ranked.event_id,
        batch_ranked.user_id,
        batch_ranked.event_type,
        batch_ranked.event_ts,
        batch_ranked.page_url,
        batch_ranked.referrer,
        batch_ranked.user_agent,
        batch_ranked.ip,
        batch_ranked.properties,
        batch_ranked.extra_fields,
        batch_ranked.dt,
        batch_ranked.file_name,
        batch_ranked.line_number,
        history_events.event_id is not null or batch_ranked.landing_rank > 1 as is_duplicate,
        coalesce(history_events.dt, batch_ranked.first_dt) as kept_dt,
        coalesce(history_events.file_name, batch_ranked.first_file_name) as kept_file_name,
        coalesce(history_events.line_number, batch_ranked.first_line_number) as kept_line_number,
    from batch_ranked
    left join history_events
        on batch_ranked.event_id = history_events.event_id
)

select * from final
