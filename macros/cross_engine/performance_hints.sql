{#- SQL that DuckDB needs for speed, nothing on Spark. Dispatched: default__ is the DuckDB SQL. -#}

{% macro inline_cte_hint() -%}
    {#- Written between `name as` and `(` of a CTE that a model reads more than once but that is
        cheap to compute again (a scan with a filter): DuckDB's `not materialized`, so DuckDB
        re-reads the table instead of materialising the CTE's rows (which can spill to disk on a
        large batch); nothing on Spark, whose SQL has no such hint. -#}
    {{- return(adapter.dispatch('inline_cte_hint', 'clickstream')()) -}}
{%- endmacro %}

{% macro default__inline_cte_hint() -%}
    not materialized
{%- endmacro %}

{% macro spark__inline_cte_hint() -%}
{%- endmacro %}


{% macro materialized_cte_hint() -%}
    {#- Written between `name as` and `(` of a narrow CTE that must be computed on its own before
        the wide rows are joined to it: DuckDB's `materialized`, which keeps the join order
        optimizer from folding the CTE's joins into the wide join (it then put the wide rows on
        the build side of a hash join: at 7M events it spilled 2.8 GB and took 2.4 times as long);
        nothing on Spark, whose SQL has no such hint. -#}
    {{- return(adapter.dispatch('materialized_cte_hint', 'clickstream')()) -}}
{%- endmacro %}

{% macro default__materialized_cte_hint() -%}
    materialized
{%- endmacro %}

{% macro spark__materialized_cte_hint() -%}
{%- endmacro %}


{% macro full_build_order_by(column) -%}
    {#- Written after a mart's final select: on DuckDB, when the model is built whole (first build
        or full refresh), `order by <column>`, so the table is stored in date order, like a
        warehouse built day by day, and later daily runs' date literals skip the row groups of
        other days; nothing on incremental runs (a day's rows are appended together anyway) and
        on Spark (its tables are partitioned by date). Dispatched. -#}
    {{- return(adapter.dispatch('full_build_order_by', 'clickstream')(column)) -}}
{%- endmacro %}

{% macro default__full_build_order_by(column) -%}
    {%- if not is_incremental() %}
order by {{ column }}
    {%- endif %}
{%- endmacro %}

{% macro spark__full_build_order_by(column) -%}
{%- endmacro %}
