-- depends_on: {{ ref('stg_click_events__files') }}
{#- The events whose session can change in this run, with their session recomputed: the batch's
    first-landed events plus every earlier event (from fct_events) of the sessions they can touch.
    A batch event can join an existing session when it is within the session timeout of it, so
    for each user every stored session (fct_sessions) overlapping [first batch event - timeout,
    last batch event + timeout] is recomputed, together with the sessions that fct_events
    assigns to events of the batch's landing days from an earlier attempt (a re-run, or a run
    that failed after fct_events committed: fct_sessions only commits after fct_events).
    Recomputing whole sessions is exact: sessions left out are more than the timeout away from
    every recomputed event. Sessions are assigned on the four key columns only (one sort by user
    and time; the session's first event id is carried forward), then joined back to the wide
    rows: sorting every column of the events would cost several times more. -#}
{{ config(bucketed_build=true) }}
{#- Built in user buckets on a large batch (build_bucket_predicate() in each import CTE): every
    step below is per user. -#}
{%- set prior_events = prior_relation('fct_events') %}
{%- set prior_sessions = prior_relation('fct_sessions') %}
{#- Stored events of earlier landing days than this bound cannot belong to a recomputed session:
    skipping them keeps a daily run's cost independent of the length of history. -#}
{%- set history_min_dt = history_events_min_dt(ref('int_click_events_enriched'), prior_events, prior_sessions) %}
{#- The columns of int_click_events_enriched, in its order (history rows from fct_events and the
    batch's rows are stacked on them). -#}
{%- set enriched_columns = [
    'event_id', 'user_id', 'event_type', 'event_ts', 'page_url', 'referrer', 'user_agent',
    'ip', 'properties', 'extra_fields', 'dt', 'file_name', 'line_number', 'page_host',
    'page_path', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content',
    'gclid', 'fbclid', 'referrer_host', 'channel', 'traffic_source', 'device_category',
    'browser_family', 'os_family', 'is_bot_user_agent'
] %}

with

batch_events as {{ inline_cte_hint() }} (
    select * from {{ ref('int_click_events_enriched') }}
    where {{ build_bucket_predicate('user_id') }}
),

history_events as {{ inline_cte_hint() }} (
    {%- if prior_events is not none %}
    select
        {{ enriched_columns | join(',\n        ') }},
        session_id
    from {{ prior_events }}
    where
        dt < {{ batch_min_dt() }}
        and {{ build_bucket_predicate('user_id') }}
        {%- if history_min_dt is not none %}
        and dt >= {{ history_min_dt }}
        {%- endif %}
    {%- else %}
    select
        *,
        cast(null as string) as session_id
    from batch_events
    where false
    {%- endif %}
),

rerun_session_ids as (
    {%- if prior_events is not none %}
    select distinct session_id
    from {{ prior_events }}
    where
        dt >= {{ batch_min_dt() }}
        and {{ build_bucket_predicate('user_id') }}
    {%- else %}
    select session_id from history_events
    where false
    {%- endif %}
),

user_windows as (
    {{ user_session_windows('batch_events') }}
),

stored_sessions as (
    {%- if prior_sessions is not none %}
    select session_id, user_id, session_start, session_end
    from {{ prior_sessions }}
    where {{ build_bucket_predicate('user_id') }}
    {%- else %}
    select
        cast(null as string) as session_id,
        cast(null as string) as user_id,
        cast(null as timestamp) as session_start,
        cast(null as timestamp) as session_end
    where false
    {%- endif %}
),

affected_session_ids as (
    select stored_sessions.session_id
    from stored_sessions
    inner join user_windows
        on {{ session_overlaps_user_window('stored_sessions', 'user_windows') }}
    union
    select session_id from rerun_session_ids
),

events_to_sessionize as {{ inline_cte_hint() }} (
    select
        history_events.{{ enriched_columns | join(',\n        history_events.') }},
        false as is_batch_event
    from history_events
    semi join affected_session_ids
        on history_events.session_id = affected_session_ids.session_id
    union all
    select
        {{ enriched_columns | join(',\n        ') }},
        true as is_batch_event
    from batch_events
),

event_keys as (
    select
        event_id,
        user_id,
        event_ts,
        is_bot_user_agent
    from events_to_sessionize
),

gaps_flagged as (
    select
        *,
        {{ session_gap_exceeded(
            'lag(event_ts) over (partition by user_id order by event_ts, event_id)', 'event_ts'
        ) }} as is_session_start
    from event_keys
),

sessions_identified as (
    select
        *,
        {{ session_id(
            'user_id',
            last_non_null('case when is_session_start then event_id end') ~ ' over (
                partition by user_id order by event_ts, event_id rows unbounded preceding
            )'
        ) }} as session_id
    from gaps_flagged
),

sessions_bot_flagged as (
    select
        session_id,
        {{ is_bot_session('bool_or(is_bot_user_agent)', 'count(*)', 'min(event_ts)', 'max(event_ts)') }} as is_bot
    from sessions_identified
    group by session_id
),

events_assigned as {{ materialized_cte_hint() }} (
    select
        sessions_identified.event_id,
        sessions_identified.session_id,
        sessions_bot_flagged.is_bot
    from sessions_identified
    inner join sessions_bot_flagged
        on sessions_identified.session_id = sessions_bot_flagged.session_id
),

events_with_sessions as (
    select
        events_to_sessionize.*,
        events_assigned.session_id,
        events_assigned.is_bot
    from events_to_sessionize
    inner join events_assigned
        on events_to_sessionize.event_id = events_assigned.event_id
),

final as (
    select
        event_id,
        user_id,
        event_type,
        event_ts,
        cast(event_ts as date) as event_date,
        session_id,
        page_url,
        referrer,
        user_agent,
        ip,
        properties,
        extra_fields,
        dt,
        file_name,
        line_number,
        page_host,
        page_path,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        gclid,
        fbclid,
        referrer_host,
        channel,
        traffic_source,
        device_category,
        browser_family,
        os_family,
        is_bot_user_agent,
        is_bot,
        is_batch_event
    from events_with_sessions
)

select * from final
