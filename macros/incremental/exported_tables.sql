{% macro exported_partitioned_tables() -%}
    {#- The exported marts written by date, as (model name, partition column) pairs sorted by
        name: the project's models whose config() has a meta.export partition_column. -#}
    {%- set tables = [] -%}
    {%- set models = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') if execute else [] -%}
    {%- for node in models | selectattr('package_name', 'equalto', project_name) | sort(attribute='name') -%}
        {%- set partition_column = node.config.meta.get('export', {}).get('partition_column') -%}
        {%- if partition_column is not none -%}
            {%- do tables.append((node.name, partition_column)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(tables) -}}
{%- endmacro %}
