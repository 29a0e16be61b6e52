{% test sessions_per_user_day_at_most(model, max_sessions) %}
{#- Outliers: (user, session day) pairs, among the session days this run changed, with more than
    max_sessions sessions (bots, broken clients, a session id bug). One row per pair; the test's
    warn_if / error_if decide how many outliers are a warning or an error. -#}
with

sessions as (
    select * from {{ model }}
),

changed_days as (
    select partition_date
    from {{ ref('int_refresh_changed_partitions') }}
    where table_name = 'fct_sessions'
),

final as (
    select
        sessions.user_id,
        sessions.session_date,
        count(*) as session_count,
        {{ max_sessions }} as max_sessions
    from sessions
    semi join changed_days on sessions.session_date = changed_days.partition_date
    group by sessions.user_id, sessions.session_date
    having count(*) > {{ max_sessions }}
)

select * from final
{% endtest %}
