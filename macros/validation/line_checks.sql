{% macro unreadable_line_error(line_text, line_number) -%}
    {#- Why a line the reader returned cannot be validated as text, in the words of DuckDB's
        rejects table ('INVALID ENCODING', 'LINE SIZE OVER MAXIMUM'; reject_quarantine_reason()
        turns them into a reason), or NULL. DuckDB's reader returns no such line (it rejects
        them, see stg_click_events__unreadable_lines), so this is NULL there; Spark's text source
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
        when octet_length({{ line_text }}) + case when {{ line_number }} = 1 then 0 else 1 end > {{ int_var('max_line_bytes') }}
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
