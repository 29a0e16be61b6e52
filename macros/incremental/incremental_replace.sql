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
    {%- set scope = replace_scope_condition(source) -%}
    delete from {{ target }}
    where
        {%- if scope %} {{ scope }} and ({% endif %}
        {%- if unique_key %} ({{ unique_key }}) in (select ({{ unique_key }}) from {{ source }}){% else %} false{% endif %}
        {%- if replace_where %} or ({{ replace_where }}){% endif %}
        {%- if scope %}){% endif %};

    insert into {{ target }} ({{ columns_csv }})
    select {{ columns_csv }} from {{ source }}
{%- endmacro %}

{% macro spark__get_incremental_replace_sql(arg_dict) -%}
    {#- Spark: Parquet tables cannot DELETE, so `replace` rewrites whole partitions. The new rows
        are written once to `<model>__dbt_new`; every partition (the model's partition_by) that
        holds a replaced row (by unique_key or the replace_where predicate) or a new row is
        rebuilt in `<model>__dbt_replace` as its kept rows plus the new rows, and then overwrites
        those partitions (dynamic partition overwrite: other partitions are not touched). A
        partition left with no row is dropped first. A model without partition_by is rewritten
        whole. The preparatory statements run here; the returned statement is the overwrite.
        The two work tables are dropped by the post-hooks (drop_replace_work_table()). Not atomic
        like DuckDB's delete + insert: a run that fails in the middle is completed by re-running
        it, as every refresh is. -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set predicate_macro = config.get('replace_where_macro') -%}
    {%- set replace_where = context[predicate_macro](*config.get('replace_where_args', [])) if predicate_macro else none -%}
    {%- set columns_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set partition_by = config.get('partition_by') -%}
    {%- set partition_column = (partition_by if partition_by is string else partition_by[0]) if partition_by else none -%}
    {%- set new_rows = replace_work_relation(target, 'new') -%}
    {%- set rebuilt = replace_work_relation(target, 'replace') -%}
    {%- set replaced_condition -%}
        coalesce(
            {%- if unique_key %} ({{ unique_key }}) in (select ({{ unique_key }}) from {{ new_rows }}){% else %} false{% endif %}
            {%- if replace_where %} or ({{ replace_where }}){% endif %},
            false
        )
    {%- endset -%}

    {%- do run_query('drop table if exists ' ~ new_rows) -%}
    {%- do run_query('drop table if exists ' ~ rebuilt) -%}
    {%- do run_query('create table ' ~ new_rows ~ ' using parquet as select * from ' ~ arg_dict['temp_relation']) -%}

    {%- if partition_column is none -%}
        {%- do run_query(
            'create table ' ~ rebuilt ~ ' using parquet as select ' ~ columns_csv ~ ' from ' ~ target
            ~ ' where not ' ~ replaced_condition ~ ' union all select ' ~ columns_csv ~ ' from ' ~ new_rows) -%}
        insert overwrite table {{ target }} select {{ columns_csv }} from {{ rebuilt }}
    {%- else -%}
        {%- set scope = replace_scope_condition(arg_dict['temp_relation']) -%}
        {%- set touched_partitions -%}
            select distinct {{ partition_column }} from {{ target }}
            where {% if scope %}{{ scope }} and {% endif %}{{ replaced_condition }}
        {%- endset -%}
        {%- set touched = run_query(touched_partitions).columns[0].values() | list -%}
        {%- set touched_literals = [] -%}
        {%- for value in touched -%}
            {%- do touched_literals.append(partition_value_literal(value)) -%}
        {%- endfor -%}
        {%- set in_rebuilt_partitions -%}
            ({{ partition_column }} in (select {{ partition_column }} from {{ new_rows }})
            {%- if touched_literals %} or {{ partition_column }} in ({{ touched_literals | join(', ') }}){% endif %})
        {%- endset -%}
        {%- do run_query(
            'create table ' ~ rebuilt ~ ' using parquet as select ' ~ columns_csv ~ ' from ' ~ target
            ~ ' where ' ~ in_rebuilt_partitions ~ ' and not ' ~ replaced_condition
            ~ ' union all select ' ~ columns_csv ~ ' from ' ~ new_rows) -%}
        {%- set kept = run_query('select distinct ' ~ partition_column ~ ' from ' ~ rebuilt).columns[0].values() | list -%}
        {%- for value in touched if value not in kept -%}
            {%- do run_query('alter table ' ~ target ~ ' drop if exists partition ('
                ~ partition_column ~ ' = ' ~ partition_value_literal(value) ~ ')') -%}
        {%- endfor -%}
        {%- do run_query('set spark.sql.sources.partitionOverwriteMode = DYNAMIC') -%}
        insert overwrite table {{ target }} partition ({{ partition_column }})
        select {{ columns_csv }} from {{ rebuilt }}
    {%- endif -%}
{%- endmacro %}


{% macro replace_scope_condition(source) -%}
    {#- The `replace` strategy's scope: `<column> >= <date literal>` for a model configured with
        `replace_scope_column`, none otherwise. The literal is the smaller of the column's
        earliest value in the new rows (`source`) and the date the model's
        `replace_scope_floor_macro` returns (the earliest date of the rows its replace_where
        predicate can match); '9999-12-31' when both are empty. The model guarantees that every
        row the delete must remove lies in the scope: the stored copy of a new row has the same
        date, and the floor covers the predicate. ANDed to the delete, the constant lets DuckDB
        skip the row groups of older days (Spark: partitions), so the delete costs in proportion
        to the rows it can touch, not to the table's history. One query on the new rows. -#}
    {%- set column = config.get('replace_scope_column') -%}
    {%- if not column or not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set floor_macro = config.get('replace_scope_floor_macro') -%}
    {%- set floor = context[floor_macro]() if floor_macro else "date '9999-12-31'" -%}
    {{- return(column ~ ' >= ' ~ query_date_literal(
        "select least(coalesce(min(" ~ column ~ "), date '9999-12-31'), " ~ floor ~ ") from " ~ source)) -}}
{%- endmacro %}


{% macro partition_value_literal(value) -%}
    {#- A SQL literal for a partition value read back with run_query (a date, a number or text). -#}
    {%- if value is none -%}
        {{- return('null') -}}
    {%- elif value is number -%}
        {{- return(value | string) -}}
    {%- elif value.strftime is defined -%}
        {{- return("date '" ~ value.strftime('%Y-%m-%d') ~ "'") -}}
    {%- else -%}
        {{- return("'" ~ (value | string | replace("'", "\\'")) ~ "'") -}}
    {%- endif -%}
{%- endmacro %}
