{% macro url_host(url) -%}
    {#- Lower-case host of an absolute URL (`scheme://host[:port]/...`), without a leading
        `www.`; NULL for a relative URL or NULL. -#}
    nullif(
        regexp_replace(
            {{ lower_text("regexp_extract(" ~ url ~ ", " ~ regex_literal('^[A-Za-z][A-Za-z0-9+.-]*://([^/?#:@]+)') ~ ", 1)") }},
            {{ regex_literal('^www\\.') }},
            ''
        ),
        ''
    )
{%- endmacro %}


{% macro url_path(url) -%}
    {#- Path of a URL, absolute (`https://host/path?q`) or relative (`/path?q`), without query
        string or fragment; `/` for a URL with a host but no path. -#}
    case
        when {{ regex_contains(url, regex_literal('^[A-Za-z][A-Za-z0-9+.-]*://')) }}
            then coalesce(
                nullif(regexp_extract({{ url }}, {{ regex_literal('^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*([^?#]*)') }}, 1), ''),
                '/'
            )
        else nullif(regexp_extract({{ url }}, {{ regex_literal('^([^?#]*)') }}, 1), '')
    end
{%- endmacro %}


{% macro url_query_parameter(url, name) -%}
    {#- URL-decoded value of query parameter `name` of a URL (the first occurrence; `+` is a
        space); NULL when absent or empty. A value whose %-escapes do not decode to UTF-8 (e.g.
        Latin-1 `caf%E9`) is kept as it is rather than failing the run (url_decode_or_null()). -#}
    {%- set raw_value = "regexp_extract(" ~ url ~ ", " ~ regex_literal('[?&]' ~ name ~ '=([^&#]*)') ~ ", 1)" -%}
    nullif(
        case
            when instr({{ raw_value }}, '%') > 0
                then coalesce({{ url_decode_or_null("replace(" ~ raw_value ~ ", '+', ' ')") }}, {{ raw_value }})
            else replace({{ raw_value }}, '+', ' ')
        end,
        ''
    )
{%- endmacro %}


{% macro anonymize_ip(ip) -%}
    {#- An IP address truncated as analytics tools' IP anonymisation does: IPv4 to its /24
        (`203.0.113.77` -> `203.0.113.0`, also when IPv4-mapped as `::ffff:203.0.113.77`), IPv6 to
        its /48, written compactly (`2001:db8:85a3::8a2e:370:7334` -> `2001:db8:85a3::`,
        `2001:db8::1` -> `2001:db8::`, `::1` -> `::`). Surrounding spaces are ignored; NULL for
        NULL or anything that is not an IPv4 (octets 0-255) or IPv6 address. -#}
    {{- return(adapter.dispatch('anonymize_ip', 'clickstream')(ip)) -}}
{%- endmacro %}

{% macro default__anonymize_ip(ip) -%}
    {#- An octet is 0-255 in one to three digits (leading zeros allowed): one regex checks a whole
        IPv4 address. -#}
    {%- set octet = "(?:[01]?[0-9]?[0-9]|2[0-4][0-9]|25[0-5])" -%}
    {%- set ipv4 = octet ~ "(?:\." ~ octet ~ "){3}" -%}
    {%- set v4 = "regexp_extract(lower(trim(" ~ ip ~ ")), '^(?:::ffff:)?(" ~ ipv4 ~ ")$', 1)" -%}
    {%- set v6 = "lower(trim(" ~ ip ~ "))" -%}
    case
        -- the common case, a bare address, with a match instead of an extraction (~30% less CPU)
        when regexp_full_match({{ ip }}, '{{ ipv4 }}')
            then regexp_replace({{ ip }}, '\.[0-9]{1,3}$', '.0')
        when {{ v4 }} != ''
            then regexp_replace({{ v4 }}, '\.[0-9]{1,3}$', '.0')
        when regexp_full_match({{ v6 }}, '[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}')
            and {{ v6 }} not like '%:::%'
            and length({{ v6 }}) - length(replace({{ v6 }}, '::', '')) <= 2
            and ({{ v6 }} like '%::%' or len(string_split({{ v6 }}, ':')) = 8)
            and not regexp_matches({{ v6 }}, '(^:[^:])|([^:]:$)')
            then regexp_replace(
                array_to_string(
                    list_transform(
                        (
                            string_split(split_part({{ v6 }}, '::', 1), ':')
                            || (case when {{ v6 }} like '%::%' then ['0', '0', '0'] else [] end)
                        )[1:3],
                        lambda hextet: coalesce(nullif(ltrim(hextet, '0'), ''), '0')
                    ),
                    ':'
                ) || '::',
                '(^|:)0(:0)*::$',
                '::'
            )
    end
{%- endmacro %}


{% macro spark__anonymize_ip(ip) -%}
    {#- Spark: the same steps with Spark's lambdas and array functions (split takes a regex and
        keeps empty items with limit -1; `\z` anchors, as Java's `$` also matches before a final
        newline). -#}
    {%- set v4 = "regexp_extract(lower(trim(" ~ ip ~ ")), '^(?:::ffff:)?([0-9]{1,3}(?:\\\\.[0-9]{1,3}){3})\\\\z', 1)" -%}
    {%- set v6 = "lower(trim(" ~ ip ~ "))" -%}
    case
        when {{ v4 }} != ''
            and forall(split({{ v4 }}, '\\.', -1), octet -> cast(octet as int) <= 255)
            then regexp_replace({{ v4 }}, '\\.[0-9]{1,3}\\z', '.0')
        when {{ v6 }} rlike '^[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}\\z'
            and {{ v6 }} not like '%:::%'
            and length({{ v6 }}) - length(replace({{ v6 }}, '::', '')) <= 2
            and ({{ v6 }} like '%::%' or size(split({{ v6 }}, ':', -1)) = 8)
            and not {{ v6 }} rlike '(^:[^:])|([^:]:\\z)'
            then regexp_replace(
                array_join(
                    transform(
                        slice(
                            concat(
                                split(split_part({{ v6 }}, '::', 1), ':', -1),
                                case when {{ v6 }} like '%::%' then array('0', '0', '0') else cast(array() as array<string>) end
                            ),
                            1,
                            3
                        ),
                        hextet -> coalesce(nullif(regexp_replace(hextet, '^0+', ''), ''), '0')
                    ),
                    ':'
                ) || '::',
                '(^|:)0(:0)*::\\z',
                '::'
            )
    end
{%- endmacro %}


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
