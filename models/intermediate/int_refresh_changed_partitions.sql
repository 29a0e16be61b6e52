-- depends_on: {{ ref('stg_click_events__files') }}
{#- The export partitions (table, date) whose content this run can change; the Parquet export
    rewrites exactly these. Computed before the marts change, from the batch and the marts'
    previous state. The tables are the exported marts, from their own config (meta.export
    partition_column): by event_date the batch's event dates, by session_date the dates of the
    sessions it rebuilds or replaces, by dt its landing days. -#}
{%- set prior_events = prior_relation('fct_events') %}
{#- (sqlfluff takes the indentation of the Jinja loop below for SQL's) -#}
-- noqa: disable=LT02
{#- the partition columns whose changed dates `changed` below computes -#}
{%- set known_columns = ['event_date', 'session_date', 'dt'] -%}
{%- set export_tables = exported_partitioned_tables() -%}
{%- for table_name, partition_column in export_tables if partition_column not in known_columns -%}
    {%- set message -%}
        {{ table_name }} is exported by {{ partition_column }} (its meta.export.partition_column), but
        {{ this.identifier }} knows the changed dates of {{ known_columns | join(', ') }} only: say there
        which dates of {{ partition_column }} a run changes, or export it by one of those.
    {%- endset -%}
    {{- exceptions.raise_compiler_error(message.split() | join(' ')) }}
{%- endfor %}
-- noqa: enable=LT02

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

exported_tables as (
    {%- if export_tables %}
    select
        exported.table_name,
        exported.partition_column
    from (
        values
        {%- for table_name, partition_column in export_tables %}
        ('{{ table_name }}', '{{ partition_column }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as exported (table_name, partition_column)
    {%- else %}
    select
        cast(null as string) as table_name,
        cast(null as string) as partition_column
    where false
    {%- endif %}
),

changed as (
    select
        exported_tables.table_name,
        event_dates.event_date as partition_date
    from event_dates
    inner join exported_tables on exported_tables.partition_column = 'event_date'
    union all
    select
        exported_tables.table_name,
        session_dates.session_date as partition_date
    from session_dates
    inner join exported_tables on exported_tables.partition_column = 'session_date'
    union all
    select
        exported_tables.table_name,
        batch_files.dt as partition_date
    from batch_files
    inner join exported_tables on exported_tables.partition_column = 'dt'
),

final as (
    select distinct
        table_name,
        partition_date
    from changed
    where partition_date is not null
)

select * from final
