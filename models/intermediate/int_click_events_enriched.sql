{#- The batch's first-landed events, enriched: URL parts, UTM parameters and click ids, referrer
    host and channel (referrer_domains seed + UTM rules, classify_channel()), user-agent device,
    browser and OS families and crawler flag (user_agent_patterns seed: the first matching
    pattern by priority per dimension). Page URLs, referrers and user agents repeat a lot, so
    each distinct value is parsed or classified once and joined back. -#}
with

events as {{ inline_cte_hint() }} (
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
        {{ value_at_min('user_agent_patterns.value', 'user_agent_patterns.priority') }} as matched_value
    from distinct_user_agents
    inner join user_agent_patterns
        on {{ seed_regex_contains('distinct_user_agents.user_agent', 'user_agent_patterns.pattern') }}
    group by distinct_user_agents.user_agent, user_agent_patterns.dimension
),

user_agents_classified as (
    select
        user_agent,
        {#- one row per user agent and dimension: max() picks that row's value -#}
        max(matched_value) filter (where dimension = 'device_category') as device_category,
        max(matched_value) filter (where dimension = 'browser_family') as browser_family,
        max(matched_value) filter (where dimension = 'os_family') as os_family,
        bool_or(dimension = 'bot') as is_bot_user_agent
    from user_agent_matches
    group by user_agent
),

distinct_page_urls as (
    select distinct page_url from events
    where page_url is not null
),

page_urls_parsed as (
    select
        page_url,
        {{ url_host('page_url') }} as page_host,
        {{ url_path('page_url') }} as page_path,
        {{ url_query_parameter('page_url', 'utm_source') }} as utm_source,
        {{ url_query_parameter('page_url', 'utm_medium') }} as utm_medium,
        {{ url_query_parameter('page_url', 'utm_campaign') }} as utm_campaign,
        {{ url_query_parameter('page_url', 'utm_term') }} as utm_term,
        {{ url_query_parameter('page_url', 'utm_content') }} as utm_content,
        {{ url_query_parameter('page_url', 'gclid') }} as gclid,
        {{ url_query_parameter('page_url', 'fbclid') }} as fbclid
    from distinct_page_urls
),

distinct_referrers as (
    select distinct referrer from events
    where referrer is not null
),

referrers_parsed as (
    select
        referrer,
        {{ url_host('referrer') }} as referrer_host
    from distinct_referrers
),

distinct_referrer_hosts as (
    select distinct referrer_host from referrers_parsed
    where referrer_host is not null
),

referrer_hosts_classified as (
    select
        distinct_referrer_hosts.referrer_host,
        {{ value_at_max('referrer_domains.channel', 'length(referrer_domains.domain)') }} as referrer_channel,
        {{ value_at_max('referrer_domains.source_name', 'length(referrer_domains.domain)') }} as referrer_source
    from distinct_referrer_hosts
    inner join referrer_domains
        on
            distinct_referrer_hosts.referrer_host = referrer_domains.domain
            or distinct_referrer_hosts.referrer_host like '%.' || referrer_domains.domain
    group by distinct_referrer_hosts.referrer_host
),

referrers_classified as (
    select
        referrers_parsed.referrer,
        referrers_parsed.referrer_host,
        referrer_hosts_classified.referrer_channel,
        referrer_hosts_classified.referrer_source
    from referrers_parsed
    left join referrer_hosts_classified
        on referrers_parsed.referrer_host = referrer_hosts_classified.referrer_host
),

urls_parsed as (
    select
        events.*,
        page_urls_parsed.page_host,
        page_urls_parsed.page_path,
        page_urls_parsed.utm_source,
        page_urls_parsed.utm_medium,
        page_urls_parsed.utm_campaign,
        page_urls_parsed.utm_term,
        page_urls_parsed.utm_content,
        page_urls_parsed.gclid,
        page_urls_parsed.fbclid,
        referrers_classified.referrer_host,
        referrers_classified.referrer_channel,
        referrers_classified.referrer_source
    from events
    left join page_urls_parsed
        on events.page_url = page_urls_parsed.page_url
    left join referrers_classified
        on events.referrer = referrers_classified.referrer
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
            'urls_parsed.referrer_host', 'urls_parsed.page_host', 'urls_parsed.referrer_channel'
        ) }} as channel,
        coalesce(
            urls_parsed.utm_source, urls_parsed.referrer_source, urls_parsed.referrer_host
        ) as traffic_source,
        coalesce(user_agents_classified.device_category, 'unknown') as device_category,
        coalesce(user_agents_classified.browser_family, 'Other') as browser_family,
        coalesce(user_agents_classified.os_family, 'Other') as os_family,
        coalesce(user_agents_classified.is_bot_user_agent, false) as is_bot_user_agent
    from urls_parsed
    left join user_agents_classified
        on urls_parsed.user_agent = user_agents_classified.user_agent
)

select * from final
