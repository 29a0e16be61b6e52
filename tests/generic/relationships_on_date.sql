{% test relationships_on_date(model, column_name, to, field, date_column, to_date_column,
                              parent_date='same', also_equal=[], to_where=none) %}
{#- `relationships` between dated rows: fails on every non-NULL value of the column that has no
    row in `to` with that value in `field` whose `to_date_column` is the child's `date_column`
    value (parent_date='same', e.g. a page view's event in fct_events on the same event_date) or
    on or after it (parent_date='on_or_after', e.g. an event's session in fct_sessions, whose
    last landing day is on or after the event's), whose `also_equal` columns equal the child's
    (with `=`: a NULL never matches), and that meets `to_where` if given. Because the parent is
    dated on or after the child, only the parent's rows from the earliest child date on are read:
    that date is a literal (one query when the test runs), so the engine skips older row groups /
    partitions and a daily refresh's test costs in proportion to the window it tests, not to the
    parent's history. When dbt only compiles (compile, docs generate: the tables may not exist
    yet), the parent is not bounded. -#}
{%- if parent_date not in ('same', 'on_or_after') -%}
    {{- exceptions.raise_compiler_error(
        "relationships_on_date: parent_date must be 'same' or 'on_or_after', not '" ~ parent_date ~ "'") -}}
{%- endif -%}
{%- set first_date = none -%}
{%- if running_data_tests() -%}
    {%- set first_date = query_date_literal(
        'select min(' ~ date_column ~ ') from ' ~ model ~ ' where ' ~ column_name ~ ' is not null') -%}
{%- endif %}
with

child_rows as (
    select
        {{ column_name }} as child_key,
        {{ date_column }} as child_date
        {%- for column in also_equal %},
        {{ column }} as child_{{ column }}
        {%- endfor %}
    from {{ model }}
    where {{ column_name }} is not null
),

parent_rows as (
    select
        {{ field }} as parent_key,
        {{ to_date_column }} as parent_date
        {%- for column in also_equal %},
        {{ column }} as parent_{{ column }}
        {%- endfor %}
    from {{ to }}
    where
        {%- if running_data_tests() %} {% if first_date is none %}false{% else %}{{ to_date_column }} >= {{ first_date }}{% endif %}
        {%- else %} true
        {%- endif %}
        {%- if to_where %} and ({{ to_where }}){% endif %}
),

failures as (
    select child_rows.*
    from child_rows
    left join parent_rows
        on
            child_rows.child_key = parent_rows.parent_key
            and parent_rows.parent_date {{ '=' if parent_date == 'same' else '>=' }} child_rows.child_date
            {%- for column in also_equal %}
            and child_rows.child_{{ column }} = parent_rows.parent_{{ column }}
            {%- endfor %}
    where parent_rows.parent_key is null
)

select * from failures
{% endtest %}
