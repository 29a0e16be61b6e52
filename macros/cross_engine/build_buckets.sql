{#- Building a large table in user buckets, one statement each, on DuckDB: a sort or group by user
    over the whole batch spills far past the memory limit (at 50M events, the sessions' aggregate
    took 9.5 times one day's), where each bucket's fits in memory (the same 50M in 8 statements:
    3.0 times). A model opts in with config(bucketed_build=true) and filters its import CTEs with
    build_bucket_predicate(); its rows must depend only on rows of the same bucket (the same user).
    Nothing changes on Spark, or when the batch is small. -#}

{% macro build_bucket_count() -%}
    {#- How many buckets this model's build uses: 1 when the model is not bucketed, while parsing,
        in a unit test, on Spark; else the batch's events (int_click_events_enriched) divided by
        var events_per_build_bucket, rounded up. -#}
    {%- if not execute or not config.get('bucketed_build') or target.type != 'duckdb' -%}
        {{- return(1) -}}
    {%- endif -%}
    {%- if model is mapping and model.get('resource_type') == 'unit_test' -%}
        {{- return(1) -}}
    {%- endif -%}
    {%- set events = existing_model_relation('int_click_events_enriched') -%}
    {%- if events is none -%}
        {{- return(1) -}}
    {%- endif -%}
    {%- set rows = run_query('select count(*) from ' ~ events).columns[0].values()[0] -%}
    {%- set per_bucket = int_var('events_per_build_bucket') -%}
    {{- return([1, ((rows + per_bucket - 1) // per_bucket) | int] | max) -}}
{%- endmacro %}


{% macro build_bucket_predicate(column) -%}
    {#- A filter for an import CTE of a bucketed model (config bucketed_build): on DuckDB, when the
        build has more than one bucket, the rows of the bucket being built (hash of `column`, a
        DuckDB variable that the bucketed create_table_as sets before each statement); else
        `true`. -#}
    {%- set buckets = build_bucket_count() -%}
    {%- if buckets > 1 -%}
        hash({{ column }}) % {{ buckets }} = getvariable('clickstream_build_bucket')
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{% macro duckdb__create_table_as(temporary, relation, compiled_code, language='sql', partitioned_by=none, sorted_by=none) -%}
    {#- dbt-duckdb's create_table_as (dbt.duckdb__create_table_as), and for a bucketed model built
        in several buckets (build_bucket_count()), that statement for bucket 0 then one insert per
        other bucket, each after setting the variable build_bucket_predicate() reads. -#}
    {%- set buckets = build_bucket_count() if language == 'sql' else 1 -%}
    {%- if buckets > 1 %}
set variable clickstream_build_bucket = 0;
    {%- endif %}
{{ dbt.duckdb__create_table_as(temporary, relation, compiled_code, language, partitioned_by=partitioned_by, sorted_by=sorted_by) }}
    {%- for bucket in range(1, buckets) %}
;
set variable clickstream_build_bucket = {{ bucket }};
insert into {{ relation.include(database=(not temporary), schema=(not temporary)) }}
select * from (
{{ compiled_code }}
) as bucket_subquery
    {%- endfor %}
    {%- if buckets > 1 %}
;
reset variable clickstream_build_bucket
    {%- endif %}
{%- endmacro %}
