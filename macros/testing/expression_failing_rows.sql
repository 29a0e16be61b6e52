{% macro expression_failing_rows(model, expression, column_name=none) -%}
    {#- The query of the expression tests: the rows of `model` for which the expression (appended
        to column_name when given) is not true. -#}
with

checked_rows as (
    select
        *,
        ({{ column_name ~ ' ' if column_name is not none }}{{ expression }}) as expression_result
    from {{ model }}
),

failures as (
    select *
    from checked_rows
    where expression_result is not true
)

select * from failures
{%- endmacro %}
