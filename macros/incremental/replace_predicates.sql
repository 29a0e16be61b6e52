{#- The predicates (replace_where_macro) and the scope floor (replace_scope_floor_macro) that the
    marts give the `replace` strategy (incremental_replace.sql). -#}

{% macro batch_days_predicate() -%}
    {#- replace predicate: rows of the batch's landing days (and any later ones). -#}
    {{- return('dt >= ' ~ batch_min_dt()) -}}
{%- endmacro %}


{% macro replaced_sessions_predicate() -%}
    {#- replace predicate: the stored sessions this run replaces (int_sessions_replaced). -#}
    {{- return('session_id in (select session_id from ' ~ ref('int_sessions_replaced') ~ ')') -}}
{%- endmacro %}


{% macro changed_partitions_predicate(date_column) -%}
    {#- replace predicate: rows of this model whose date_column is one of the partitions this
        run changes (int_refresh_changed_partitions, by this model's name). -#}
    {{- return(date_column ~ " in (select partition_date from " ~ ref('int_refresh_changed_partitions')
        ~ " where table_name = '" ~ this.identifier ~ "')") -}}
{%- endmacro %}


{% macro rebuilt_users_predicate() -%}
    {#- replace predicate: the users whose sessions this run recomputed (int_sessions_rebuilt), so
        a user left with no human session is removed rather than kept stale. -#}
    {{- return('user_id in (select user_id from ' ~ ref('int_sessions_rebuilt') ~ ')') -}}
{%- endmacro %}


{% macro replaced_sessions_min_date() -%}
    {#- replace scope floor: the earliest session_date of the stored sessions this run replaces
        (int_sessions_replaced), as a date literal; '9999-12-31' when there are none. Every
        stored event, page view or session with one of these session ids happened on or after
        that date, since a session's id is derived from its first event. -#}
    {{- return(query_date_literal(
        "select coalesce(min(session_date), date '9999-12-31') from " ~ ref('int_sessions_replaced'))) -}}
{%- endmacro %}
