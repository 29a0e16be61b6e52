{{ config(pre_hook="{{ scan_unreadable_raw_lines('unreadable_line_rejects') }}") }}
-- depends_on: {{ ref('stg_click_events__file_reads') }}
{#- The lines of the batch's raw files that the reader cannot return as text: on DuckDB, lines
    that are not valid UTF-8 or longer than var max_line_bytes, with their physical line number
    and the reader's error. The pre-hook reads again only the files in which
    stg_click_events__file_reads counted such lines (scan_unreadable_raw_lines()), before
    int_click_events_validated reads the lines, so validation numbers every returned row with its
    physical line and quarantines these lines in the same statement (no rewrite of the validated
    rows afterwards). Empty on Spark, whose reader returns every line. #}
with

final as (
    {{ unreadable_raw_lines('unreadable_line_rejects') }}
)

select * from final
