{% macro grouped_test_names() -%}
    {#- The generic tests that column_assertions runs in one query per model: `clickstream
        refresh` excludes them from its build (test_name:<name>) and runs column_assertions. -#}
    {{- return(['not_null', 'accepted_values']) -}}
{%- endmacro %}


{% macro grouped_column_tests(node_id) -%}
    {#- The not_null / accepted_values tests (grouped_test_names()) attached to one model or seed,
        in name order; a compiler error for a test whose config column_assertions cannot honour
        (only `where` may differ from dbt's defaults). -#}
    {%- set tests = graph.nodes.values()
        | selectattr('resource_type', 'equalto', 'test')
        | selectattr('attached_node', 'equalto', node_id)
        | selectattr('test_metadata', 'defined')
        | list -%}
    {%- set grouped = [] -%}
    {%- for test in tests | sort(attribute='name') -%}
        {%- if test.test_metadata and test.test_metadata.name in grouped_test_names() -%}
            {%- set config = test.config -%}
            {%- if config.severity | lower != 'error' or config.fail_calc != 'count(*)'
                or config.warn_if != '!= 0' or config.error_if != '!= 0'
                or config.store_failures or config.limit is not none -%}
                {{- exceptions.raise_compiler_error(
                    test.name ~ ': column_assertions runs not_null / accepted_values tests with dbt\'s '
                    ~ 'default severity, thresholds and no store_failures or limit; give this test a '
                    ~ 'custom generic test of its own, or drop its custom config') -}}
            {%- endif -%}
            {%- do grouped.append(test) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(grouped) -}}
{%- endmacro %}


{% macro column_assertion_failures(test) -%}
    {#- The aggregate that counts one grouped test's failures in a scan of its model, as dbt's own
        test counts them: not_null, rows where the column is NULL; accepted_values, distinct
        non-NULL values not in the list. -#}
    {%- set kwargs = test.test_metadata.kwargs -%}
    {%- set column = kwargs.column_name -%}
    {%- if test.test_metadata.name == 'not_null' -%}
        sum(case when {{ column }} is null then 1 else 0 end)
    {%- else -%}
        {%- set quote = kwargs.get('quote', true) -%}
        {%- set values = [] -%}
        {%- for value in kwargs['values'] -%}
            {%- do values.append("'" ~ value ~ "'" if quote else value | string) -%}
        {%- endfor -%}
        count(distinct case when {{ column }} not in ({{ values | join(', ') }}) then {{ column }} end)
    {%- endif -%}
{%- endmacro %}


{% macro tested_node(model) -%}
    {#- The model or seed node that a generic test's `model` argument stands for: a relation, or
        the `(select ...) as <name>` subquery of where_subquery(). -#}
    {%- set identifier = model.identifier if model.identifier is defined
        else (model | string).split(' as ')[-1] | trim -%}
    {%- set nodes = graph.nodes.values()
        | selectattr('resource_type', 'in', ['model', 'seed'])
        | selectattr('package_name', 'equalto', project_name)
        | selectattr('alias', 'equalto', identifier) | list -%}
    {%- if nodes | length != 1 -%}
        {{- exceptions.raise_compiler_error('column_assertions: no single model or seed named ' ~ identifier) -}}
    {%- endif -%}
    {{- return(nodes[0]) -}}
{%- endmacro %}
