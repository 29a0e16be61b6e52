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


{% macro processed_landing_days() -%}
    {#- Landing days (YYYY-MM-DD strings) already processed, read from agg_ingest_daily as it
        stood before this run; empty on a full refresh or a new warehouse. -#}
    {%- set relation = prior_relation('agg_ingest_daily') -%}
    {%- if relation is none -%}
        {{- return([]) -}}
    {%- endif -%}
    {%- set sql -%}
        select cast(dt as string) from {{ relation }} order by dt
    {%- endset -%}
    {{- return(run_query(sql).columns[0].values() | list) -}}
{%- endmacro %}


{% macro refresh_batch_files() -%}
    {#- The raw files this run processes, as {dt, file_path, file_name} dicts.
        - full refresh: every landed day;
        - var run_date set: that landed day, which must not be earlier than the last processed
          day, and every earlier landed day must already be processed;
        - otherwise: every landed day not processed yet (all must be later than the last
          processed day).
        Raises a compiler error that says what to do when the request would break the
        "first landed copy wins" order. -#}
    {%- set files = landed_raw_files() -%}
    {%- set landed = files | map(attribute='dt') | unique | sort | list -%}
    {%- if flags.FULL_REFRESH -%}
        {{- return(files) -}}
    {%- endif -%}
    {%- set processed = processed_landing_days() -%}
    {%- set last_processed = processed | last if processed else none -%}
    {%- set run_date = var('run_date', none) -%}
    {%- if run_date is not none and run_date != '' -%}
        {%- set run_date = run_date | string -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', run_date) -%}
            {{- exceptions.raise_compiler_error("run_date '" ~ run_date ~ "' is not a date: pass YYYY-MM-DD.") -}}
        {%- endif -%}
        {%- if run_date not in landed -%}
            {{- exceptions.raise_compiler_error(
                "No landed files for dt=" ~ run_date ~ " under " ~ raw_root() ~ "/click_events/. "
                ~ "Land the day first (scripts/generate_events.py or scripts/land_from_kafka.py), "
                ~ "or check CLICKSTREAM_RAW_ROOT.") -}}
        {%- endif -%}
        {%- if last_processed is not none and run_date < last_processed -%}
            {{- exceptions.raise_compiler_error(
                "dt=" ~ run_date ~ " is earlier than the last processed landing day " ~ last_processed
                ~ ". Reprocessing it alone could change which copy of an event landed first and leave later "
                ~ "days inconsistent. Rebuild from raw instead: scripts/refresh.py --full-refresh "
                ~ "(or dbt build --full-refresh).") -}}
        {%- endif -%}
        {%- set pending = [] -%}
        {%- for dt in landed if dt < run_date and dt not in processed -%}
            {%- do pending.append(dt) -%}
        {%- endfor -%}
        {%- if pending -%}
            {{- exceptions.raise_compiler_error(
                "Landed day(s) " ~ pending | join(', ') ~ " before dt=" ~ run_date ~ " are not processed yet; "
                ~ "days must be processed in landing order. Run scripts/refresh.py without --date "
                ~ "(or dbt build without run_date) to process every pending day in order.") -}}
        {%- endif -%}
        {{- return(files | selectattr('dt', 'equalto', run_date) | list) -}}
    {%- endif -%}
    {%- set pending = [] -%}
    {%- for dt in landed if dt not in processed -%}
        {%- do pending.append(dt) -%}
    {%- endfor -%}
    {%- if pending and last_processed is not none and pending[0] < last_processed -%}
        {{- exceptions.raise_compiler_error(
            "Landed day " ~ pending[0] ~ " is not processed but is earlier than the last processed day "
            ~ last_processed ~ " (a late backfill?). Rebuild from raw: scripts/refresh.py --full-refresh.") -}}
    {%- endif -%}
    {{- return(files | selectattr('dt', 'in', pending) | list) -}}
{%- endmacro %}


{% macro batch_min_dt() -%}
    {#- SQL expression: the earliest landing day of this run's batch ('9999-12-31' when the batch
        is empty, so that "history" filters keep everything). While dbt runs a node and the batch
        table is built, a date literal read from it: a constant lets DuckDB skip the row groups
        (and Spark the partitions) of older landing days, where a subquery makes every filter on
        it scan all history. Otherwise (parsing, unit tests, before the batch is built) a scalar
        subquery on ref('stg_click_events__files'). -#}
    {%- set in_unit_test = model is mapping and model.get('resource_type') == 'unit_test' -%}
    {%- set batch_files = existing_model_relation('stg_click_events__files') if execute and not in_unit_test else none -%}
    {%- if batch_files is none -%}
        (select coalesce(min(dt), date '9999-12-31') from {{ ref('stg_click_events__files') }})
    {%- else -%}
        {{ query_date_literal("select coalesce(min(dt), date '9999-12-31') from " ~ batch_files) }}
    {%- endif -%}
{%- endmacro %}
