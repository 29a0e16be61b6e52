{#- URL parts as RFC 3986 (and Python's urllib.parse.urlsplit) read them: an optional scheme
    (`https:`), then an authority only after `//` (`[userinfo@]host[:port]`, up to the first `/`,
    `?` or `#`), the path, the query after the first `?` and the fragment after the first `#`.
    Pinned against urllib.parse on a generated corpus by tests/python/test_url_macros.py. -#}

{% macro url_scheme_regex() -%}
    {#- Regex (a Jinja string) of the optional scheme at the start of a URL: a letter, then
        letters, digits, `+`, `-` or `.`, then `:`. -#}
    {{- return('(?:[A-Za-z][A-Za-z0-9+.-]*:)?') -}}
{%- endmacro %}


{% macro url_host(url) -%}
    {#- Lower-case host of a URL with an authority (`scheme://host`, `//host`), without userinfo,
        port and a leading `www.`; an IPv6 literal keeps its brackets. NULL when there is no
        authority (`/path`, `mailto:x`) or it has no host. -#}
    {%- set host_pattern = '^' ~ url_scheme_regex() ~ '//(?:[^/?#]*@)?(\\[[^/?#\\]]*\\]|[^/?#:]*)' -%}
    {%- set host = "regexp_extract(" ~ url ~ ", " ~ regex_literal(host_pattern) ~ ", 1)" -%}
    nullif(regexp_replace({{ lower_text(host) }}, {{ regex_literal('^www\\.') }}, ''), '')
{%- endmacro %}


{% macro url_path(url) -%}
    {#- Path of a URL (after the optional scheme and authority, before query and fragment); `/`
        when it is empty and the URL has an authority (`//`); NULL when it is empty otherwise. -#}
    {%- set path_pattern = '^' ~ url_scheme_regex() ~ '(?://[^/?#]*)?([^?#]*)' -%}
    coalesce(
        nullif(regexp_extract({{ url }}, {{ regex_literal(path_pattern) }}, 1), ''),
        case when {{ regex_contains(url, regex_literal('^' ~ url_scheme_regex() ~ '//')) }} then '/' end
    )
{%- endmacro %}


{% macro url_query(url) -%}
    {#- Query string of a URL: what follows the first `?` that comes before any `#`, up to the
        fragment; '' when there is none. -#}
    regexp_extract({{ url }}, {{ regex_literal('^[^?#]*\\?([^#]*)') }}, 1)
{%- endmacro %}


{% macro url_query_parameter(url, name) -%}
    {#- URL-decoded value of query parameter `name` (as written, not decoded) of a URL's query
        string: the first occurrence, `name=value` or a bare `name` (empty); `+` is a space; NULL
        when absent or empty. A value whose %-escapes do not decode to UTF-8 (e.g. Latin-1
        `caf%E9`) is kept as it is rather than failing the run (url_decode_or_null()). The query
        string is searched for `name` after its start or a `&`, with no repeated group: Java's
        regex engine (Spark) recurses once per repetition, and a long query would overflow its
        stack. -#}
    {%- set parameter_pattern = '(?:^|&)' ~ name ~ '(?:=([^&]*))?(?:&|\\z)' -%}
    {%- set raw_value = "regexp_extract(" ~ url_query(url) ~ ", " ~ regex_literal(parameter_pattern) ~ ", 1)" -%}
    nullif(
        case
            when instr({{ raw_value }}, '%') > 0
                then coalesce({{ url_decode_or_null("replace(" ~ raw_value ~ ", '+', ' ')") }}, {{ raw_value }})
            else replace({{ raw_value }}, '+', ' ')
        end,
        ''
    )
{%- endmacro %}


{% macro url_decode_or_null(text) -%}
    {#- `text` with its %XX escapes decoded as UTF-8 (a `%` not followed by two hex digits is kept
        as it is; `+` is not touched), or NULL when the decoded bytes are not valid UTF-8. -#}
    {{- return(adapter.dispatch('url_decode_or_null', 'clickstream')(text)) -}}
{%- endmacro %}

{% macro default__url_decode_or_null(text) -%}
    try(url_decode({{ text }}))
{%- endmacro %}

{% macro spark__url_decode_or_null(text) -%}
    {#- Spark's try_url_decode (java.net.URLDecoder) returns NULL for a `%` without two hex digits
        (DuckDB keeps it: so it is escaped as %25 first) and turns bytes that are not UTF-8 into
        U+FFFD (DuckDB fails: so a result with more U+FFFD than the text had, literally or as
        %EF%BF%BD, is NULL). -#}
    {%- set decoded = "try_url_decode(regexp_replace(" ~ text ~ ", '%(?![0-9A-Fa-f]{2})', '%25'))" -%}
    case
        when
            length({{ decoded }}) - length(replace({{ decoded }}, '\uFFFD', ''))
            = length({{ text }}) - length(replace({{ text }}, '\uFFFD', ''))
            + (length(lower({{ text }})) - length(replace(lower({{ text }}), '%ef%bf%bd', ''))) div 9
            then {{ decoded }}
    end
{%- endmacro %}
