{% macro batch_readable_file_paths() -%}
    {#- The paths of the batch's files that are read line by line (stg_click_events__files: not
        the files quarantined at file level, nor empty files, which have no line and which
        Spark's reader skips), in path order; an empty list when not executing or before the
        batch is chosen. Runs one query when the model is compiled. -#}
    {%- set batch_files = load_relation(ref('stg_click_events__files')) if execute else none -%}
    {%- if batch_files is none -%}
        {{- return([]) -}}
    {%- endif -%}
    {%- set readable = ' where file_quarantine_reason is null and size_bytes > 0' -%}
    {{- return(run_query('select file_path from ' ~ batch_files ~ readable ~ ' order by file_path').columns[0].values() | list) -}}
{%- endmacro %}


{% macro scan_unreadable_raw_lines(rejects_table) -%}
    {#- Pre-hook of stg_click_events__unreadable_lines: reads the batch's raw files once, with the
        reader and options of read_raw_lines(), only to collect the lines it rejects (DuckDB:
        not valid UTF-8, longer than var max_line_bytes) into the connection's temporary table
        `<rejects_table>_found` (dt, file_name, line_number, reject_error), which the model then
        selects. The table always exists after the hook (empty without files or rejects).
        Dispatched; a no-op on Spark, whose reader returns every line. -#}
    {{- return(adapter.dispatch('scan_unreadable_raw_lines', 'clickstream')(rejects_table)) -}}
{%- endmacro %}

{% macro default__scan_unreadable_raw_lines(rejects_table) -%}
    {%- set file_paths = batch_readable_file_paths() -%}
    {%- do run_query('drop table if exists temp.main.' ~ rejects_table) -%}
    {%- do run_query('drop table if exists temp.main.' ~ rejects_table ~ '_scans') -%}
    {%- set rejects_exist = false -%}
    {%- if file_paths -%}
        {%- set scan -%}
            select count(*) from (
            {%- for path in file_paths %}
                select 1 from {{ read_raw_lines([path], rejects_table) }}
                {%- if not loop.last %} union all{% endif %}
            {%- endfor %}
            )
        {%- endset -%}
        {%- do run_query(scan) -%}
        {%- set rejects_exist = run_query(
            "select count(*) from duckdb_tables() where temporary and table_name = '" ~ rejects_table ~ "'"
        ).columns[0].values()[0] > 0 -%}
    {%- endif -%}
    create or replace temporary table {{ rejects_table }}_found as
    {%- if rejects_exist %}
    select
        regexp_extract(scans.file_path, '/dt=([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1)::date as dt,
        regexp_extract(scans.file_path, '[^/]+$') as file_name,
        cast(errors.line as bigint) as line_number,
        string_agg(distinct errors.error_type, ', ' order by errors.error_type) as reject_error
    from temp.main.{{ rejects_table }} as errors
    inner join temp.main.{{ rejects_table }}_scans as scans
        on errors.scan_id = scans.scan_id and errors.file_id = scans.file_id
    group by 1, 2, 3
    {%- else %}
    {{ no_unreadable_lines() }}
    {%- endif %}
{%- endmacro %}

{% macro spark__scan_unreadable_raw_lines(rejects_table) -%}
{%- endmacro %}


{% macro unreadable_raw_lines(rejects_table) -%}
    {#- A select of the lines the reader rejected (dt, file_name, line_number, reject_error in
        DuckDB's words, e.g. 'INVALID ENCODING'): on DuckDB the table that
        scan_unreadable_raw_lines() filled; on Spark none (its reader returns every line, and
        unreadable_line_error() judges them in int_click_events_validated). Dispatched. -#}
    {{- return(adapter.dispatch('unreadable_raw_lines', 'clickstream')(rejects_table)) -}}
{%- endmacro %}

{% macro default__unreadable_raw_lines(rejects_table) -%}
    select dt, file_name, line_number, reject_error
    from temp.main.{{ rejects_table }}_found
{%- endmacro %}

{% macro spark__unreadable_raw_lines(rejects_table) -%}
    {{ no_unreadable_lines() }}
{%- endmacro %}


{% macro no_unreadable_lines() -%}
    {#- A select of no row with the columns of unreadable_raw_lines() (engine-neutral types). -#}
    select
        cast(null as date) as dt,
        cast(null as string) as file_name,
        cast(null as bigint) as line_number,
        cast(null as string) as reject_error
    where false
{%- endmacro %}


{% macro line_shift_buckets(intervals, bucket_rows) -%}
    {#- One row per bucket of `bucket_rows` returned rows that a closed interval of line shifts
        [from_row, to_row] covers (columns dt, file_name, bucket, from_row, to_row, shift), so
        that the validated lines find their shift with an equality join on (dt, file_name,
        bucket) instead of a range join. Dispatched: DuckDB generate_series, Spark sequence. -#}
    {{- return(adapter.dispatch('line_shift_buckets', 'clickstream')(intervals, bucket_rows)) -}}
{%- endmacro %}

{% macro default__line_shift_buckets(intervals, bucket_rows) -%}
    select
        dt,
        file_name,
        unnest(generate_series(from_row // {{ bucket_rows }}, to_row // {{ bucket_rows }})) as bucket,
        from_row,
        to_row,
        shift
    from {{ intervals }}
    where to_row is not null
{%- endmacro %}

{% macro spark__line_shift_buckets(intervals, bucket_rows) -%}
    select
        dt,
        file_name,
        explode(sequence(div(from_row, {{ bucket_rows }}), div(to_row, {{ bucket_rows }}))) as bucket,
        from_row,
        to_row,
        shift
    from {{ intervals }}
    where to_row is not null
{%- endmacro %}
