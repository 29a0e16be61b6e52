{{ config(pre_hook="{{ scan_raw_files('raw_file_scan') }}") }}
{#- How the batch's readable files are read: the scan (read group) that reads each file, its
    place in that scan, and the row offset that turns the scan's row numbers into the file's own
    (stg_click_events__lines). The pre-hook reads the files once for the offsets and to count the
    lines the reader rejects (scan_raw_files(); raw_file_scans() on Spark, without reading). -#}

with

files as (
    select
        dt,
        file_path,
        file_name
    from {{ ref('stg_click_events__files') }}
),

scans as (
    {{ raw_file_scans('raw_file_scan') }}
),

final as (
    select
        files.dt,
        files.file_path,
        files.file_name,
        scans.read_group,
        scans.group_position,
        scans.group_row_offset,
        scans.unreadable_lines
    from files
    inner join scans
        on files.file_path = scans.file_path
)

select * from final
