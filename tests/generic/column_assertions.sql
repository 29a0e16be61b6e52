{% test column_assertions(model) %}
{#- The column-level not_null and accepted_values tests of one model (or seed), run as one query:
    one scan of the model per `where` config instead of one dbt node per test. Returns a row per
    failing assertion: the test's name, its column and its failure count as dbt's own test counts
    it (not_null: NULL rows; accepted_values: distinct values outside the list). `clickstream
    refresh` runs this node and leaves those tests out of its build (grouped_test_names()); plain
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
        {%- do scans.append({'source': model if where == own_where else where_subquery(relation, where), 'tests': tests}) -%}
    {%- endfor -%}
{%- endif %}
with
{% for scan in scans %}
scan_{{ loop.index }} as (
    select
        {%- for test in scan.tests %}
        {{ column_assertion_failures(test) }} as failures_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ scan.source }}
),
{% endfor %}
assertions as (
    {%- for scan in scans %}
    {%- set scan_index = loop.index %}
    {%- set last_scan = loop.last %}
    {%- for test in scan.tests %}
    select
        '{{ test.name }}' as assertion,
        '{{ test.column_name }}' as column_name,
        coalesce(failures_{{ loop.index }}, 0) as failures
    from scan_{{ scan_index }}
    {{ 'union all' if not (loop.last and last_scan) }}
    {%- endfor %}
    {%- endfor %}
    {%- if scans | length == 0 %}
    select cast(null as string) as assertion, cast(null as string) as column_name, 0 as failures
    {%- endif %}
)

select * from assertions
where failures > 0
{% endtest %}
