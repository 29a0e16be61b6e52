{% macro landed_raw_files() -%}
    {#- Every landed raw file under <raw root>/click_events/dt=YYYY-MM-DD/ as a list of
        {dt, file_path, file_name} dicts, sorted by path. Raises a clear error for a dt=
        directory whose name is not a date. The listing query is engine-specific
        (raw_file_paths_sql()). -#}
    {%- set root = raw_root() | replace("'", "''") -%}
    {%- set files = [] -%}
    {%- for path in run_query(raw_file_paths_sql(root)).columns[0].values() -%}
        {%- set match = modules.re.search('/dt=([^/]*)/([^/]+)$', path) -%}
        {%- set dt = match.group(1) -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', dt) -%}
            {{- exceptions.raise_compiler_error(
                "Raw partition directory 'dt=" ~ dt ~ "' (" ~ path ~ ") is not a date: landing "
                ~ "directories must be named dt=YYYY-MM-DD. Move or rename it, then re-run.") -}}
        {%- endif -%}
        {%- do files.append({'dt': dt, 'file_path': path, 'file_name': match.group(2)}) -%}
    {%- endfor -%}
    {{- return(files) -}}
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
