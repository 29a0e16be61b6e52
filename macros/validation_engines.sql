{#- The engine-specific pieces of int_click_events_validated (issue #7, docs/spark.md (b)-(d)):
    JSON parsing and JSON type names, field texts, blank tests, unreadable lines. Each is
    dispatched: default__ is the DuckDB SQL (tuned for the benchmark: JSON functions only on
    lines already known to be valid), spark__ gives the same values on Spark from one VARIANT
    per line. The DuckDB json_type names (OBJECT, ARRAY, VARCHAR, UBIGINT, BIGINT, DOUBLE,
    BOOLEAN, NULL) are the common vocabulary. -#}

{% macro is_blank_text(text) -%}
    {#- TRUE when `text` is empty or only ASCII whitespace (space, tab, LF, CR, form feed: RE2's
        `\s`; Java's `\s` would also take a vertical tab, so the class is spelled out). -#}
    {{- regex_full_match(text, '[ \\t\\n\\r\\f]*') -}}
{%- endmacro %}


{% macro unreadable_line_error(line_text, line_number) -%}
    {#- Why a line the reader returned cannot be validated as text, in the words of DuckDB's
        rejects table ('INVALID ENCODING', 'LINE SIZE OVER MAXIMUM'; reject_quarantine_reason()
        turns them into a reason), or NULL. DuckDB's reader returns no such line (it rejects
        them, see append_rejected_raw_lines()), so this is NULL there; Spark's text source
        returns every line with its raw bytes, without its line break. DuckDB's limit counts the
        line break before the line (none for a file's first line), which Spark cannot see: it
        counts one byte (an LF), so only a CRLF line (not the first) of exactly N-1 bytes is
        judged differently (docs/spark.md). -#}
    {{- return(adapter.dispatch('unreadable_line_error', 'clickstream')(line_text, line_number)) -}}
{%- endmacro %}

{% macro default__unreadable_line_error(line_text, line_number) -%}
    cast(null as varchar)
{%- endmacro %}

{% macro spark__unreadable_line_error(line_text, line_number) -%}
    case
        when not is_valid_utf8({{ line_text }}) then 'INVALID ENCODING'
        -- DuckDB's max_line_size counts the line break before a line (not for the first line)
        when octet_length({{ line_text }}) + case when {{ line_number }} = 1 then 0 else 1 end > {{ var('max_line_bytes') | int }}
            then 'LINE SIZE OVER MAXIMUM'
    end
{%- endmacro %}


{% macro is_blank_line(line_text, read_error, json_kind) -%}
    {#- TRUE for an empty or whitespace-only line that was read as text (`read_error`, from
        unreadable_line_error(), is NULL). Valid JSON is never blank, so DuckDB runs the regex
        only on lines whose `json_kind` (from json_kind()) is NULL. -#}
    {{- return(adapter.dispatch('is_blank_line', 'clickstream')(line_text, read_error, json_kind)) -}}
{%- endmacro %}

{% macro default__is_blank_line(line_text, read_error, json_kind) -%}
    {{ line_text }} is null or ({{ json_kind }} is null and {{ is_blank_text(line_text) }})
{%- endmacro %}

{% macro spark__is_blank_line(line_text, read_error, json_kind) -%}
    ({{ read_error }} is null and {{ is_blank_text(line_text) }})
{%- endmacro %}


{% macro json_document(line_text) -%}
    {#- The parsed form of a line that the other JSON macros of this file take as `line_json`.
        DuckDB's JSON functions take the text itself: NULL there. Spark: the line parsed as a
        VARIANT, wrapped in a one-element array (`[line]`), so that trailing content after the
        first value (`{"a":1} x`), which try_parse_json() accepts, makes it invalid, as it is
        for DuckDB's json_valid(); json_kind() checks the element count. -#}
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


{% macro has_repeated_items(list) -%}
    {#- TRUE when a list of strings holds some value twice. -#}
    {{- return(adapter.dispatch('has_repeated_items', 'clickstream')(list)) -}}
{%- endmacro %}

{% macro default__has_repeated_items(list) -%}
    list_unique({{ list }}) < len({{ list }})
{%- endmacro %}

{% macro spark__has_repeated_items(list) -%}
    size(array_distinct({{ list }})) < size({{ list }})
{%- endmacro %}


{% macro list_items_not_in(list, names) -%}
    {#- The items of a list of strings that are not among `names` (a SQL list of literals), in
        order. -#}
    {{- return(adapter.dispatch('list_items_not_in', 'clickstream')(list, names)) -}}
{%- endmacro %}

{% macro default__list_items_not_in(list, names) -%}
    list_filter({{ list }}, lambda key: key not in ({{ names }}))
{%- endmacro %}

{% macro spark__list_items_not_in(list, names) -%}
    filter({{ list }}, key -> key not in ({{ names }}))
{%- endmacro %}


{% macro list_length(list) -%}
    {#- The number of items of a list (NULL for NULL). -#}
    {{- return(adapter.dispatch('list_length', 'clickstream')(list)) -}}
{%- endmacro %}

{% macro default__list_length(list) -%}
    len({{ list }})
{%- endmacro %}

{% macro spark__list_length(list) -%}
    size({{ list }})
{%- endmacro %}


{% macro list_item(list, position) -%}
    {#- Item `position` (1-based, a Jinja integer) of a list. -#}
    {{- return(adapter.dispatch('list_item', 'clickstream')(list, position)) -}}
{%- endmacro %}

{% macro default__list_item(list, position) -%}
    {{ list }}[{{ position }}]
{%- endmacro %}

{% macro spark__list_item(list, position) -%}
    {{ list }}[{{ position - 1 }}]
{%- endmacro %}


{% macro string_list_literal(items) -%}
    {#- A SQL list (array) literal of the strings `items` (a Jinja list), in order. -#}
    {{- return(adapter.dispatch('string_list_literal', 'clickstream')(items)) -}}
{%- endmacro %}

{% macro default__string_list_literal(items) -%}
    [{% for item in items %}'{{ item | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor %}]
{%- endmacro %}

{% macro spark__string_list_literal(items) -%}
    array({% for item in items %}'{{ item | replace("\\", "\\\\") | replace("'", "\\'") }}'{{ ", " if not loop.last }}{% endfor %})
{%- endmacro %}


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


{% macro spark_yyjson_number_text(java_text) -%}
    {#- Spark: a JSON number as DuckDB (yyjson) writes it, from its text as get_json_object()
        gives it (Java's Double.toString: `1.5E-7`, `1.0E22`, `1.2345678E7`). yyjson writes the
        shortest digits in plain notation from 1e-6 up to below 1e21 (`0.0001`, `12345678.0`,
        `150000000000000000000.0`) and `1.5e-7` / `1e22` outside. Integer texts (big integers
        kept as written) pass unchanged. -#}
    {%- set mantissa = "regexp_extract(" ~ java_text ~ ", '^-?([0-9])\\\\.([0-9]+)E(-?[0-9]+)\\\\z', 1)" -%}
    {%- set fraction = "regexp_replace(regexp_extract(" ~ java_text ~ ", '^-?([0-9])\\\\.([0-9]+)E(-?[0-9]+)\\\\z', 2), '0+\\\\z', '')" -%}
    {%- set exponent = "cast(regexp_extract(" ~ java_text ~ ", '^-?([0-9])\\\\.([0-9]+)E(-?[0-9]+)\\\\z', 3) as int)" -%}
    {%- set sign = "case when " ~ java_text ~ " like '-%' then '-' else '' end" -%}
    {%- set digits = mantissa ~ " || " ~ fraction -%}
    case
        when not {{ java_text }} rlike 'E' then {{ java_text }}
        when {{ exponent }} >= 21 or {{ exponent }} < -6
            then {{ sign }} || {{ mantissa }} || case when {{ fraction }} != '' then '.' || {{ fraction }} else '' end
            || 'e' || {{ exponent }}
        when {{ exponent }} >= 0
            then {{ sign }} || rpad({{ digits }}, {{ exponent }} + 1, '0')
            || '.' || coalesce(nullif(substr({{ digits }}, {{ exponent }} + 2), ''), '0')
        else {{ sign }} || '0.' || repeat('0', -{{ exponent }} - 1) || {{ digits }}
    end
{%- endmacro %}


{% macro spark_yyjson_json_text(json_text) -%}
    {#- Spark: minified JSON from get_json_object() (an object or array) as DuckDB (yyjson)
        writes it. get_json_object's Jackson writer escapes characters beyond U+FFFF as
        surrogate pairs (`\uD83C\uDF81`, yyjson writes them raw) and writes doubles as Java
        does (`1.0E22`, see spark_yyjson_number_text()); only texts holding one of these are
        rewritten, token by token (strings, numbers with an exponent, the rest). Doubles Java
        writes in plain notation (1e-3 <= |x| < 1e7) are assumed to have the same digits. -#}
    case
        when {{ json_text }} rlike '\\\\uD[89AB]|[0-9]E' then array_join(transform(
            regexp_extract_all({{ json_text }}, '"(?:[^"\\\\]|\\\\.)*"|-?[0-9]\\.[0-9]+E-?[0-9]+|[^"0-9-]+|[0-9.-]+', 0),
            token -> case
                when token like '"%\\\\uD%'
                    then regexp_replace(to_json(array(from_json('[' || token || ']', 'array<string>')[0])), '^\\[|\\]\\z', '')
                when token rlike '^-?[0-9]\\.[0-9]+E' then {{ spark_yyjson_number_text('token') }}
                else token
            end
        ), '')
        else {{ json_text }}
    end
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


{% macro validation_session_settings() -%}
    {#- Pre-hook of int_click_events_validated: session settings for its reading and parsing.
        DuckDB: insertion order not preserved, for this connection only. Each file is its own
        scan, numbered by `with ordinality` (a streaming row_number() that keeps its pipeline on
        one thread, in the file's order, whatever this setting), so the line numbers do not
        depend on it; what it changes is that DuckDB no longer keeps the union of the per-file
        scans in order, which made it read and validate the files one after the other on one
        thread: now one file per thread, with no copy of the raw text in between (rows carry
        their file and line number; nothing downstream depends on a table's row order).
        Spark: accept repeated keys when parsing a VARIANT (nested ones are valid JSON for
        DuckDB, which keeps them as written; repeated top-level keys make a line malformed on
        both engines, see the model). -#}
    {{- return(adapter.dispatch('validation_session_settings', 'clickstream')()) -}}
{%- endmacro %}

{% macro default__validation_session_settings() -%}
    set session preserve_insertion_order = false
{%- endmacro %}

{% macro spark__validation_session_settings() -%}
    set spark.sql.variant.allowDuplicateKeys = true
{%- endmacro %}


{% macro reset_validation_session_settings() -%}
    {#- Post-hook of int_click_events_validated: undo validation_session_settings(). -#}
    {{- return(adapter.dispatch('reset_validation_session_settings', 'clickstream')()) -}}
{%- endmacro %}

{% macro default__reset_validation_session_settings() -%}
    reset session preserve_insertion_order
{%- endmacro %}

{% macro spark__reset_validation_session_settings() -%}
    reset spark.sql.variant.allowDuplicateKeys
{%- endmacro %}


{% macro timestamp_detail_text(ts) -%}
    {#- A timestamp as ISO 8601 text for quarantine details (utc_timestamp_text()); Spark writes
        a year past 9999 with a leading `+`, which DuckDB does not. -#}
    {{- return(adapter.dispatch('timestamp_detail_text', 'clickstream')(ts)) -}}
{%- endmacro %}

{% macro default__timestamp_detail_text(ts) -%}
    {{ utc_timestamp_text(ts) }}
{%- endmacro %}

{% macro spark__timestamp_detail_text(ts) -%}
    regexp_replace({{ utc_timestamp_text(ts) }}, '^\\+', '')
{%- endmacro %}
