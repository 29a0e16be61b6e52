-- The landing zone, for the lineage graph (files are listed by raw_file_paths_sql(), see refresh_batch_files()):
-- depends_on: {{ source('raw', 'click_events') }}
-- The file check log, whose records say which files are read (see checked_batch_files()):
-- depends_on: {{ ref('stg_click_events__file_checks') }}
{#- The raw files this run processes (the batch), each with its file check: the files
    quarantined at file level (file_quarantine_reason not NULL) are in the batch, so that their
    day is processed and they are listed in quarantined_files, but stg_click_events__lines does
    not read them. Which landing days form the batch, and the guard against processing days out
    of order, live in the refresh_batch_files() macro. -#}
{%- set files = refresh_batch_files() if execute else [] -%}

{%- if files %}
with batch_files as (
    select
        cast(landed_files.dt as date) as dt,
        landed_files.file_path,
        landed_files.relative_path,
        landed_files.file_name,
        landed_files.file_quarantine_reason,
        cast(landed_files.size_bytes as bigint) as size_bytes
    from (
        values
        {%- for file in files %}
            (
                '{{ file.dt }}',
                '{{ file.file_path | replace("'", "''") }}',
                '{{ file.relative_path | replace("'", "''") }}',
                '{{ file.file_name | replace("'", "''") }}',
                {{ "'" ~ file.quarantine_reason ~ "'" if file.quarantine_reason else "cast(null as " ~ dbt.type_string() ~ ")" }},
                {{ file.size_bytes if file.size_bytes is not none else "cast(null as bigint)" }}
            ){{ "," if not loop.last }}
        {%- endfor %}
    ) as landed_files (dt, file_path, relative_path, file_name, file_quarantine_reason, size_bytes)
)
{%- else %}
with batch_files as (
    select
        cast(null as date) as dt,
        cast(null as {{ dbt.type_string() }}) as file_path,
        cast(null as {{ dbt.type_string() }}) as relative_path,
        cast(null as {{ dbt.type_string() }}) as file_name,
        cast(null as {{ dbt.type_string() }}) as file_quarantine_reason,
        cast(null as bigint) as size_bytes
    where false
)
{%- endif %}

select * from batch_files
