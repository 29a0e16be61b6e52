{#- The batch's first-landed events, enriched: URL parts, UTM parameters and click ids, referrer
    host and channel (referrer_domains seed + UTM rules, classify_channel()), user-agent device,
    browser and OS families and crawler flag (user_agent_patterns seed: the first matching
    pattern by priority per dimension, evaluated once per distinct user agent). -#}
with

events as (
    select * from {{ ref('int_click_events_deduplicated') }}
    where not is_duplicate
),

referrer_domains as (
    select * from {{ ref('referrer_domains') }}
),

user_agent_patterns as (
    select * from {{ ref('user_agent_patterns') }}
),

distinct_user_agents as (
    select distinct user_agent from events
    where user_agent is not null
),

user_agent_matches as (
    select
        distinct_user_agents.user_agent,
        user_agent_patterns.dimension,
        arg_min(user_agent_patterns.value, user_agent_patterns.priority) as matched_value,
    from distinct_user_agents
    inner join user_agent_patterns
        on regexp_matches(distinct_user_agents.user_agent, user_agent_patterns.pattern)
    group by distinct_user_agents.user_agent, user_agent_patterns.dimension
),

user_agents_classified as (
    select
        user_agent,
        any_value(matched_value) filter (where dimension = 'device_category') as device_category,
        any_value(matched_value) filter (where dimension = 'browser_family') as browser_family,
        any_value(matched_value) filter (where dimension = 'os_family') as os_family,
        bool_or(dimension = 'bot') as is_bot_user_agent,
    from user_agent_matches
    group by user_agent
),

urls_parsed as (
    select
        *,
        {{ url_host('page_url') }} as page_host,
        {{ url_path('page_url') }} as page_path,
        {{ url_query_parameter('page_url', 'utm_source') }} as utm_source,
        {{ url_query_parameter('page_url', 'utm_medium') }} as utm_medium,
        {{ url_query_parameter('page_url', 'utm_campaign') }} as utm_campaign,
        {{ url_query_parameter('page_url', 'utm_term') }} as utm_term,
        {{ url_query_parameter('page_url', 'utm_content') }} as utm_content,
        {{ url_query_parameter('page_url', 'gclid') }} as gclid,
        {{ url_query_parameter('page_url', 'fbclid') }} as fbclid,
        {{ url_host('referrer') }} as referrer_host,
    from events
),

distinct_referrer_hosts as (
    select distinct referrer_host from urls_parsed
    where referrer_host is not null
),

referrer_hosts_classified as (
    select
        distinct_referrer_hosts.referrer_host,
        arg_max(referrer_domains.channel, length(referrer_domains.domain)) as referrer_channel,
        arg_max(referrer_domains.source_name, length(referrer_domains.domain)) as referrer_source,
    from distinct_referrer_hosts
    inner join referrer_domains
        on
            distinct_referrer_hosts.referrer_host = referrer_domains.domain
            or distinct_referrer_hosts.referrer_host like '%.' || referrer_domains.domain
    group by distinct_referrer_hosts.referrer_host
),

final as (
    select
        urls_parsed.event_id,
        urls_parsed.user_id,
        urls_parsed.event_type,
        urls_parsed.event_ts,
        urls_parsed.page_url,
        urls_parsed.referrer,
        urls_parsed.user_agent,
        urls_parsed.ip,
        urls_parsed.properties,
        urls_parsed.extra_fields,
        urls_parsed.dt,
        urls_parsed.file_name,
        urls_parsed.line_number,
        urls_parsed.page_host,
        urls_parsed.page_path,
        urls_parsed.utm_source,
        urls_parsed.utm_medium,
        urls_parsed.utm_campaign,
        urls_parsed.utm_term,
        urls_parsed.utm_content,
        urls_parsed.gclid,
        urls_parsed.fbclid,
        urls_parsed.referrer_host,
        {{ classify_channel(
            'urls_parsed.utm_source', 'urls_parsed.utm_medium', 'urls_parsed.gclid', 'urls_parsed.fbclid',
            'urls_parsed.referrer_host', 'urls_parsed.page_host', 'referrer_hosts_classified.referrer_channel'
        ) }} as channel,
        coalesce(
            urls_parsed.utm_source, referrer_hosts_classified.referrer_source, urls_parsed.referrer_host
        ) as traffic_source,
        coalesce(user_agents_classified.device_category, 'unknown') as device_category,
        coalesce(user_agents_classified.browser_family, 'Other') as browser_family,
        coalesce(user_agents_classified.os_family, 'Other') as os_family,
        coalesce(user_agents_classified.is_bot_user_agent, false) as is_bot_user_agent,
    from urls_parsed
    left join referrer_hosts_classified
        on urls_parsed.referrer_host = referrer_hosts_classified.referrer_host
    left join user_agents_classified
        on urls_parsed.user_agent = user_agents_classified.user_agent
)

select * from final
