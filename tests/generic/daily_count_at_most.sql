{% test daily_count_at_most(model, column_name, max_count, var_name) %}
{#- Quality threshold: the landing days of this run's batch whose column_name is above
    max_count. One row per such day, naming the dbt var that sets the threshold. -#}
with

daily as (
    select
        dt,
        {{ column_name }} as count_value
    from {{ model }}
),

batch_days as (
    select distinct dt from {{ ref('stg_click_events__files') }}
),

final as (
    select
        daily.dt,
        daily.count_value,
        {{ max_count }} as max_count,
        '{{ var_name }}' as threshold_var
    from daily
    semi join batch_days on daily.dt = batch_days.dt
    where daily.count_value > {{ max_count }}
)

select * from final
{% endtest %}
