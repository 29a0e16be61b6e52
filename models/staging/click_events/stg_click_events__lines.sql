{{ config(materialized='view') }}
-- depends_on: {{ ref('stg_click_events__files') }}
{#- Every line of the batch's raw files as text, with its file and its row index in the file:
    a view, so the raw text is read once, by int_click_events_validated, and never stored. Each
    file is its own read_csv() scan, so `ordinality` is the row's index within its file. Lines
    the reader cannot return as text (invalid UTF-8, longer than var max_line_bytes) are not
    returned (DuckDB; they go to the temporary rejects table raw_line_rejects of the reading
    connection): stg_click_events__unreadable_lines lists them, and int_click_events_validated
    quarantines them and numbers the returned rows past them. The SQL is engine-neutral (no trailing commas, portable casts); the
    reading itself is the dispatched read_raw_lines(). -#}
{%- set file_paths = batch_readable_file_paths() %}

{%- if file_paths %}
with raw_lines as (
{%- for path in file_paths %}
    select
        dt,
        filename as file_path,
        ordinality as file_row_index,
        line_text
    from {{ read_raw_lines([path], 'raw_line_rejects') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}
),

final as (
    select
        dt,
        file_path,
        regexp_extract(file_path, '[^/]+$', 0) as file_name,
        -- bigint on every engine (Spark's reader numbers rows with an int)
        cast(file_row_index as bigint) as file_row_index,
        -- an empty line is '' on every engine (DuckDB's reader returns NULL for it)
        coalesce(line_text, '') as line_text
    from raw_lines
)
{%- else %}
with final as (
    select
        cast(null as date) as dt,
        cast(null as {{ dbt.type_string() }}) as file_path,
        cast(null as {{ dbt.type_string() }}) as file_name,
        cast(null as bigint) as file_row_index,
        cast(null as {{ dbt.type_string() }}) as line_text
    where false
)
{%- endif %}

select * from final
