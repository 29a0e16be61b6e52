{% test unique_combination_of_columns(model, combination_of_columns) %}
{#- One row per combination of `combination_of_columns` that occurs more than once in `model`
    (a compound key), with its count. NULLs compare equal here (a key column that may be NULL,
    like int_export_requests.partition_date, is still part of the key); declare not_null tests
    on the columns that must not be NULL. -#}
with

key_counts as (
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
),

failures as (
    select * from key_counts
    where occurrences > 1
)

select * from failures
{% endtest %}
