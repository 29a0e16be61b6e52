{% test daily_rate_at_most(model, numerator, denominator, max_rate, min_denominator, complete_days_only=false) %}
{#- Quality threshold: the landing days of this run's batch (with at least min_denominator in
    the denominator, so that a rate means something) whose numerator / denominator is above
    max_rate. One row per such day. complete_days_only: only landing days that are complete
    (last_complete_landing_day()): a day still landing is judged once it is complete. -#}
with

daily as (
    select
        dt,
        {{ numerator }} as numerator_value,
        {{ denominator }} as denominator_value
    from {{ model }}
),

batch_days as (
    select distinct dt from {{ ref('stg_click_events__files') }}
),

final as (
    select
        daily.dt,
        daily.numerator_value,
        daily.denominator_value,
        daily.numerator_value / daily.denominator_value as rate,
        {{ max_rate }} as max_rate
    from daily
    semi join batch_days on daily.dt = batch_days.dt
    where
        daily.denominator_value >= {{ min_denominator }}
        and daily.numerator_value > {{ max_rate }} * daily.denominator_value
        {%- if complete_days_only %}
        and daily.dt <= {{ last_complete_landing_day() }}
        {%- endif %}
)

select * from final
{% endtest %}
