{% macro get_incremental_replace_sql(arg_dict) -%}
    {#- Custom incremental strategy `replace` (see default__get_incremental_replace_sql); dispatched:
        Spark's Parquet tables cannot delete rows, so there it rewrites partitions. -#}
    {{- return(adapter.dispatch('get_incremental_replace_sql', 'clickstream')(arg_dict)) -}}
{%- endmacro %}


{% macro default__get_incremental_replace_sql(arg_dict) -%}
    {#- Custom incremental strategy `replace`: deletes the target rows whose unique_key is in the
        new rows, and also every row matching the predicate returned by the macro named in the
        model's `replace_where_macro` config (called at run time, so its refs resolve; e.g. the
        rows of the batch's landing days, or the sessions this run recomputes), then inserts the
        new rows. Deleting by predicate is what lets a re-run remove rows that no longer exist
        (merged sessions, changed winners) instead of orphaning them. Runs in the model's
        transaction. -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set predicate_macro = config.get('replace_where_macro') -%}
    {%- set replace_where = context[predicate_macro](*config.get('replace_where_args', [])) if predicate_macro else none -%}
    {%- set columns_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where
        {%- if unique_key %} ({{ unique_key }}) in (select ({{ unique_key }}) from {{ source }}){% else %} false{% endif %}
        {%- if replace_where %} or ({{ replace_where }}){% endif %};

    insert into {{ target }} ({{ columns_csv }})
    select {{ columns_csv }} from {{ source }}
{%- endmacro %}


{% macro batch_days_predicate() -%}
    {#- replace predicate: rows of the batch's landing days (and any later ones). -#}
    {{- return('dt >= ' ~ batch_min_dt()) -}}
{%- endmacro %}


{% macro replaced_sessions_predicate() -%}
    {#- replace predicate: the stored sessions this run replaces (int_sessions_replaced). -#}
    {{- return('session_id in (select session_id from ' ~ ref('int_sessions_replaced') ~ ')') -}}
{%- endmacro %}


{% macro changed_partitions_predicate(date_column) -%}
    {#- replace predicate: rows of this model whose date_column is one of the partitions this
        run changes (int_refresh_changed_partitions, by this model's name). -#}
    {{- return(date_column ~ " in (select partition_date from " ~ ref('int_refresh_changed_partitions')
        ~ " where table_name = '" ~ this.identifier ~ "')") -}}
{%- endmacro %}


{% macro rebuilt_users_predicate() -%}
    {#- replace predicate: the users whose sessions this run recomputed (int_sessions_rebuilt), so
        a user left with no human session is removed rather than kept stale. -#}
    {{- return('user_id in (select user_id from ' ~ ref('int_sessions_rebuilt') ~ ')') -}}
{%- endmacro %}


{% macro spark__get_incremental_replace_sql(arg_dict) -%}
    {#- Spark (Parquet tables: no DELETE): the `replace` strategy as a partition rewrite. -#}
    {{- exceptions.raise_compiler_error('replace strategy on Spark: not written yet') -}}
{%- endmacro %}
