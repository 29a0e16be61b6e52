{% macro classify_channel(utm_source, utm_medium, gclid, fbclid, referrer_host, page_host, referrer_channel) -%}
    {#- Marketing channel of an event (a session takes its first event's), first rule that applies:
        paid_social (a paid utm_medium - cpc, ppc, paid, paid_search, paid_social ... - from a
        social source: a social referrer or utm_source), paid_search (any other paid utm_medium,
        or a gclid), email (utm_medium email, or an email referrer without utm_medium), social
        (utm_medium social/social-network/sm, an fbclid or a social referrer without
        utm_medium), display (utm_medium display/banner/cpm), affiliate (utm_medium affiliate),
        referral (utm_medium referral), other_campaign (any other utm_medium), internal
        (referrer on the site's own host), organic_search (a search-engine referrer), referral
        (any other referrer), direct (no referrer). Referrer kinds come from the
        referrer_domains seed. -#}
    {%- set medium = lower_text(utm_medium) -%}
    {%- set is_paid = medium ~ " in ('cpc', 'ppc', 'paid', 'paid_search', 'paidsearch', 'paid_social', 'paidsocial')" -%}
    {%- set is_social_source = "(coalesce(" ~ referrer_channel ~ ", '') = 'social' or " ~ lower_text(utm_source)
        ~ " in ('facebook', 'fb', 'instagram', 'ig', 'twitter', 'x', 'linkedin', 'tiktok', 'pinterest', 'reddit', 'youtube', 'snapchat'))" -%}
    case
        when {{ is_paid }} and ({{ medium }} in ('paid_social', 'paidsocial') or {{ is_social_source }}) then 'paid_social'
        when {{ is_paid }} or {{ gclid }} is not null then 'paid_search'
        when {{ medium }} = 'email' then 'email'
        when {{ utm_medium }} is null and {{ referrer_channel }} = 'email' then 'email'
        when {{ medium }} in ('social', 'social-network', 'social_network', 'sm') then 'social'
        when {{ utm_medium }} is null and ({{ fbclid }} is not null or {{ referrer_channel }} = 'social') then 'social'
        when {{ medium }} in ('display', 'banner', 'cpm') then 'display'
        when {{ medium }} = 'affiliate' then 'affiliate'
        when {{ medium }} = 'referral' then 'referral'
        when {{ utm_medium }} is not null then 'other_campaign'
        when {{ referrer_host }} is not null and {{ referrer_host }} = {{ page_host }} then 'internal'
        when {{ referrer_channel }} is not null then {{ referrer_channel }}
        when {{ referrer_host }} is not null then 'referral'
        else 'direct'
    end
{%- endmacro %}
