-- depends_on: {{ ref('stg_click_events__files') }}
{#- The export partitions (table, date) whose content this run can change; the Parquet export
    rewrites exactly these. Computed before the marts change, from the batch and the marts'
    previous state. -#}
{%- set prior_events = prior_relation('fct_events') %}

with

sessionized_events as (
    select * from {{ ref('int_events_sessionized') }}
),

rebuilt_sessions as (
    select * from {{ ref('int_sessions_rebuilt') }}
),

replaced_sessions as (
    select * from {{ ref('int_sessions_replaced') }}
),

batch_files as (
    select * from {{ ref('stg_click_events__files') }}
),

event_dates as (
    select event_date from sessionized_events
    {%- if prior_events is not none %}
    union
    select event_date from {{ prior_events }}
    where dt >= {{ batch_min_dt() }}
    {%- endif %}
),

changed as (
    select
        'fct_events' as table_name,
        event_date as partition_date
    from event_dates
    union
    select
        'agg_daily_clicks' as table_name,
        event_date as partition_date
    from event_dates
    union
    select
        'fct_sessions' as table_name,
        session_date as partition_date
    from rebuilt_sessions
    union
    select
        'fct_sessions' as table_name,
        session_date as partition_date
    from replaced_sessions
    union
    select
        'quarantined_events' as table_name,
        dt as partition_date
    from batch_files
),

final as (
    select
        table_name,
        partition_date,
    from changed
    where partition_date is not null
)

select * from final
