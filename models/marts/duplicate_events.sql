-- depends_on: {{ ref('stg_click_events__files') }}
{{
    config(
        unique_key='duplicate_id',
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
{#- One row per valid raw line that was a later copy of an event already landed: the copy and
    the first landed copy that was kept in fct_events. Duplicates are counted, not lost. -#}
with

duplicate_copies as (
    select * from {{ ref('int_duplicate_copies_identified') }}
),

final as (
    select
        md5(cast(dt as string) || '/' || file_name || ':' || cast(line_number as string)) as duplicate_id,
        event_id,
        dt,
        file_name,
        line_number,
        kept_dt,
        kept_file_name,
        kept_line_number
    from duplicate_copies
)

select * from final
