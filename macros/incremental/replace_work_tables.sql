{% macro replace_work_relation(target, suffix) -%}
    {#- The work table `<target>__dbt_<suffix>` of the Spark `replace` strategy, beside the target. -#}
    {{- return(target.incorporate(path={'identifier': target.identifier ~ '__dbt_' ~ suffix})) -}}
{%- endmacro %}


{% macro drop_replace_work_table(suffix) -%}
    {#- Post-hook of the marts: drops the Spark `replace` strategy's work table
        `<model>__dbt_<suffix>` (a no-op on DuckDB, whose strategy needs none). -#}
    {{- return(adapter.dispatch('drop_replace_work_table', 'clickstream')(suffix)) -}}
{%- endmacro %}

{% macro default__drop_replace_work_table(suffix) -%}
    select 1 as no_work_table
{%- endmacro %}

{% macro spark__drop_replace_work_table(suffix) -%}
    drop table if exists {{ replace_work_relation(this, suffix) }}
{%- endmacro %}
