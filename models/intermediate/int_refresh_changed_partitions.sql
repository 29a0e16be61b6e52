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

session_dates as (
    select session_date from rebuilt_sessions
    union
    select session_date from replaced_sessions
),

event_date_tables as (
    select event_tables.table_name
    from (values ('fct_events'), ('fct_page_views'), ('agg_daily_clicks')) as event_tables (table_name)
),

session_date_tables as (
    select session_tables.table_name
    from (values ('fct_sessions'), ('agg_daily_traffic'), ('agg_daily_funnel')) as session_tables (table_name)
),

changed as (
    select
        event_date_tables.table_name,
        event_dates.event_date as partition_date
    from event_dates
    cross join event_date_tables
    union all
    select
        session_date_tables.table_name,
        session_dates.session_date as partition_date
    from session_dates
    cross join session_date_tables
    union all
    select
        'quarantined_events' as table_name,
        batch_files.dt as partition_date
    from batch_files
),

final as (
    select distinct
        table_name,
        partition_date
    from changed
    where partition_date is not null
)

select * from final
