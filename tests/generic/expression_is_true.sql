{% test expression_is_true(model, expression, column_name=none) %}
{#- Rows of `model` for which the boolean SQL `expression` is not true (false or NULL). At column
    level the expression is appended to the column name, e.g. expression: '>= 0'. -#}
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
{% endtest %}
