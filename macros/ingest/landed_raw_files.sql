{% macro landed_raw_files() -%}
    {#- Every landed raw file under <raw root>/click_events/dt=YYYY-MM-DD/ as a list of
        {dt, file_path, file_name} dicts, sorted by path. A dt= directory whose name is not a
        calendar date (dt=2024-02-30, dt=latest) is not a landing day: its files are left out
        (clickstream refresh and check-files list them as unread entries, paths.unread_entries()).
        The listing query is engine-specific (raw_file_paths_sql()). -#}
    {%- set root = raw_root() | replace("'", "''") -%}
    {%- set files = [] -%}
    {%- for path in run_query(raw_file_paths_sql(root)).columns[0].values() -%}
        {%- set match = modules.re.search('/dt=([^/]*)/([^/]+)$', path) -%}
        {%- set dt = match.group(1) -%}
        {%- if is_calendar_date(dt) -%}
            {%- do files.append({'dt': dt, 'file_path': path, 'file_name': match.group(2)}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(files) -}}
{%- endmacro %}


{% macro is_calendar_date(text) -%}
    {#- Whether text is a calendar date YYYY-MM-DD (as Python's date.fromisoformat reads it). -#}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set year, month, day = text.split('-') | map('int') | list -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {{- return(year >= 1 and 1 <= month <= 12 and 1 <= day <= month_days[month - 1]) -}}
{%- endmacro %}


{% macro raw_file_paths_sql(root) -%}
    {#- A query of one column: the path of every *.jsonl and *.jsonl.gz file under
        <root>/click_events/dt=*/, sorted. Dispatched: DuckDB globs, Spark lists them with the
        binaryFile source (only the path column is selected, so no file is read). -#}
    {{- return(adapter.dispatch('raw_file_paths_sql', 'clickstream')(root)) -}}
{%- endmacro %}

{% macro default__raw_file_paths_sql(root) -%}
    select file from glob('{{ root }}/click_events/dt=*/*.jsonl')
    union all
    select file from glob('{{ root }}/click_events/dt=*/*.jsonl.gz')
    order by file
{%- endmacro %}

{% macro spark__raw_file_paths_sql(root) -%}
    select regexp_replace(path, '^file:', '') as file
    from binaryFile.`{{ root }}/click_events` with ('pathGlobFilter' = '*.jsonl{,.gz}')
    order by file
{%- endmacro %}
