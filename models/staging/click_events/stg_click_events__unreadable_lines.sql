{#- The lines of the batch's raw files that the reader cannot return as text: on DuckDB, lines
    that are not valid UTF-8 or longer than var max_line_bytes, with their physical line number
    and the reader's error, one row per item of stg_click_events__file_reads' unreadable_lines
    (found by the read of the files in that model's pre-hook), so that int_click_events_validated
    numbers every returned row with its physical line and quarantines these lines in the same
    statement (no rewrite of the validated rows afterwards). Empty on Spark, whose reader returns
    every line. -#}

with

file_reads as (
    select * from {{ ref('stg_click_events__file_reads') }}
),

final as (
    {{ unreadable_raw_lines('file_reads') }}
)

select * from final
