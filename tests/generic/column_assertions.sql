{% test column_assertions(model) %}
{#- The model's (or seed's) not_null, accepted_values, unique, row-level expression_is_true and
    unique_combination_of_columns tests (grouped_test_names()), run as one query: per `where`
    config, one scan for the row checks and one grouping per key test, instead of one dbt node
    per test. Returns a row per failing test: its name, its column (empty for a model-level
    test), its generic test and its failure count as dbt's own test counts it (not_null /
    expression_is_true: failing rows; accepted_values: distinct values outside the list; unique:
    duplicated values; unique_combination_of_columns: duplicated combinations).
    `clickstream refresh` runs this node and leaves those tests out of its build; plain
    `dbt build` runs both, with the same verdicts. -#}
{%- set scans = [] -%}
{%- if execute -%}
    {%- set node = tested_node(model) -%}
    {%- set by_where = {} -%}
    {%- for test in grouped_column_tests(node.unique_id) -%}
        {%- do by_where.setdefault(test.config.get('where') or '', []).append(test) -%}
    {%- endfor -%}
    {%- set own_where = config.get('where') or '' -%}
    {%- set relation = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {%- for where, tests in by_where.items() -%}
        {#- `model` is already filtered by this node's own `where`: reuse it (no second window query) -#}
        {%- do scans.append({
            'source': model if where == own_where else where_subquery(relation, where),
            'row_tests': tests | rejectattr('test_metadata.name', 'in', key_test_names()) | list,
            'key_tests': tests | selectattr('test_metadata.name', 'in', key_test_names()) | list,
        }) -%}
    {%- endfor -%}
{%- endif %}
with
{% for scan in scans %}
{%- set scan_index = loop.index %}
{%- if scan.row_tests %}
scan_{{ scan_index }} as (
    select
        {%- for test in scan.row_tests %}
        {{ column_assertion_failures(test, 'value_' ~ loop.index) }} as failures_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            {%- for test in scan.row_tests %}
            {{ column_assertion_row_value(test) }} as value_{{ loop.index }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ scan.source }}
    ) as scanned_rows
),
{%- endif %}
{%- for test in scan.key_tests %}
scan_{{ scan_index }}_key_{{ loop.index }} as (
    {{ column_assertion_duplicates(test, scan.source) }}
),
{%- endfor %}
{% endfor %}
assertions as (
    {%- set selects = [] %}
    {%- for scan in scans %}
    {%- set scan_index = loop.index %}
    {%- for test in scan.row_tests %}
    {%- do selects.append(
        "select '" ~ test.name ~ "' as assertion, '" ~ (test.column_name or '') ~ "' as column_name, '"
        ~ test.test_metadata.name ~ "' as test_type, coalesce(failures_" ~ loop.index ~ ", 0) as failures from scan_"
        ~ scan_index) %}
    {%- endfor %}
    {%- for test in scan.key_tests %}
    {%- do selects.append(
        "select '" ~ test.name ~ "' as assertion, '" ~ (test.column_name or '') ~ "' as column_name, '"
        ~ test.test_metadata.name ~ "' as test_type, failures from scan_" ~ scan_index ~ "_key_" ~ loop.index) %}
    {%- endfor %}
    {%- endfor %}
    {%- if selects %}
    {{ selects | join('\n    union all\n    ') }}
    {%- else %}
    select
        cast(null as string) as assertion,
        cast(null as string) as column_name,
        cast(null as string) as test_type,
        0 as failures
    {%- endif %}
)

select * from assertions
where failures > 0
{% endtest %}
