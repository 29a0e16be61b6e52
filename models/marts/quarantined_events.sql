-- the export's work list is recorded before this table changes (a crash cannot lose it):
-- depends_on: {{ ref('int_export_requests') }}
-- depends_on: {{ ref('stg_click_events__files') }}
{{
    config(
        unique_key='quarantine_id',
        incremental_strategy='replace',
        replace_where_macro='batch_days_predicate',
        replace_scope_column='dt',
        replace_scope_floor_macro='batch_min_dt',
        partition_by=['dt'],
        meta={
            'refreshed_window_column': 'dt',
            'export': {
                'partition_column': 'dt',
                'order_by': ['file_name', 'line_number', 'quarantine_id'],
            },
        },
    )
}}
{#- One row per quarantined raw line: where it is, why, and its text (NULL when the line was not
    valid UTF-8). -#}
with

validated_lines as (
    select * from {{ ref('int_click_events_validated') }}
),

final as (
    select
        md5(cast(dt as string) || '/' || file_name || ':' || cast(line_number as string)) as quarantine_id,
        dt,
        file_name,
        line_number,
        quarantine_reason,
        quarantine_detail,
        raw_line
    from validated_lines
    where is_quarantined
)

select * from final
