{% test expression_is_true(model, expression, column_name=none) %}
{#- Rows of `model` for which the boolean SQL `expression` over its own columns is not true (false
    or NULL). At column level the expression is appended to the column name, e.g. expression:
    '>= 0'. A refresh runs these inside the model's column_assertions test (grouped_test_names());
    an expression that reads other models uses expression_is_true_across_models. -#}
{{ expression_failing_rows(model, expression, column_name) }}
{% endtest %}


{% test expression_is_true_across_models(model, expression, column_name=none) %}
{#- expression_is_true for an expression that reads other models (a ref() in a subquery, e.g. a
    reconciliation with fct_sessions): its own node in every build, since column_assertions can
    only group expressions it can place in its query without rendering Jinja. -#}
{{ expression_failing_rows(model, expression, column_name) }}
{% endtest %}
