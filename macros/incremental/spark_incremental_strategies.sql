{#- dbt-spark 1.11 accepts only its own incremental strategies (append, merge, insert_overwrite,
    microbatch) and does not look custom ones up. These two overrides of its (non-dispatched)
    macros let a model use a custom strategy whose get_incremental_<name>_sql macro exists (this
    project's `replace`); the adapter's own strategies go to the originals (`dbt.<macro>`).
    They rely on dbt-spark internals: re-check them when upgrading dbt-spark (docs/spark.md). -#}

{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) -%}
    {#- dbt-spark's strategy check, extended to custom strategies that have a macro. -#}
    {%- if raw_strategy not in ['append', 'merge', 'insert_overwrite', 'microbatch']
        and context.get('get_incremental_' ~ raw_strategy ~ '_sql') is not none -%}
        {%- do return(raw_strategy) -%}
    {%- endif -%}
    {%- do return(dbt.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) -%}
{%- endmacro %}


{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) -%}
    {#- dbt-spark's strategy SQL, extended to custom strategies: calls get_incremental_<strategy>_sql
        with dbt-core's usual argument dict. -#}
    {%- if strategy not in ['append', 'merge', 'insert_overwrite', 'microbatch'] -%}
        {{- context['get_incremental_' ~ strategy ~ '_sql']({
            'target_relation': target,
            'temp_relation': source,
            'unique_key': unique_key,
            'dest_columns': adapter.get_columns_in_relation(target),
            'incremental_predicates': incremental_predicates
        }) -}}
    {%- else -%}
        {{- dbt.dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) -}}
    {%- endif -%}
{%- endmacro %}
