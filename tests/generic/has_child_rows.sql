{% test has_child_rows(model, column_name, to, field) %}
{#- The reverse of `relationships`: rows of `model` whose `column_name` value has no row in `to`
    with that value in `field` (e.g. a session without any event). NULL values are not checked. -#}
with

parent_rows as (
    select {{ column_name }} as parent_key
    from {{ model }}
    where {{ column_name }} is not null
),

child_rows as (
    select {{ field }} as child_key
    from {{ to }}
),

failures as (
    select parent_rows.parent_key
    from parent_rows
    where not exists (
        select 1
        from child_rows
        where child_rows.child_key = parent_rows.parent_key
    )
)

select * from failures
{% endtest %}
