{% macro prior_relation(model_name) -%}
    {#- The relation of another model's table as it stands before this run, or none when it does
        not exist yet or the run is a full refresh. Used to read incremental state (history)
        without a ref(), which would make the DAG cyclic: the intermediate models read the marts'
        previous state, and the marts are then built from the intermediate models.
        Also none while dbt runs a unit test (the context's `model` is then the unit-test node):
        a unit test must see only its fixtures, never the warehouse's tables. -#}
    {%- set in_unit_test = model is mapping and model.get('resource_type') == 'unit_test' -%}
    {%- if not execute or flags.FULL_REFRESH or in_unit_test -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(existing_model_relation(model_name)) -}}
{%- endmacro %}


{% macro existing_model_relation(model_name) -%}
    {#- The relation of the project's model `model_name` as it exists in the warehouse now, or
        none when it has not been built. Looked up through the graph, without a ref() (which
        would add a DAG edge). Raises a compiler error for an unknown model name. -#}
    {%- set matches = graph.nodes.values()
        | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', model_name) | list -%}
    {%- if matches | length != 1 -%}
        {{- exceptions.raise_compiler_error('existing_model_relation: no model named ' ~ model_name) -}}
    {%- endif -%}
    {%- set node = matches[0] -%}
    {{- return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) -}}
{%- endmacro %}
