{% macro read_raw_lines(file_paths, rejects_table) -%}
    {#- A read_csv() call that returns every line of the given raw files as text, one VARCHAR
        column `line_text`, with `filename`, the hive partition `dt` and `ordinality` (the row's
        position in the scan; for a single file, its row index in the file). No quoting, no
        escaping, NUL as the (never expected in JSON) delimiter. Lines that are not valid UTF-8 or
        longer than var max_line_bytes are not returned: they go to the temporary table
        `rejects_table` (and `<rejects_table>_scans`) with their line number. -#}
    read_csv(
        [{%- for path in file_paths %}'{{ path | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor -%}],
        columns = {'line_text': 'VARCHAR'},
        header = false,
        auto_detect = false,
        delim = chr(0),
        quote = '',
        escape = '',
        strict_mode = false,
        filename = true,
        hive_partitioning = true,
        hive_types = {'dt': 'DATE'},
        max_line_size = {{ var('max_line_bytes') | int }},
        buffer_size = {{ [var('max_line_bytes') | int * 2, 33554432] | max }},
        store_rejects = true,
        rejects_table = '{{ rejects_table }}',
        rejects_scan = '{{ rejects_table }}_scans'
    ) with ordinality
{%- endmacro %}
