{#- Every record of the file check log (<warehouse dir>/file_checks.jsonl, written by
    `clickstream refresh` / `clickstream check-files`, clickstream/ingest/file_check.py): one row
    per landed file that was checked, with the outcome; the first record of a path wins, a
    half-written line is left out (file_check_records_sql()). Empty when there is no log yet. -#}
{%- set path = file_checks_path() -%}

{%- if file_checks_exist(path) %}
with file_checks as (
    {{ file_check_records_sql(path) }}
)
{%- else %}
with file_checks as (
    select
        cast(null as {{ dbt.type_string() }}) as file_path,
        cast(null as date) as dt,
        cast(null as {{ dbt.type_string() }}) as file_name,
        cast(null as {{ dbt.type_string() }}) as file_type,
        cast(null as {{ dbt.type_string() }}) as quarantine_reason,
        cast(null as {{ dbt.type_string() }}) as quarantine_detail,
        cast(null as bigint) as size_bytes,
        cast(null as {{ dbt.type_string() }}) as sha256
    where false
)
{%- endif %}

select * from file_checks
