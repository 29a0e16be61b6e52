-- depends_on: {{ ref('stg_click_events__files') }}
{#- The deduplication rule, on the key columns only: one row per valid line of the batch that is
    a later copy of an event, with the copy that is kept. The copy landed first wins: earliest
    dt, then file name, then line number, even when copies differ; copies already in fct_events
    (earlier landing days) always win. A narrow table (about 1 % of the lines on real data), so
    the wide event rows are not written again just to carry a flag: int_click_events_deduplicated
    joins it to the validated lines. -#}
{%- set prior_events = prior_relation('fct_events') %}

with

valid_events as {{ inline_cte_hint() }} (
    select
        event_id,
        dt,
        file_name,
        line_number
    from {{ ref('int_click_events_validated') }}
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

later_batch_copies as (
    select
        event_id,
        dt,
        file_name,
        line_number,
        first_dt as kept_dt,
        first_file_name as kept_file_name,
        first_line_number as kept_line_number
    from repeats_ranked
    where landing_rank > 1
),

copies_of_stored_events as (
    {#- Every batch copy of an event stored from an earlier landing day, the batch's first copy
        included. -#}
    select
        valid_events.event_id,
        valid_events.dt,
        valid_events.file_name,
        valid_events.line_number,
        history_events.dt as kept_dt,
        history_events.file_name as kept_file_name,
        history_events.line_number as kept_line_number
    from valid_events
    inner join history_events
        on valid_events.event_id = history_events.event_id
),

final as (
    select * from copies_of_stored_events
    union all
    select later_batch_copies.*
    from later_batch_copies
    anti join copies_of_stored_events
        on
            later_batch_copies.dt = copies_of_stored_events.dt
            and later_batch_copies.file_name = copies_of_stored_events.file_name
            and later_batch_copies.line_number = copies_of_stored_events.line_number
)

select * from final
