-- depends_on: {{ ref('stg_click_events__files') }}
{{
    config(
        unique_key='file_path',
        incremental_strategy='replace',
        replace_where_macro='batch_days_predicate',
        replace_scope_column='dt',
        replace_scope_floor_macro='batch_min_dt',
        partition_by=['dt'],
        meta={
            'refreshed_window_column': 'dt',
        },
    )
}}
{#- One row per landed file quarantined at file level: a file that cannot be read as a whole
    (clickstream/ingest/file_check.py; reasons in the file_quarantine_reasons seed). Its lines
    are not read, not even a readable prefix; the rest of its landing day is processed. Not
    exported. -#}
with

batch_files as (
    select * from {{ ref('stg_click_events__files') }}
),

file_checks as (
    select * from {{ ref('stg_click_events__file_checks') }}
),

final as (
    select
        file_checks.file_path,
        batch_files.dt,
        batch_files.file_name,
        file_checks.quarantine_reason,
        file_checks.quarantine_detail,
        file_checks.file_type,
        file_checks.size_bytes,
        file_checks.sha256
    from batch_files
    inner join file_checks on batch_files.relative_path = file_checks.file_path
    where batch_files.file_quarantine_reason is not null
)

select * from final
