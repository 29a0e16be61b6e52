{% macro default__get_where_subquery(relation) -%}
    {#- dbt's `where` test config (the tested relation filtered by it), plus one placeholder:
        `__refreshed_window__` becomes "the rows a refresh can have rewritten" of the tested model,
        when the model names its date column in `meta.refreshed_window_column`:
        that column >= the batch's first landing day - (var late_arrival_days + 1) days (a date
        constant, read from stg_click_events__files when the test runs). A daily
        refresh then tests the window it rewrote, not all history (its cost stays flat); a full
        refresh's batch is every landed day, so it tests every row. Models without that meta are
        tested whole. The filtered subquery keeps the model's name as its alias, so expression
        tests can still qualify columns with it. -#}
    {{- return(where_subquery(relation, config.get('where', ''))) -}}
{%- endmacro %}


{% macro where_subquery(relation, where) -%}
    {#- `relation` filtered by a test's `where` config (default__get_where_subquery): the relation
        itself when `where` is empty, else a subquery aliased with the relation's name, with
        `__refreshed_window__` replaced by refreshed_window_predicate(). -#}
    {%- if where and '__refreshed_window__' in where -%}
        {%- set where = where | replace('__refreshed_window__', refreshed_window_predicate(relation)) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) as {{ relation.identifier }}
        {%- endset -%}
        {{- return(filtered) -}}
    {%- else -%}
        {{- return(relation) -}}
    {%- endif -%}
{%- endmacro %}


{% macro refreshed_window_predicate(relation) -%}
    {#- SQL predicate on the tested model's meta.refreshed_window_column (see
        default__get_where_subquery); `true` when the model has none or the batch table is not
        built yet. -#}
    {%- set nodes = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('alias', 'equalto', relation.identifier) | list if execute else [] -%}
    {%- set column = nodes[0].config.meta.get('refreshed_window_column') if nodes | length == 1 else none -%}
    {%- if column is none -%}
        {{- return('true') -}}
    {%- endif -%}
    {%- set batch_files = existing_model_relation('stg_click_events__files') -%}
    {%- if batch_files is none -%}
        {{- return('true') -}}
    {%- endif -%}
    {#- as text: Spark's Thrift client returns dates as strings -#}
    {%- set first_day_text = run_query('select cast(min(dt) as string) from ' ~ batch_files).columns[0].values()[0] -%}
    {%- if first_day_text is none -%}
        {#- nothing refreshed: nothing to test -#}
        {{- return('false') -}}
    {%- endif -%}
    {%- set first_day = modules.datetime.datetime.strptime(first_day_text, '%Y-%m-%d').date() -%}
    {%- set window_start = first_day - modules.datetime.timedelta(days=int_var('late_arrival_days') + 1) -%}
    {#- a constant, so that the engine can skip older partitions / row groups -#}
    {{- return(column ~ " >= date '" ~ window_start.strftime('%Y-%m-%d') ~ "'") -}}
{%- endmacro %}


{% macro running_data_tests() -%}
    {#- True while dbt runs data tests against the warehouse (`dbt test`, `dbt build`, `dbt
        retry`), false when it only compiles them (`dbt compile`, `dbt docs generate`, parsing):
        a test may then query the warehouse for a bound (e.g. the earliest tested date), which
        would fail on a warehouse not built yet. -#}
    {{- return(execute and flags.WHICH in ['test', 'build', 'retry']) -}}
{%- endmacro %}


{% macro last_complete_landing_day() -%}
    {#- A date literal: the last landing day that is complete now, that is whose end (UTC midnight)
        plus var landing_day_grace_minutes has passed. Later days are still landing: files keep
        arriving and their rates and volume move with every batch. -#}
    {%- set now = modules.datetime.datetime.utcnow() -%}
    {%- set grace = modules.datetime.timedelta(days=1, minutes=int_var('landing_day_grace_minutes')) -%}
    {{- return("date '" ~ (now - grace).date().isoformat() ~ "'") -}}
{%- endmacro %}
