{% macro read_raw_lines(file_paths, rejects_table) -%}
    {#- A FROM item with every line of the given raw files as text: columns dt, filename,
        ordinality (1-based row index in the file) and line_text. Dispatched per engine. -#}
    {{- return(adapter.dispatch('read_raw_lines', 'clickstream')(file_paths, rejects_table)) -}}
{%- endmacro %}

{% macro default__read_raw_lines(file_paths, rejects_table) -%}
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
        max_line_size = {{ int_var('max_line_bytes') }},
        buffer_size = {{ [int_var('max_line_bytes') * 2, 33554432] | max }},
        store_rejects = true,
        rejects_table = '{{ rejects_table }}',
        rejects_scan = '{{ rejects_table }}_scans'
    ) with ordinality
{%- endmacro %}

{% macro spark__read_raw_lines(file_paths, rejects_table) -%}
    {#- Spark: the text source in line mode (gzip by extension), one scan per file, the dt
        partition from the path (basePath = the click_events directory). A split is read in
        order by one task and monotonically_increasing_id() increases within it, so ordering by
        the split's start then that id numbers the lines of a file in order (docs/spark.md).
        Lines that are not valid UTF-8 are returned with their raw bytes (no rejects table):
        validation tests them with is_valid_utf8(). -#}
    (
    {%- for path in file_paths %}
        select
            dt,
            regexp_replace(_metadata.file_path, '^file:', '') as filename,
            row_number() over (
                order by _metadata.file_block_start, monotonically_increasing_id()
            ) as ordinality,
            value as line_text
        from text.`{{ path | replace('`', '``') }}` with ('basePath' = '{{ path.rsplit('/dt=', 1)[0] | replace("'", "''") }}')
        {%- if not loop.last %}
        union all
        {%- endif %}
    {%- endfor %}
    )
{%- endmacro %}


{% macro raw_read_groups(file_paths) -%}
    {#- The batch's readable files split into at most var raw_read_scans groups, each read by one
        read_raw_lines() scan: a list of lists of paths, dealt round-robin in path order (file i
        to group i mod n), each group in path order. A DuckDB scan numbers its rows `with
        ordinality` in one stream, so one scan is one thread; several scans run in parallel.
        One scan per file instead costs memory per file until the statement ends (about 15 MB
        per file in validation: 1,040 files ran out of a 3 GB limit), so the number of scans is
        bounded, not the number of files. The same groups on every engine. -#}
    {%- set scans = [int_var('raw_read_scans'), file_paths | length] | min -%}
    {%- set groups = [] -%}
    {%- for index in range(scans) -%}
        {%- do groups.append(file_paths[index::scans]) -%}
    {%- endfor -%}
    {{- return(groups) -}}
{%- endmacro %}
