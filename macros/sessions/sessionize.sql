{% macro session_gap_exceeded(previous_ts, current_ts) -%}
    {#- TRUE when the gap between two consecutive events of a user is strictly greater than var
        session_timeout_minutes (compared in whole microseconds, so engines agree), or when there
        is no previous event. -#}
    ({{ previous_ts }} is null
        or {{ epoch_microseconds(current_ts) }} - {{ epoch_microseconds(previous_ts) }}
            > {{ int_var('session_timeout_minutes') }} * 60 * 1000000)
{%- endmacro %}


{% macro session_id(user_id, first_event_id) -%}
    {#- A session's stable id: md5 of its user and its first event (by event_ts, then event_id),
        so the same session gets the same id on every rerun, day by day or full refresh. -#}
    md5({{ user_id }} || chr(31) || {{ first_event_id }})
{%- endmacro %}


{% macro is_bot_session(has_bot_user_agent, event_count, session_start, session_end) -%}
    {#- TRUE for a session of a crawler: any event with a crawler user agent (user_agent_patterns
        seed), or an implausible pace for a person: at least var bot_min_session_events events at
        more than var bot_max_events_per_minute events per minute over the session's duration
        (taken as at least one second). -#}
    ({{ has_bot_user_agent }}
        or ({{ event_count }} >= {{ int_var('bot_min_session_events') }}
            and {{ event_count }} > {{ int_var('bot_max_events_per_minute') }}
                * greatest({{ seconds_between(session_start, session_end) }}, 1) / 60))
{%- endmacro %}


{% macro user_session_windows(batch_events) -%}
    {#- SELECT of one row per user of `batch_events` (a relation or CTE with user_id, event_ts):
        [first event - session timeout, last event + session timeout], the span in which a stored
        session of that user can merge with the batch's events. Used by int_events_sessionized
        (which sessions to recompute) and int_sessions_replaced (which stored sessions to delete). -#}
    select
        user_id,
        min(event_ts) - {{ minutes_interval(int_var('session_timeout_minutes')) }} as window_start,
        max(event_ts) + {{ minutes_interval(int_var('session_timeout_minutes')) }} as window_end
    from {{ batch_events }}
    group by user_id
{%- endmacro %}


{% macro session_overlaps_user_window(sessions, user_windows) -%}
    {#- Join condition: a stored session (`sessions`: user_id, session_start, session_end) overlaps
        its user's window from user_session_windows() (`user_windows`), i.e. it can merge with the
        batch's events. The one definition of "a stored session the batch can touch", shared by
        int_events_sessionized, int_sessions_replaced and history_events_min_dt(). -#}
    {{ sessions }}.user_id = {{ user_windows }}.user_id
    and {{ sessions }}.session_end >= {{ user_windows }}.window_start
    and {{ sessions }}.session_start <= {{ user_windows }}.window_end
{%- endmacro %}


{% macro history_events_min_dt(batch_events, prior_events, prior_sessions) -%}
    {#- A date literal bounding from below the landing days (dt) of the stored events that
        int_events_sessionized can need, so a daily run reads the stored events of the last few
        days, not all history: every stored session it recomputes overlaps a batch user's window
        (user_session_windows), all its events happened at or after the earliest start of such a
        session, and an event lands on its UTC day or, within var clock_skew_minutes, the day
        before (later is quarantined as future_event). Returns none (no bound: all history is
        read) outside a daily run (compile, full refresh, unit test) and on a re-run of landing
        days whose events are already stored: their sessions can reach back any distance.
        Returns date '9999-12-31' (nothing to read) when no stored session is touched. Runs two
        small queries when the model is compiled (the batch is built by then). -#}
    {%- if not execute or prior_events is none or prior_sessions is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set stored_batch_rows = run_query(
        'select count(*) from ' ~ prior_events ~ ' where dt >= ' ~ batch_min_dt()
    ).columns[0].values()[0] -%}
    {%- if stored_batch_rows | int > 0 -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set earliest_query -%}
        with batch_events as (
            select user_id, event_ts from {{ batch_events }}
        ),
        user_windows as (
            {{ user_session_windows('batch_events') }}
        )
        select cast(cast(min(stored_sessions.session_start) - {{ minutes_interval(int_var('clock_skew_minutes')) }} as date) as string)
        from {{ prior_sessions }} as stored_sessions
        inner join user_windows
            on {{ session_overlaps_user_window('stored_sessions', 'user_windows') }}
    {%- endset -%}
    {%- set earliest_day = run_query(earliest_query).columns[0].values()[0] -%}
    {{- return("date '" ~ (earliest_day if earliest_day is not none else '9999-12-31') ~ "'") -}}
{%- endmacro %}
