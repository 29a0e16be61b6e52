{#- The stored sessions (fct_sessions before this run) that this run replaces: every session
    of a batch user that overlaps [first batch event - timeout, last batch event + timeout], every
    session recomputed in int_sessions_rebuilt, and every session holding events of the batch's
    landing days from an earlier attempt. Deleting these before inserting int_sessions_rebuilt
    leaves no stale or orphaned session, even after a partly failed run. -#}
{%- set prior_sessions = prior_relation('fct_sessions') %}

with

rebuilt_sessions as (
    select * from {{ ref('int_sessions_rebuilt') }}
),

batch_events as (
    select * from {{ ref('int_events_sessionized') }}
    where is_batch_event
),

user_windows as (
    {{ user_session_windows('batch_events') }}
),

{% if prior_sessions is not none -%}
stored_sessions as (
    select
        session_id,
        user_id,
        session_start,
        session_end,
        session_date,
        last_dt
    from {{ prior_sessions }}
),
{%- else %}
stored_sessions as (
    select
        session_id,
        user_id,
        session_start,
        session_end,
        session_date,
        last_dt
    from rebuilt_sessions
    where false
),
{%- endif %}

final as (
    select distinct
        stored_sessions.session_id,
        stored_sessions.session_date
    from stored_sessions
    left join user_windows
        on {{ session_overlaps_user_window('stored_sessions', 'user_windows') }}
    where
        user_windows.user_id is not null
        or stored_sessions.last_dt >= {{ batch_min_dt() }}
        or stored_sessions.session_id in (select session_id from rebuilt_sessions)
)

select * from final
