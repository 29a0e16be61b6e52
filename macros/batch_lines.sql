{% macro stage_batch_lines(lines_relation, staged_name) -%}
    {#- Pre-hook of int_click_events_validated: copy the batch's raw lines (the
        stg_click_events__lines view: files read one by one, each line numbered) into the
        connection's temporary table `staged_name`, so that the model's per-line work runs on
        every thread. Read through the view, DuckDB runs the per-file reads one after the other
        on one thread and the whole validation with them (the ordered per-file reads that number
        the lines are a union DuckDB keeps in order). The read fills the reader's rejects tables
        of the same connection, as before. Dispatched; a no-op on Spark, whose text source is
        already read in parallel. -#}
    {{- return(adapter.dispatch('stage_batch_lines', 'clickstream')(lines_relation, staged_name)) -}}
{%- endmacro %}

{% macro default__stage_batch_lines(lines_relation, staged_name) -%}
    create or replace temporary table {{ staged_name }} as select * from {{ lines_relation }}
{%- endmacro %}

{% macro spark__stage_batch_lines(lines_relation, staged_name) -%}
{%- endmacro %}


{% macro staged_lines_relation(lines_relation, staged_name) -%}
    {#- What int_click_events_validated reads its lines from: the temporary table of
        stage_batch_lines() on DuckDB; the view itself on Spark, and wherever the lines are given
        as a CTE (dbt unit tests give a model's inputs that way and run no hooks). -#}
    {{- return(adapter.dispatch('staged_lines_relation', 'clickstream')(lines_relation, staged_name)) -}}
{%- endmacro %}

{% macro default__staged_lines_relation(lines_relation, staged_name) -%}
    {%- if lines_relation.is_cte -%}
        {{ lines_relation }}
    {%- else -%}
        temp.main.{{ staged_name }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__staged_lines_relation(lines_relation, staged_name) -%}
    {{ lines_relation }}
{%- endmacro %}


{% macro drop_staged_lines(staged_name) -%}
    {#- Post-hook of int_click_events_validated: free the temporary table of stage_batch_lines().
        Dispatched; a no-op on Spark. -#}
    {{- return(adapter.dispatch('drop_staged_lines', 'clickstream')(staged_name)) -}}
{%- endmacro %}

{% macro default__drop_staged_lines(staged_name) -%}
    drop table if exists temp.main.{{ staged_name }}
{%- endmacro %}

{% macro spark__drop_staged_lines(staged_name) -%}
{%- endmacro %}
