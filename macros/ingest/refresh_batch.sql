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
    {#- The raw files this run processes, as {dt, file_path, relative_path, file_name,
        quarantine_reason, size_bytes} dicts (checked_batch_files(): the files quarantined at
        file level are in the batch, with their reason, but their lines are not read).
        - full refresh: every landed day;
        - var run_date set: that landed day, which must not be earlier than the last processed
          day, and every earlier landed day must already be processed;
        - env CLICKSTREAM_REPLAY_FROM set (a landing day): every landed day from that one on,
          processed or not. `clickstream refresh` replays so when files landed late for a
          processed day (or a whole day landed after later ones were processed): the batch
          replaces that day and every later one, as a full refresh would decide them;
        - otherwise: every landed day not processed yet (all must be later than the last
          processed day).
        Raises a compiler error that says what to do when the request would break the
        "first landed copy wins" order: plain dbt's check; `clickstream refresh` refuses such a
        request itself before dbt starts (check_order() in clickstream/pipeline/refresh.py). -#}
    {%- set files = landed_raw_files() -%}
    {%- set landed = files | map(attribute='dt') | unique | sort | list -%}
    {%- if flags.FULL_REFRESH -%}
        {{- return(checked_batch_files(files, landed)) -}}
    {%- endif -%}
    {%- set processed = processed_landing_days() -%}
    {%- set last_processed = processed | last if processed else none -%}
    {#- var run_date, else env CLICKSTREAM_RUN_DATE (what `clickstream refresh` sets: a --vars value
        that changes every run would make dbt re-parse the whole project every run) -#}
    {%- set run_date = var('run_date', none) or env_var('CLICKSTREAM_RUN_DATE', '') or none -%}
    {%- set replay_from = env_var('CLICKSTREAM_REPLAY_FROM', '') -%}
    {%- if replay_from != '' -%}
        {%- if run_date is not none and run_date != '' -%}
            {{- exceptions.raise_compiler_error(
                "CLICKSTREAM_REPLAY_FROM and run_date are both set: a replay processes every landed day "
                ~ "from its first one on. Unset one of them.") -}}
        {%- endif -%}
        {%- if replay_from not in landed -%}
            {{- exceptions.raise_compiler_error(
                "CLICKSTREAM_REPLAY_FROM=" ~ replay_from ~ " is not a landed day under " ~ raw_root()
                ~ "/click_events/: name the first landing day to process again (YYYY-MM-DD).") -}}
        {%- endif -%}
        {%- set replayed = landed | select('ge', replay_from) | list -%}
        {{- return(checked_batch_files(files | selectattr('dt', 'in', replayed) | list, replayed)) -}}
    {%- endif -%}
    {%- if run_date is not none and run_date != '' -%}
        {%- set run_date = run_date | string -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', run_date) -%}
            {{- exceptions.raise_compiler_error("run_date '" ~ run_date ~ "' is not a date: pass YYYY-MM-DD.") -}}
        {%- endif -%}
        {%- if run_date not in landed -%}
            {{- exceptions.raise_compiler_error(
                "No landed files for dt=" ~ run_date ~ " under " ~ raw_root() ~ "/click_events/. "
                ~ "Land the day first (clickstream generate, or clickstream kafka land), "
                ~ "or check CLICKSTREAM_RAW_ROOT.") -}}
        {%- endif -%}
        {%- if last_processed is not none and run_date < last_processed -%}
            {{- exceptions.raise_compiler_error(
                "dt=" ~ run_date ~ " is earlier than the last processed landing day " ~ last_processed
                ~ ". Reprocessing it alone could change which copy of an event landed first and leave later "
                ~ "days inconsistent. Rebuild from raw instead: clickstream refresh --full-refresh "
                ~ "(or dbt build --full-refresh).") -}}
        {%- endif -%}
        {%- set pending = [] -%}
        {%- for dt in landed if dt < run_date and dt not in processed -%}
            {%- do pending.append(dt) -%}
        {%- endfor -%}
        {%- if pending -%}
            {{- exceptions.raise_compiler_error(
                "Landed day(s) " ~ pending | join(', ') ~ " before dt=" ~ run_date ~ " are not processed yet; "
                ~ "days must be processed in landing order. Run clickstream refresh without --date "
                ~ "(or dbt build without run_date) to process every pending day in order.") -}}
        {%- endif -%}
        {{- return(checked_batch_files(files | selectattr('dt', 'equalto', run_date) | list, [run_date])) -}}
    {%- endif -%}
    {%- set pending = [] -%}
    {%- for dt in landed if dt not in processed -%}
        {%- do pending.append(dt) -%}
    {%- endfor -%}
    {%- if pending and last_processed is not none and pending[0] < last_processed -%}
        {{- exceptions.raise_compiler_error(
            "Landed day " ~ pending[0] ~ " is not processed but is earlier than the last processed day "
            ~ last_processed ~ " (a late backfill?). Rebuild from raw: clickstream refresh --full-refresh "
            ~ "(or dbt build --full-refresh).") -}}
    {%- endif -%}
    {{- return(checked_batch_files(files | selectattr('dt', 'in', pending) | list, pending)) -}}
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
