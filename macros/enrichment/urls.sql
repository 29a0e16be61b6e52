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
