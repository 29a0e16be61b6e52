{% macro file_checks_path() -%}
    {#- The check log that clickstream/ingest/file_check.py writes (one JSON record per landed
        file): var file_checks_path, else file_checks.jsonl next to the warehouse file
        ($CLICKSTREAM_WAREHOUSE, default data/warehouse/clickstream.duckdb); '' while parsing, so
        that parsing records no warehouse path and dbt's saved parse state fits every warehouse
        (clickstream/pipeline/dbt_process.py). -#}
    {%- if not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set configured = var('file_checks_path', none) -%}
    {%- if configured is none or configured == '' -%}
        {%- set warehouse = env_var('CLICKSTREAM_WAREHOUSE', 'data/warehouse/clickstream.duckdb') -%}
        {%- set configured = (warehouse.rsplit('/', 1)[0] if '/' in warehouse else '.') ~ '/file_checks.jsonl' -%}
    {%- endif -%}
    {{- return(configured) -}}
{%- endmacro %}


{% macro file_checks_exist(path) -%}
    {#- Whether the check log exists (a query at compile time; false while parsing). -#}
    {%- if not execute -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set found = run_query(file_checks_exist_sql(path | replace("'", "''"))).columns[0].values() -%}
    {{- return((found | first) | int > 0) -}}
{%- endmacro %}


{% macro file_checks_exist_sql(path) -%}
    {#- A query of one row and column: 1 when the file at path exists, else 0. Dispatched. -#}
    {{- return(adapter.dispatch('file_checks_exist_sql', 'clickstream')(path)) -}}
{%- endmacro %}

{% macro default__file_checks_exist_sql(path) -%}
    select count(*) from glob('{{ path }}')
{%- endmacro %}

{% macro spark__file_checks_exist_sql(path) -%}
    {#- Spark has no SQL to test that a path exists, and a read of a missing path fails: list the
        log's directory (recursiveFileLookup: no partition discovery among its folders; only the
        path column, so nothing is read) and look for the log's path. -#}
    {%- set folder, name = path.rsplit('/', 1) -%}
    select count(*)
    from binaryFile.`{{ folder | replace('`', '``') }}` with ('pathGlobFilter' = '{{ name }}', 'recursiveFileLookup' = 'true')
    where regexp_replace(path, '^file:', '') = '{{ path }}'
{%- endmacro %}


{% macro file_check_records_sql(path) -%}
    {#- A query of the check log at path: one row per landed file (the first record of its path,
        as file_check.py reads it), columns file_path (relative to the raw root), dt, file_name,
        file_type, quarantine_reason (NULL: the file is read), quarantine_detail, size_bytes,
        sha256. A line that is not a complete JSON record (a half-written last line) is left out.
        The log's lines are read by the dispatched file_check_lines_sql(). -#}
    select
        file_path,
        cast(dt as date) as dt,
        file_name,
        file_type,
        quarantine_reason,
        quarantine_detail,
        cast(size_bytes as bigint) as size_bytes,
        sha256
    from (
        select
            records.*,
            row_number() over (partition by records.file_path order by records.record_number) as copy_number
        from ({{ file_check_lines_sql(path) }}) as records
        where records.file_path is not null
    ) as numbered
    where copy_number = 1
{%- endmacro %}


{% macro file_check_lines_sql(path) -%}
    {#- The check log's valid JSON lines with their fields as text and record_number (1-based
        line number). Dispatched. -#}
    {{- return(adapter.dispatch('file_check_lines_sql', 'clickstream')(path)) -}}
{%- endmacro %}

{% macro default__file_check_lines_sql(path) -%}
    {%- set fields = ['file_path', 'dt', 'file_name', 'file_type', 'quarantine_reason', 'quarantine_detail', 'size_bytes', 'sha256'] -%}
    select
        {%- for field in fields %}
        json_extract_string(line, '$.{{ field }}') as {{ field }},
        {%- endfor %}
        ordinality as record_number
    from read_csv(
        '{{ path | replace("'", "''") }}',
        columns = {'line': 'VARCHAR'},
        header = false,
        auto_detect = false,
        delim = chr(0),
        quote = '',
        escape = '',
        strict_mode = false
    ) with ordinality
    where json_valid(line) and starts_with(line, '{')
{%- endmacro %}

{% macro spark__file_check_lines_sql(path) -%}
    {%- set fields = ['file_path', 'dt', 'file_name', 'file_type', 'quarantine_reason', 'quarantine_detail', 'size_bytes', 'sha256'] -%}
    select
        {%- for field in fields %}
        get_json_object(value, '$.{{ field }}') as {{ field }},
        {%- endfor %}
        row_number() over (order by _metadata.file_block_start, monotonically_increasing_id()) as record_number
    from text.`{{ path | replace('`', '``') }}`
    where try_parse_json(value) is not null and startswith(value, '{')
{%- endmacro %}


{% macro file_check_records() -%}
    {#- The check log's records as a dict: relative file path -> {dt, file_name,
        quarantine_reason, size_bytes} (strings; quarantine_reason none when the file is read).
        Empty when the log does not exist. -#}
    {%- set path = file_checks_path() -%}
    {%- set records = {} -%}
    {%- if not file_checks_exist(path) -%}
        {{- return(records) -}}
    {%- endif -%}
    {%- set sql -%}
        select
            file_path,
            cast(dt as string) as dt,
            file_name,
            quarantine_reason,
            cast(size_bytes as string) as size_bytes
        from ({{ file_check_records_sql(path) }}) as records
        order by file_path
    {%- endset -%}
    {%- for row in run_query(sql).rows -%}
        {#- (| string: agate may have typed a value, e.g. a date) -#}
        {%- do records.update({row[0] | string: {
            'dt': row[1] | string,
            'file_name': row[2] | string,
            'quarantine_reason': row[3] | string if row[3] is not none else none,
            'size_bytes': row[4] | string if row[4] is not none else none}}) -%}
    {%- endfor -%}
    {{- return(records) -}}
{%- endmacro %}


{% macro checked_batch_files(listed_files, batch_days) -%}
    {#- The batch's files with their file check: every file of the batch days that has a check
        record (listed_files, from landed_raw_files(), plus the entries that only the check saw:
        directories, FIFOs, ... named like raw files), as {dt, file_path, file_name,
        quarantine_reason, size_bytes} dicts sorted by path. A file without a record landed
        after the last check: under `clickstream refresh` (env CLICKSTREAM_CHECKED_FILES_ONLY=1),
        which checked the batch's days just before dbt started, it is left for the next refresh
        (a lander keeps landing files meanwhile); in plain dbt run / build / retry, a compiler
        error names such files; other commands (compile, docs generate) take such a file as
        listed, unread. -#}
    {%- set records = file_check_records() -%}
    {%- set root = raw_root() -%}
    {%- set landed_after_the_check = env_var('CLICKSTREAM_CHECKED_FILES_ONLY', '') == '1' -%}
    {%- set missing = [] -%}
    {%- for file in listed_files -%}
        {%- set relative_path = 'click_events/dt=' ~ file.dt ~ '/' ~ file.file_name -%}
        {%- if relative_path not in records and not landed_after_the_check -%}
            {%- do missing.append(file.file_path) -%}
            {#- compile, docs generate, show: taken as it is listed (size unknown, so not read) -#}
            {%- do records.update({relative_path: {
                'dt': file.dt, 'file_name': file.file_name, 'quarantine_reason': none, 'size_bytes': none}}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing and flags.WHICH in ('run', 'build', 'retry') -%}
        {{- exceptions.raise_compiler_error(
            missing | length ~ " landed raw file(s) of this batch have no file check record in "
            ~ file_checks_path() ~ " (" ~ (missing[:5] | join(', ')) ~ (', ...' if missing | length > 5 else '')
            ~ "). dbt reads only files checked as a whole first (file-level quarantine): run `clickstream refresh`,"
            ~ " which checks the days it processes, or `clickstream check-files` before a plain dbt build.") -}}
    {%- endif -%}
    {%- set files = [] -%}
    {%- for relative_path, record in records | dictsort if record.dt in batch_days -%}
        {%- do files.append({
            'dt': record.dt,
            'file_path': root ~ '/' ~ relative_path,
            'relative_path': relative_path,
            'file_name': record.file_name,
            'quarantine_reason': record.quarantine_reason,
            'size_bytes': record.size_bytes}) -%}
    {%- endfor -%}
    {{- return(files) -}}
{%- endmacro %}
