{% macro fail_for_testing() -%}
    {#- Fault injection for the crash-recovery tests: when the environment variable
        CLICKSTREAM_FAIL_MODEL names this model, fail it after its SQL ran (its own changes roll
        back; models that finished before it stay committed), like a crash in the middle of a
        refresh. Does nothing otherwise. -#}
    {%- if execute and env_var('CLICKSTREAM_FAIL_MODEL', '') == this.identifier -%}
        {{- exceptions.raise_compiler_error('Injected failure in ' ~ this.identifier ~ ' (CLICKSTREAM_FAIL_MODEL is set).') -}}
    {%- endif -%}
    select 1 as no_injected_failure
{%- endmacro %}
