{% test has_child_rows(model, column_name, to, field, date_column=none, to_date_column=none) %}
{#- The reverse of `relationships`: rows of `model` whose `column_name` value has no row in `to`
    with that value in `field` (e.g. a session without any event). NULL values are not checked.
    With date_column / to_date_column, a child is known to be dated on or after its parent (a
    session's events happen on or after its session_date): only the children from the earliest
    tested parent's date on are read (a literal, one query when the test runs), so the test's cost
    follows the window it tests, not the child table's history (not when dbt only compiles). -#}
{%- set first_date = none -%}
{%- if running_data_tests() and date_column and to_date_column -%}
    {%- set first_date = query_date_literal(
        "select coalesce(min(" ~ date_column ~ "), date '9999-12-31') from " ~ model
        ~ ' where ' ~ column_name ~ ' is not null') -%}
{%- endif %}
with

parent_rows as (
    select {{ column_name }} as parent_key
    from {{ model }}
    where {{ column_name }} is not null
),

child_rows as (
    select {{ field }} as child_key
    from {{ to }}
    {%- if first_date is not none %}
    where {{ to_date_column }} >= {{ first_date }}
    {%- endif %}
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
