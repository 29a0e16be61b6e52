{{ config(materialized='view') }}
-- depends_on: {{ ref('stg_click_events__files') }}
{#- Every line of the batch's raw files as text, with its file and its row index in the file:
    a view, so the raw text is read once, by int_click_events_validated, and never stored. The
    files are read by a bounded number of scans (stg_click_events__file_reads: one scan per read
    group, each reading its files one after the other), so memory does not grow with the number
    of files; a scan numbers its rows in one stream, and subtracting the rows of the files before
    a file in its scan (group_row_offset) gives the row's index within its file. Lines the reader
    cannot return as text (invalid UTF-8, longer than var max_line_bytes) are not returned
    (DuckDB; they go to the temporary rejects table raw_line_rejects of the reading connection):
    stg_click_events__unreadable_lines lists them, and int_click_events_validated quarantines
    them and numbers the returned rows past them. The SQL is engine-neutral (no trailing commas,
    portable casts); the reading itself is the dispatched read_raw_lines(). -#}
{%- set read_groups = batch_read_groups() %}

{%- if read_groups %}
with raw_lines as (
{%- for file_paths in read_groups %}
    select
        dt,
        filename as file_path,
        ordinality as scan_row_index,
        line_text
    from {{ read_raw_lines(file_paths, 'raw_line_rejects') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}
),

file_reads as (
    select
        file_path,
        group_row_offset
    from {{ ref('stg_click_events__file_reads') }}
),

final as (
    select
        raw_lines.dt,
        raw_lines.file_path,
        regexp_extract(raw_lines.file_path, '[^/]+$', 0) as file_name,
        -- bigint on every engine (Spark's reader numbers rows with an int)
        cast(raw_lines.scan_row_index - file_reads.group_row_offset as bigint) as file_row_index,
        -- an empty line is '' on every engine (DuckDB's reader returns NULL for it)
        coalesce(raw_lines.line_text, '') as line_text
    from raw_lines
    inner join file_reads
        on raw_lines.file_path = file_reads.file_path
)
{%- else %}
-- depends_on: {{ ref('stg_click_events__file_reads') }}
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
