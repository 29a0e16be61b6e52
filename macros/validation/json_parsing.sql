{#- Parsing a raw line as JSON for int_click_events_validated (issue #7, docs/spark.md (b)-(d)).
    Dispatched: default__ is the DuckDB SQL (tuned for the benchmark: JSON functions only on lines
    already known to be valid), spark__ gives the same values on Spark from one VARIANT per line
    (json_document()). The DuckDB json_type names (OBJECT, ARRAY, VARCHAR, UBIGINT, BIGINT, DOUBLE,
    BOOLEAN, NULL) are the common vocabulary. -#}

{% macro json_document(line_text) -%}
    {#- The parsed form of a line that the other JSON macros (json_parsing.sql, json_fields.sql)
        take as `line_json`. DuckDB's JSON functions take the text itself: NULL there. Spark: the
        line parsed as a VARIANT, wrapped in a one-element array (`[line]`), so that trailing
        content after the first value (`{"a":1} x`), which try_parse_json() accepts, makes it
        invalid, as it is for DuckDB's json_valid(); json_kind() checks the element count. -#}
    {{- return(adapter.dispatch('json_document', 'clickstream')(line_text)) -}}
{%- endmacro %}

{% macro default__json_document(line_text) -%}
    cast(null as varchar)
{%- endmacro %}

{% macro spark__json_document(line_text) -%}
    try_parse_json('[' || {{ line_text }} || ']')
{%- endmacro %}


{% macro json_kind(line_text, line_json) -%}
    {#- The JSON type name of the whole line (DuckDB's json_type: OBJECT, ARRAY, VARCHAR,
        UBIGINT, BIGINT, DOUBLE, BOOLEAN, NULL), or NULL when it is not one valid JSON value. -#}
    {{- return(adapter.dispatch('json_kind', 'clickstream')(line_text, line_json)) -}}
{%- endmacro %}

{% macro default__json_kind(line_text, line_json) -%}
    {#- A valid JSON text that starts with `{` is an object: json_type() (a second parse) only
        for the other lines. -#}
    case
        when json_valid({{ line_text }})
            then case when starts_with({{ line_text }}, '{') then 'OBJECT' else json_type({{ line_text }}) end
    end
{%- endmacro %}

{% macro spark__json_kind(line_text, line_json) -%}
    case
        when array_size(try_cast({{ line_json }} as array<variant>)) = 1
            then {{ spark_json_type_name(
                "schema_of_variant(try_variant_get(" ~ line_json ~ ", '$[0]', 'variant'))",
                "regexp_replace(" ~ line_text ~ ", '^[ \\\\t\\\\r\\\\n]+|[ \\\\t\\\\r\\\\n]+\\\\z', '')",
                "(" ~ line_text ~ " rlike '^[ \\\\t\\\\r\\\\n]*-')"
            ) }}
    end
{%- endmacro %}


{% macro spark_json_type_name(schema, number_text, is_negative) -%}
    {#- Spark: DuckDB's json_type name of a JSON value from its schema_of_variant() name
        (`schema`). Integers: UBIGINT when not negative (`is_negative`, SQL) and up to
        18446744073709551615 (its text `number_text` decides past BIGINT, where the VARIANT holds a
        DECIMAL(p,0)), BIGINT when negative, DOUBLE beyond; every other number is DOUBLE
        (the VARIANT keeps e.g. 1.0 as DECIMAL(1,0)). -#}
    case
        when {{ schema }} like 'OBJECT%' then 'OBJECT'
        when {{ schema }} like 'ARRAY%' then 'ARRAY'
        when {{ schema }} = 'STRING' then 'VARCHAR'
        when {{ schema }} in ('BIGINT', 'INT', 'SMALLINT', 'TINYINT')
            then case when {{ is_negative }} then 'BIGINT' else 'UBIGINT' end
        when {{ schema }} like 'DECIMAL(%,0)'
            and {{ number_text }} rlike '^[0-9]{19,20}\\z'
            and (length({{ number_text }}) = 19 or {{ number_text }} <= '18446744073709551615')
            then 'UBIGINT'
        when {{ schema }} like 'DECIMAL%' or {{ schema }} in ('DOUBLE', 'FLOAT') then 'DOUBLE'
        when {{ schema }} = 'VOID' then 'NULL'
        else {{ schema }}
    end
{%- endmacro %}


{% macro json_object_keys_list(line_text, line_json) -%}
    {#- The top-level keys of a JSON object line, in the order written (repeated keys repeated). -#}
    {{- return(adapter.dispatch('json_object_keys_list', 'clickstream')(line_text, line_json)) -}}
{%- endmacro %}

{% macro default__json_object_keys_list(line_text, line_json) -%}
    json_keys({{ line_text }})
{%- endmacro %}

{% macro spark__json_object_keys_list(line_text, line_json) -%}
    json_object_keys({{ line_text }})
{%- endmacro %}
