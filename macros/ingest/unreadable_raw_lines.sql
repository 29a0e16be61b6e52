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


{% macro scan_raw_files(scan_table) -%}
    {#- Pre-hook of stg_click_events__file_reads: reads the batch's readable files once, in their
        read groups (raw_read_groups(): one read_raw_lines() scan per group, the reader and options
        of validation), and leaves in the connection's temporary table `<scan_table>_files` one row
        per file: file_path, read_group, group_position (1-based, in the group's scan order),
        group_row_offset (rows the scan returned for the files before it in its group) and
        unreadable_lines (the lines the reader rejected, not valid UTF-8 or longer than var
        max_line_bytes: a list of (line_number, reject_error), unreadable_lines_type()). The
        table always exists after the hook (empty without files).
        Dispatched; a no-op on Spark, whose reader numbers each file's rows from 1 and returns
        every line (raw_file_scans() describes its files without reading them). -#}
    {{- return(adapter.dispatch('scan_raw_files', 'clickstream')(scan_table)) -}}
{%- endmacro %}

{% macro default__scan_raw_files(scan_table) -%}
    {%- set groups = raw_read_groups(batch_readable_file_paths()) -%}
    {%- do run_query('drop table if exists temp.main.' ~ scan_table) -%}
    {%- do run_query('drop table if exists temp.main.' ~ scan_table ~ '_scans') -%}
    {%- set rejects_exist = false -%}
    {%- if groups -%}
        {%- set scan -%}
            create or replace temporary table {{ scan_table }}_returned as
            select filename as file_path, count(*) as returned_lines
            from (
            {%- for group in groups %}
                select filename from {{ read_raw_lines(group, scan_table) }}
                {%- if not loop.last %} union all{% endif %}
            {%- endfor %}
            )
            group by filename
        {%- endset -%}
        {%- do run_query(scan) -%}
        {%- set rejects_exist = run_query(
            "select count(*) from duckdb_tables() where temporary and table_name = '" ~ scan_table ~ "'"
        ).columns[0].values()[0] > 0 -%}
    {%- endif -%}
    create or replace temporary table {{ scan_table }}_files as
    {%- if groups %}
    with

    files as (
        {{ read_group_files(groups) }}
    ),

    rejected as (
        {%- if rejects_exist %}
        select
            file_path,
            list({'line_number': line_number, 'reject_error': reject_error} order by line_number) as unreadable_lines
        from (
            select
                scans.file_path,
                cast(errors.line as bigint) as line_number,
                string_agg(distinct errors.error_type, ', ' order by errors.error_type) as reject_error
            from temp.main.{{ scan_table }} as errors
            inner join temp.main.{{ scan_table }}_scans as scans
                on errors.scan_id = scans.scan_id and errors.file_id = scans.file_id
            group by scans.file_path, errors.line
        )
        group by file_path
        {%- else %}
        select
            cast(null as varchar) as file_path,
            cast(null as {{ unreadable_lines_type() }}) as unreadable_lines
        where false
        {%- endif %}
    ),

    final as (
        select
            files.file_path,
            files.read_group,
            files.group_position,
            coalesce(sum(coalesce(returned.returned_lines, 0)) over (
                partition by files.read_group
                order by files.group_position
                rows between unbounded preceding and 1 preceding
            ), 0) as group_row_offset,
            coalesce(rejected.unreadable_lines, cast([] as {{ unreadable_lines_type() }})) as unreadable_lines
        from files
        left join temp.main.{{ scan_table }}_returned as returned
            on files.file_path = returned.file_path
        left join rejected
            on files.file_path = rejected.file_path
    )

    select * from final
    {%- else %}
    {{ no_raw_file_scans() }}
    {%- endif %}
{%- endmacro %}

{% macro spark__scan_raw_files(scan_table) -%}
{%- endmacro %}


{% macro raw_file_scans(scan_table) -%}
    {#- A select of the batch's readable files as read by stg_click_events__lines (file_path,
        read_group, group_position, group_row_offset, unreadable_lines: a list of (line_number,
        reject_error)), the scan part of
        stg_click_events__file_reads. Dispatched: DuckDB reads the temporary table that
        scan_raw_files() filled; Spark lists the read groups (raw_read_groups()) without reading
        the files: its reader numbers each file's rows from 1 (offset 0) and returns every line
        (an empty list; unreadable_line_error() judges them in int_click_events_validated). -#}
    {{- return(adapter.dispatch('raw_file_scans', 'clickstream')(scan_table)) -}}
{%- endmacro %}

{% macro default__raw_file_scans(scan_table) -%}
    select
        file_path,
        read_group,
        group_position,
        group_row_offset,
        unreadable_lines
    from temp.main.{{ scan_table }}_files
{%- endmacro %}

{% macro spark__raw_file_scans(scan_table) -%}
    {%- set groups = raw_read_groups(batch_readable_file_paths()) -%}
    {%- if groups %}
    select
        file_path,
        read_group,
        group_position,
        cast(0 as bigint) as group_row_offset,
        cast(array() as {{ unreadable_lines_type() }}) as unreadable_lines
    from ({{ read_group_files(groups) }}) as files
    {%- else %}
    {{ no_raw_file_scans() }}
    {%- endif %}
{%- endmacro %}

{% macro read_group_files(groups) -%}
    {#- A select of the files of `groups` (raw_read_groups()): file_path, read_group (0-based) and
        group_position (1-based, the scan's order), one row per file. Engine-neutral; the paths
        are quoted as stg_click_events__files quotes them (quotes doubled, which both engines
        read back as one quote), so the two join on file_path. -#}
    select
        file_path,
        read_group,
        group_position
    from (
        values
        {%- for group in groups %}
            {%- set read_group = loop.index0 %}
            {%- for path in group %}
        ('{{ path | replace("'", "''") }}', {{ read_group }}, {{ loop.index }}){{ ',' if not loop.last }}
            {%- endfor %}{{ ',' if not loop.last }}
        {%- endfor %}
    ) as read_group_files (file_path, read_group, group_position)
{%- endmacro %}

{% macro no_raw_file_scans() -%}
    {#- A select of no row with the columns of raw_file_scans() (engine-neutral types). -#}
    select
        cast(null as string) as file_path,
        cast(null as int) as read_group,
        cast(null as int) as group_position,
        cast(null as bigint) as group_row_offset,
        cast(null as {{ unreadable_lines_type() }}) as unreadable_lines
    where false
{%- endmacro %}


{% macro unreadable_lines_type() -%}
    {#- The SQL type of stg_click_events__file_reads.unreadable_lines: a list of
        (line_number bigint, reject_error string) structs. Dispatched. -#}
    {{- return(adapter.dispatch('unreadable_lines_type', 'clickstream')()) -}}
{%- endmacro %}

{% macro default__unreadable_lines_type() -%}
    struct(line_number bigint, reject_error varchar)[]
{%- endmacro %}

{% macro spark__unreadable_lines_type() -%}
    array<struct<line_number: bigint, reject_error: string>>
{%- endmacro %}


{% macro batch_read_groups() -%}
    {#- The read groups recorded in stg_click_events__file_reads, as a list of lists of paths in
        scan order (what stg_click_events__lines reads, one scan per group); an empty list when
        not executing or before any batch is chosen (no stg_click_events__files either: a
        linter's empty target), a compiler error when the batch is chosen but that model is not
        built. Runs one query when the model is compiled. -#}
    {%- if not execute -%}
        {{- return([]) -}}
    {%- endif -%}
    {%- set file_reads = load_relation(ref('stg_click_events__file_reads')) -%}
    {%- if file_reads is none and load_relation(ref('stg_click_events__files')) is none -%}
        {{- return([]) -}}
    {%- elif file_reads is none -%}
        {{- exceptions.raise_compiler_error(
            "stg_click_events__lines reads the files that stg_click_events__file_reads lists, which is not built "
            ~ "in this warehouse: build it first, e.g. dbt build --select +stg_click_events__lines") -}}
    {%- endif -%}
    {%- set rows = run_query(
        'select read_group, file_path from ' ~ file_reads ~ ' order by read_group, group_position'
    ).rows -%}
    {%- set groups = [] -%}
    {%- set current = namespace(group=none) -%}
    {%- for row in rows -%}
        {%- if row[0] != current.group -%}
            {%- do groups.append([]) -%}
            {%- set current.group = row[0] -%}
        {%- endif -%}
        {%- do groups[-1].append(row[1]) -%}
    {%- endfor -%}
    {{- return(groups) -}}
{%- endmacro %}


{% macro unreadable_raw_lines(file_reads) -%}
    {#- A select of the lines the reader rejected (dt, file_name, line_number, reject_error in
        DuckDB's words, e.g. 'INVALID ENCODING'), one row per line of the unreadable_lines lists of
        `file_reads` (stg_click_events__file_reads). Dispatched: on Spark none (its reader returns
        every line, and unreadable_line_error() judges them in int_click_events_validated). -#}
    {{- return(adapter.dispatch('unreadable_raw_lines', 'clickstream')(file_reads)) -}}
{%- endmacro %}

{% macro default__unreadable_raw_lines(file_reads) -%}
    select
        dt,
        file_name,
        unreadable_line.line_number,
        unreadable_line.reject_error
    from (
        select
            dt,
            file_name,
            unnest(unreadable_lines) as unreadable_line
        from {{ file_reads }}
    )
{%- endmacro %}

{% macro spark__unreadable_raw_lines(file_reads) -%}
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
