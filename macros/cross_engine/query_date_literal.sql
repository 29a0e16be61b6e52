{% macro query_date_literal(query) -%}
    {#- Runs `query` (a SELECT of one row and one date column) now and returns its value as a SQL
        date literal, `date 'YYYY-MM-DD'`, or none when it is NULL: a constant the engine can
        prune row groups / partitions with. Read as text: Spark's Thrift client returns dates as
        strings. -#}
    {%- set value = run_query('select cast((' ~ query ~ ') as string)').columns[0].values()[0] -%}
    {{- return(none if value is none else "date '" ~ value ~ "'") -}}
{%- endmacro %}
