{% test relationships_on_date(model, column_name, to, field, date_column, to_date_column) %}
{#- `relationships` for rows that share a date with their parent: fails on every non-NULL value
    of the column that has no row in `to` with that value in `field` AND the child's
    `date_column` value in `to_date_column` (e.g. a page view's event in fct_events on the same
    event_date). Because the parent must be on the child's date, only the parent's rows from the
    earliest child date on are read: that date is a literal (one query when the test runs), so the
    engine skips older row groups / partitions and a daily refresh's test costs in proportion to
    the window it tests, not to the parent's history. -#}
{%- set first_date = none -%}
{%- if execute -%}
    {#- as text: Spark's Thrift client returns dates as strings -#}
    {%- set first_date = run_query(
        'select cast(min(' ~ date_column ~ ') as string) from ' ~ model ~ ' where ' ~ column_name ~ ' is not null'
    ).columns[0].values()[0] -%}
{%- endif %}
with

child_rows as (
    select
        {{ column_name }} as child_key,
        {{ date_column }} as child_date
    from {{ model }}
    where {{ column_name }} is not null
),

parent_rows as (
    select
        {{ field }} as parent_key,
        {{ to_date_column }} as parent_date
    from {{ to }}
    {%- if execute %}
    where {% if first_date is none %}false{% else %}{{ to_date_column }} >= date '{{ first_date }}'{% endif %}
    {%- endif %}
),

failures as (
    select
        child_rows.child_key,
        child_rows.child_date
    from child_rows
    left join parent_rows
        on
            child_rows.child_key = parent_rows.parent_key
            and child_rows.child_date = parent_rows.parent_date
    where parent_rows.parent_key is null
)

select * from failures
{% endtest %}
