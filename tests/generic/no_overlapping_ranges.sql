{% test no_overlapping_ranges(model, partition_by, start_column, end_column) %}
{#- Rows of `model` whose closed range [start_column, end_column] overlaps an earlier range of the
    same partition (ranges ordered by start, then end): for each row, its start must be later
    than the latest end of the partition's earlier rows. Also fails rows whose start is after
    their end, or whose start or end is NULL. -#}
with

ranges as (
    select
        {{ partition_by }},
        {{ start_column }} as range_start,
        {{ end_column }} as range_end,
        max({{ end_column }}) over (
            partition by {{ partition_by }}
            order by {{ start_column }}, {{ end_column }}
            rows between unbounded preceding and 1 preceding
        ) as previous_range_end
    from {{ model }}
),

failures as (
    select *
    from ranges
    where
        range_start is null
        or range_end is null
        or range_start > range_end
        or range_start <= previous_range_end
)

select * from failures
{% endtest %}
