-- The landing zone, for the lineage graph (files are listed by raw_file_paths_sql(), see refresh_batch_files()):
-- depends_on: {{ source('raw', 'click_events') }}
{#- The raw files this run processes (the batch). Which landing days form the batch, and the
    guard against processing days out of order, live in the refresh_batch_files() macro. -#}
{%- set files = refresh_batch_files() if execute else [] -%}

{%- if files %}
with batch_files as (
    select
        cast(landed_files.dt as date) as dt,
        landed_files.file_path,
        landed_files.file_name
    from (
        values
        {%- for file in files %}
            ('{{ file.dt }}', '{{ file.file_path | replace("'", "''") }}', '{{ file.file_name | replace("'", "''") }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as landed_files (dt, file_path, file_name)
)
{%- else %}
with batch_files as (
    select
        cast(null as date) as dt,
        cast(null as {{ dbt.type_string() }}) as file_path,
        cast(null as {{ dbt.type_string() }}) as file_name
    where false
)
{%- endif %}

select * from batch_files
