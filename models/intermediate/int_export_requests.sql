-- depends_on: {{ ref('int_refresh_changed_partitions') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
    )
}}
{#- The export's work list, kept across runs (append-only; never rebuilt, even by --full-refresh):
    each dbt build appends the export partitions it is about to change, numbered after the rows
    already here, before any exported mart changes (every exported mart depends on this model).
    A partition_date of null asks for the table whole: every partition rewritten, partitions the
    table no longer holds removed (a full refresh or a new warehouse). The Parquet export
    (`clickstream export`, run by every `clickstream refresh`) writes every row after the last one
    it finished (recorded in <export root>/_export_state.json), so a run killed at any moment,
    between its build and its export included, is exported by the next one. -#}
{%- set whole = flags.FULL_REFRESH or not is_incremental() %}
{%- set tables = exported_partitioned_tables() %}

with

requested as (
    {%- if whole and tables %}
    select
        exported.table_name,
        cast(null as date) as partition_date
    from (
        values
        {%- for table_name, partition_column in tables %}
        ('{{ table_name }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as exported (table_name)
    {%- elif whole %}
    select
        cast(null as string) as table_name,
        cast(null as date) as partition_date
    where false
    {%- else %}
    select
        table_name,
        partition_date
    from {{ ref('int_refresh_changed_partitions') }}
    {%- endif %}
),

final as (
    select
        {%- if is_incremental() %}
        coalesce((select max(prior.request_id) from {{ this }} as prior), 0) + 1 as request_id,
        {%- else %}
        cast(1 as bigint) as request_id,
        {%- endif %}
        '{{ invocation_id }}' as dbt_invocation_id,
        requested.table_name,
        requested.partition_date
    from requested
)

select * from final
