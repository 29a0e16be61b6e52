-- depends_on: {{ ref('stg_click_events__files') }}
{{
    config(
        pre_hook="drop table if exists temp.main.raw_line_rejects; drop table if exists temp.main.raw_line_rejects_scans",
        post_hook="{{ append_rejected_raw_lines('raw_line_rejects') }}",
    )
}}
{#- Every line of the batch's raw files, read once as text. Lines DuckDB cannot read as text
    (invalid UTF-8, longer than var max_line_bytes) are appended by the post-hook with their
    line number and the reader's error. Transient: holds only the current batch. -#}
{%- set file_paths = [] -%}
{%- set batch_files = load_relation(ref('stg_click_events__files')) if execute else none -%}
{%- if batch_files is not none -%}
    {%- set file_paths = run_query('select file_path from ' ~ batch_files ~ ' order by file_path').columns[0].values() | list -%}
{%- endif %}

{%- if file_paths %}
with raw_lines as (
    select * from {{ read_raw_lines(file_paths, 'raw_line_rejects') }}
),

lines_in_file_order as (
    select
        dt,
        filename as file_path,
        ordinality - min(ordinality) over (partition by filename) + 1 as file_row_index,
        line_text,
    from raw_lines
),

final as (
    select
        dt,
        file_path,
        regexp_extract(file_path, '[^/]+$') as file_name,
        file_row_index,
        line_text,
        null::bigint as rejected_line_number,
        null::varchar as reject_error,
    from lines_in_file_order
)
{%- else %}
with final as (
    select
        null::date as dt,
        null::varchar as file_path,
        null::varchar as file_name,
        null::bigint as file_row_index,
        null::varchar as line_text,
        null::bigint as rejected_line_number,
        null::varchar as reject_error,
    where false
)
{%- endif %}

select * from final
