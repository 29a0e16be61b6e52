-- The landing day is recorded as processed only after every other mart (and its tests) succeeded:
-- depends_on: {{ ref('fct_events') }}
-- depends_on: {{ ref('fct_sessions') }}
-- depends_on: {{ ref('quarantined_events') }}
-- depends_on: {{ ref('duplicate_events') }}
-- depends_on: {{ ref('agg_daily_clicks') }}
-- depends_on: {{ ref('quarantined_files') }}
-- depends_on: {{ ref('stg_click_events__files') }}
-- one <reason>_lines column per reason (quarantine_reasons()):
-- depends_on: {{ ref('quarantine_reasons') }}
{{
    config(
        unique_key='dt',
        incremental_strategy='replace',
        replace_where_macro='batch_days_predicate',
        partition_by=['dt'],
    )
}}
{#- One row per processed landing day: what was read and where every line went. Also the record
    of which landing days are processed. lines_read = blank_lines + quarantined_lines +
    duplicate_lines + valid_events. -#}
with

batch_files as (
    select * from {{ ref('stg_click_events__files') }}
),

validated_lines as (
    select * from {{ ref('int_click_events_validated') }}
),

duplicate_copies as (
    select * from {{ ref('int_duplicate_copies_identified') }}
),

files_per_day as (
    select
        dt,
        count(*) as file_count,
        -- files skipped whole (quarantined_files): their lines are not read, so not counted below
        count(*) filter (where file_quarantine_reason is not null) as files_quarantined
    from batch_files
    group by dt
),

lines_per_day as (
    select
        dt,
        count(*) as lines_read,
        count(*) filter (where is_blank) as blank_lines,
        {%- for reason in quarantine_reasons() %}
        count(*) filter (where quarantine_reason = '{{ reason }}') as {{ reason }}_lines,
        {%- endfor %}
        count(*) filter (where is_quarantined) as quarantined_lines,
        count(*) filter (where is_valid) as valid_lines
    from validated_lines
    group by dt
),

duplicates_per_day as (
    select
        dt,
        count(*) as duplicate_lines
    from duplicate_copies
    group by dt
),

final as (
    select
        files_per_day.dt,
        files_per_day.file_count,
        files_per_day.files_quarantined,
        -- entries of the day's folder that are not read (wrong extension, sub-folders): counted by
        -- `clickstream refresh` (paths.unread_entries()), 0 under plain dbt
        cast({{ unread_entries_count('files_per_day.dt') }} as bigint) as unread_entries,
        coalesce(lines_per_day.lines_read, 0) as lines_read,
        coalesce(lines_per_day.blank_lines, 0) as blank_lines,
        coalesce(lines_per_day.quarantined_lines, 0) as quarantined_lines,
        {%- for reason in quarantine_reasons() %}
        coalesce(lines_per_day.{{ reason }}_lines, 0) as {{ reason }}_lines,
        {%- endfor %}
        coalesce(duplicates_per_day.duplicate_lines, 0) as duplicate_lines,
        -- a valid line is either the kept copy of its event or a duplicate
        coalesce(lines_per_day.valid_lines, 0) - coalesce(duplicates_per_day.duplicate_lines, 0) as valid_events
    from files_per_day
    left join lines_per_day on files_per_day.dt = lines_per_day.dt
    left join duplicates_per_day on files_per_day.dt = duplicates_per_day.dt
)

select * from final
