{#- The contract fields and the extra fields of a JSON object line (int_click_events_validated).
    Dispatched: default__ is the DuckDB SQL, spark__ the Spark SQL, with the same result on the
    same input (issue #7, docs/spark.md). -#}

{% macro json_field_types(line_text, line_json, fields) -%}
    {#- The list of the JSON type names (as json_kind()) of the top-level `fields` (a Jinja list
        of names) of an object line, NULL for a missing field. DuckDB: one json_type() pass. -#}
    {{- return(adapter.dispatch('json_field_types', 'clickstream')(line_text, line_json, fields)) -}}
{%- endmacro %}

{% macro default__json_field_types(line_text, line_json, fields) -%}
    json_type({{ line_text }}, ['$.{{ fields | join("', '$.") }}'])
{%- endmacro %}

{% macro spark__json_field_types(line_text, line_json, fields) -%}
    array(
    {%- for field in fields %}
        {{ spark_json_type_name(
            "schema_of_variant(try_variant_get(" ~ line_json ~ ", '$[0]." ~ field ~ "', 'variant'))",
            "get_json_object(" ~ line_text ~ ", '$." ~ field ~ "')",
            "try_variant_get(" ~ line_json ~ ", '$[0]." ~ field ~ "', 'bigint') < 0"
        ) }}{{ "," if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}


{% macro json_field_texts(line_text, line_json, fields, field_types) -%}
    {#- The list of the texts of the top-level `fields` of an object line, as DuckDB's
        json_extract_string gives them: a string unescaped, a number or boolean as JSON, an object
        or array as minified JSON in the order written, NULL for JSON null or a missing field.
        `field_types` is the json_field_types() list of the same fields (Spark reads a string
        from the VARIANT and the rest from the text). -#}
    {{- return(adapter.dispatch('json_field_texts', 'clickstream')(line_text, line_json, fields, field_types)) -}}
{%- endmacro %}

{% macro default__json_field_texts(line_text, line_json, fields, field_types) -%}
    json_extract_string({{ line_text }}, ['$.{{ fields | join("', '$.") }}'])
{%- endmacro %}

{% macro spark__json_field_texts(line_text, line_json, fields, field_types) -%}
    array(
    {%- for field in fields %}
        case {{ field_types }}[{{ loop.index0 }}]
            when 'VARCHAR' then try_variant_get({{ line_json }}, '$[0].{{ field }}', 'string')
            when 'NULL' then cast(null as string)
            when 'DOUBLE' then {{ spark_yyjson_number_text("get_json_object(" ~ line_text ~ ", '$." ~ field ~ "')") }}
            when 'OBJECT' then {{ spark_yyjson_json_text("get_json_object(" ~ line_text ~ ", '$." ~ field ~ "')") }}
            when 'ARRAY' then {{ spark_yyjson_json_text("get_json_object(" ~ line_text ~ ", '$." ~ field ~ "')") }}
            else get_json_object({{ line_text }}, '$.{{ field }}')
        end{{ "," if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}


{% macro json_field_json(line_text, line_json, field, field_type) -%}
    {#- The JSON text of top-level field `field` (a Jinja name) of an object line, as written
        in the line but minified (DuckDB's json_extract / yyjson: key order kept, non-ASCII
        characters raw, control characters escaped); NULL when missing. `field_type` is its
        json_field_types() name. -#}
    {{- return(adapter.dispatch('json_field_json', 'clickstream')(line_text, line_json, field, field_type)) -}}
{%- endmacro %}

{% macro default__json_field_json(line_text, line_json, field, field_type) -%}
    json_extract({{ line_text }}, '$.{{ field }}')
{%- endmacro %}

{% macro spark__json_field_json(line_text, line_json, field, field_type) -%}
    case {{ field_type }}
        when 'VARCHAR' then to_json(try_variant_get({{ line_json }}, '$[0].{{ field }}', 'variant'))
        when 'NULL' then 'null'
        when 'DOUBLE' then {{ spark_yyjson_number_text("get_json_object(" ~ line_text ~ ", '$." ~ field ~ "')") }}
        when 'OBJECT' then {{ spark_yyjson_json_text("get_json_object(" ~ line_text ~ ", '$." ~ field ~ "')") }}
        when 'ARRAY' then {{ spark_yyjson_json_text("get_json_object(" ~ line_text ~ ", '$." ~ field ~ "')") }}
        else get_json_object({{ line_text }}, '$.{{ field }}')
    end
{%- endmacro %}


{% macro properties_json(line_text, line_json, properties_type, properties_text) -%}
    {#- The `properties` field as JSON (DuckDB: type JSON; Spark: its text): an object or array
        from its text (properties_text, from json_field_texts()), other kinds (rare) extracted
        again; NULL when missing. -#}
    {{- return(adapter.dispatch('properties_json', 'clickstream')(line_text, line_json, properties_type, properties_text)) -}}
{%- endmacro %}

{% macro default__properties_json(line_text, line_json, properties_type, properties_text) -%}
    case
        -- the most common value needs no JSON cast (which parses the text again)
        when {{ properties_text }} = '{}' and {{ properties_type }} = 'OBJECT' then '{}'::json
        when {{ properties_type }} in ('OBJECT', 'ARRAY') then {{ properties_text }}::json
        when {{ properties_type }} is not null then json_extract({{ line_text }}, '$.properties')
    end
{%- endmacro %}

{% macro spark__properties_json(line_text, line_json, properties_type, properties_text) -%}
    case
        when {{ properties_type }} in ('OBJECT', 'ARRAY') then {{ properties_text }}
        when {{ properties_type }} is not null
            then {{ spark__json_field_json(line_text, line_json, 'properties', properties_type) }}
    end
{%- endmacro %}


{% macro extra_fields_json(line_text, line_json, extra_keys, removed_fields_patch) -%}
    {#- The line's object without the contract's fields, as minified JSON text (key order kept),
        when it has extra keys (`extra_keys`, the list of them, in order), else NULL. DuckDB:
        json_merge_patch with `removed_fields_patch` (a JSON object setting each contract field
        to null). -#}
    {{- return(adapter.dispatch('extra_fields_json', 'clickstream')(line_text, line_json, extra_keys, removed_fields_patch)) -}}
{%- endmacro %}

{% macro default__extra_fields_json(line_text, line_json, extra_keys, removed_fields_patch) -%}
    case
        when len({{ extra_keys }}) > 0 then json_merge_patch({{ line_text }}, '{{ removed_fields_patch }}')
    end
{%- endmacro %}

{% macro spark__extra_fields_json(line_text, line_json, extra_keys, removed_fields_patch) -%}
    {#- Spark: each extra key's value typed through from_json(..., map<string,variant>) and
        written as json_field_json() does (objects and arrays from get_json_object with a
        bracket path, so a key holding `'` or `]` is not supported). -#}
    {%- set value = "from_json(" ~ line_text ~ ", 'map<string,variant>')[key]" -%}
    {%- set value_text = "get_json_object(" ~ line_text ~ ", \"$['\" || key || \"']\")" -%}
    {%- set value_type = spark_json_type_name("schema_of_variant(" ~ value ~ ")", value_text, "false") -%}
    case
        when size({{ extra_keys }}) > 0 then '{' || array_join(transform({{ extra_keys }}, key ->
            regexp_replace(to_json(array(key)), '^\\[|\\]\\z', '') || ':' || case {{ value_type }}
                when 'VARCHAR' then to_json({{ value }})
                when 'NULL' then 'null'
                when 'DOUBLE' then {{ spark_yyjson_number_text(value_text) }}
                when 'OBJECT' then {{ spark_yyjson_json_text(value_text) }}
                when 'ARRAY' then {{ spark_yyjson_json_text(value_text) }}
                else {{ value_text }}
            end
        ), ',') || '}'
    end
{%- endmacro %}
