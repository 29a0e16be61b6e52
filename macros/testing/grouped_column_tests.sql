{% macro grouped_test_names() -%}
    {#- The generic tests that column_assertions runs in one query per model: `clickstream
        refresh` excludes them from its build (test_name:<name>) and runs column_assertions.
        unique and unique_combination_of_columns are its key tests (key_test_names()). -#}
    {{- return(['not_null', 'accepted_values', 'unique', 'expression_is_true', 'unique_combination_of_columns']) -}}
{%- endmacro %}


{% macro key_test_names() -%}
    {#- The grouped tests that count duplicated keys (column_assertion_duplicates()), not failing rows. -#}
    {{- return(['unique', 'unique_combination_of_columns']) -}}
{%- endmacro %}


{% macro grouped_column_tests(node_id) -%}
    {#- The tests of grouped_test_names() attached to one model or seed, in name order; a compiler
        error for a test whose config column_assertions cannot honour (only `where` may differ
        from dbt's defaults) or whose expression holds Jinja (rendered only in a test's own node). -#}
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
                    test.name ~ ': column_assertions runs the tests of grouped_test_names() with dbt\'s '
                    ~ 'default severity, thresholds and no store_failures or limit; give this test a '
                    ~ 'custom generic test of its own, or drop its custom config') -}}
            {%- endif -%}
            {%- set expression = test.test_metadata.kwargs.get('expression') or '' -%}
            {%- if '{{' in expression or '{%' in expression -%}
                {{- exceptions.raise_compiler_error(
                    test.name ~ ': column_assertions cannot render the Jinja in this expression_is_true '
                    ~ 'expression; declare it as expression_is_true_across_models') -}}
            {%- endif -%}
            {%- do grouped.append(test) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(grouped) -}}
{%- endmacro %}


{% macro column_assertion_row_value(test) -%}
    {#- The value one grouped test needs of each row of its scan: not_null and expression_is_true,
        whether the row fails; accepted_values, the value when it is outside the list (else
        NULL). unique tests have none: they are counted by column_assertion_duplicates(). -#}
    {%- set kwargs = test.test_metadata.kwargs -%}
    {%- set column = kwargs.column_name -%}
    {%- if test.test_metadata.name == 'not_null' -%}
        {{ column }} is null
    {%- elif test.test_metadata.name == 'expression_is_true' -%}
        ({{ column ~ ' ' if column }}{{ kwargs.expression }}) is not true
    {%- else -%}
        {%- set quote = kwargs.get('quote', true) -%}
        {%- set values = [] -%}
        {%- for value in kwargs['values'] -%}
            {%- do values.append("'" ~ value ~ "'" if quote else value | string) -%}
        {%- endfor -%}
        case when {{ column }} not in ({{ values | join(', ') }}) then {{ column }} end
    {%- endif -%}
{%- endmacro %}


{% macro column_assertion_failures(test, value) -%}
    {#- The aggregate that counts one grouped test's failures from its row values
        (column_assertion_row_value()), as dbt's own test counts them: not_null and
        expression_is_true, the failing rows; accepted_values, the distinct values outside the list. -#}
    {%- if test.test_metadata.name == 'accepted_values' -%}
        count(distinct {{ value }})
    {%- else -%}
        sum(case when {{ value }} then 1 else 0 end)
    {%- endif -%}
{%- endmacro %}


{% macro column_assertion_duplicates(test, source) -%}
    {#- A query of one row: a key test's failures as dbt's own test counts them. unique: the
        non-NULL values of its column held by more than one row of source;
        unique_combination_of_columns: the combinations of its columns held by more than one row
        (NULLs compare equal, as in that test). -#}
    {%- if test.test_metadata.name == 'unique_combination_of_columns' -%}
        {%- set key = test.test_metadata.kwargs.combination_of_columns | join(', ') -%}
    {%- else -%}
        {%- set key = test.test_metadata.kwargs.column_name -%}
    {%- endif %}
    select count(*) as failures
    from (
        select {{ key }}
        from {{ source }}
        {%- if test.test_metadata.name == 'unique' %}
        where {{ key }} is not null
        {%- endif %}
        group by {{ key }}
        having count(*) > 1
    ) as duplicated_values
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
