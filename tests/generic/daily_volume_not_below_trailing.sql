{% test daily_volume_not_below_trailing(model, column_name, min_ratio, trailing_days, min_history_days, complete_days_only=false) %}
{#- Volume anomaly: the landing days of this run's batch whose column_name is below min_ratio
    times its average over the trailing_days landing days before it (only days with at least
    min_history_days of history are judged). One row per such day. complete_days_only: only
    landing days that are complete (last_complete_landing_day()): a day still landing has not
    its volume yet. -#}
with

daily as (
    select
        dt,
        {{ column_name }} as day_value,
        avg({{ column_name }}) over trailing_window as trailing_average,
        count(*) over trailing_window as history_days
    from {{ model }}
    window trailing_window as (order by dt rows between {{ trailing_days }} preceding and 1 preceding)
),

batch_days as (
    select distinct dt from {{ ref('stg_click_events__files') }}
),

final as (
    select
        daily.dt,
        daily.day_value,
        daily.trailing_average,
        daily.history_days,
        {{ min_ratio }} as min_ratio
    from daily
    semi join batch_days on daily.dt = batch_days.dt
    where
        daily.history_days >= {{ min_history_days }}
        and daily.day_value < {{ min_ratio }} * daily.trailing_average
        {%- if complete_days_only %}
        and daily.dt <= {{ last_complete_landing_day() }}
        {%- endif %}
)

select * from final
{% endtest %}
