"""Every model has a key that its data tests pin: a uniqueness test (`unique` on a column, or
`unique_combination_of_columns` for a compound key) and a not_null test on each key column; a
mart's key is its unique_key config. dbt-bouncer (make lint) checks that the tests exist; this
checks that they are on the key."""

from __future__ import annotations

from collections import defaultdict

from clickstream.pipeline import contract

# Key columns that may be NULL, and why (unique_combination_of_columns counts NULLs as equal).
NULLABLE_KEY_PARTS = {
    ("int_export_requests", "partition_date"): "NULL asks for the table whole (a full refresh)",
}


def model_keys_and_not_null_columns() -> tuple[dict[str, list[list[str]]], dict[str, set[str]]]:
    """Per model: its uniqueness tests' key columns, and the columns with a not_null test."""
    manifest = contract.project_manifest()
    keys: dict[str, list[list[str]]] = defaultdict(list)
    not_null: dict[str, set[str]] = defaultdict(set)
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("attached_node", "").startswith("model."):
            continue
        model = node["attached_node"].split(".")[-1]
        test = node["test_metadata"]
        if test["name"] == "unique":
            keys[model].append([node["column_name"]])
        elif test["name"] == "unique_combination_of_columns":
            keys[model].append(list(test["kwargs"]["combination_of_columns"]))
        elif test["name"] == "not_null":
            not_null[model].add(node["column_name"])
    return keys, not_null


def test_every_model_has_a_uniqueness_test_with_every_key_column_not_null() -> None:
    manifest = contract.project_manifest()
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    keys, not_null = model_keys_and_not_null_columns()
    assert models and not models - set(keys), f"models without a uniqueness test: {sorted(models - set(keys))}"
    unset = [
        f"{model}.{column}"
        for model, model_keys in keys.items()
        for key in model_keys
        for column in key
        if column not in not_null[model] and (model, column) not in NULLABLE_KEY_PARTS
    ]
    assert not unset, f"key columns without a not_null test: {unset}"


def test_every_mart_key_is_its_unique_key_and_tested_unique() -> None:
    keys, _ = model_keys_and_not_null_columns()
    for table in contract.public_tables(contract.project_manifest()):
        assert [table.key] in keys[table.name], f"{table.name}: unique_key {table.key} has no unique test"
