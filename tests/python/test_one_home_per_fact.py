"""Each fact about the public tables has one home, and everything that uses it follows it:

- a mart's export (partition column, row order) is its own config's meta.export
  (models/marts/<mart>.sql): it names documented columns, agrees with the Spark partition_by or
  says why not, the export writes directories named by it, and int_refresh_changed_partitions
  covers exactly the marts exported by a date; an export run on a changed config follows it;
  its row order is total;
- the quarantine reasons are the quarantine_reasons seed: agg_ingest_daily, the run audit, the
  refresh summary and the report have one column / entry per reason, in rule order."""

from __future__ import annotations

import copy
from pathlib import Path

import duckdb
import pytest
from conftest import Pipeline
from test_export_readers import land_export_fixture
from test_incremental_sessions import new_pipeline

from clickstream.pipeline import contract
from clickstream.pipeline import export as export_parquet
from clickstream.pipeline.refresh import RunSummary
from clickstream.report import html as report

MANIFEST = contract.project_manifest()
EXPORTED = contract.exported_tables(MANIFEST)
PARTITIONED = [table for table in EXPORTED if table.partition_column]


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    pipeline = new_pipeline(tmp_path_factory.mktemp("one_home"))
    land_export_fixture(pipeline)
    assert pipeline.refresh() == 0
    return pipeline


def test_the_public_tables_are_the_marts_and_most_are_exported() -> None:
    public = {table.name for table in contract.public_tables(MANIFEST)}
    assert {"fct_events", "fct_sessions", "quarantined_events", "dim_users", "agg_ingest_daily"} <= public
    assert {table.name for table in EXPORTED} < public  # duplicate_events, agg_ingest_daily are not exported
    assert all(table.source_file == f"models/marts/{table.name}.sql" for table in EXPORTED)


@pytest.mark.parametrize("table", EXPORTED, ids=[table.name for table in EXPORTED])
def test_an_exported_marts_partition_column_order_and_key_are_its_documented_columns(
    table: contract.PublicTable,
) -> None:
    named = [table.key, *table.order_by] + ([table.partition_column] if table.partition_column else [])
    assert table.order_by
    missing = [column for column in named if column not in table.documented_columns]
    assert not missing, f"{table.source_file}: meta.export / unique_key name undocumented columns {missing}"


@pytest.mark.parametrize("table", PARTITIONED, ids=[table.name for table in PARTITIONED])
def test_the_export_partition_column_is_sparks_partition_by_or_says_why_not(table: contract.PublicTable) -> None:
    assert table.spark_partition_by, f"{table.source_file}: exported by date but no Spark partition_by"
    if table.spark_partition_by != (table.partition_column,):
        assert (table.partition_by_differs or "").strip(), (
            f"{table.source_file}: exported by {table.partition_column} but stored by {table.spark_partition_by} "
            "on Spark: say why in meta.export.partition_by_differs"
        )
    else:
        assert table.partition_by_differs is None, f"{table.source_file}: partition_by_differs but they agree"


def test_every_refreshed_window_column_is_a_documented_column() -> None:
    for table in contract.public_tables(MANIFEST):
        if table.refreshed_window_column:
            assert table.refreshed_window_column in table.documented_columns, table.source_file


def test_the_export_writes_directories_named_by_each_tables_partition_column(refreshed: Pipeline) -> None:
    root = refreshed.paths.export_root
    for table in EXPORTED:
        children = sorted(child.name for child in (root / table.name).iterdir())
        if table.partition_column:
            days = [
                day
                for (day,) in refreshed.query(
                    f"select distinct cast({table.partition_column} as varchar) from main.{table.name} order by 1"
                )
            ]
            assert days, table.name
            assert children == [f"{table.partition_column}={day}" for day in days], table.name
        else:
            assert children == [export_parquet.DATA_FILE], table.name


def test_each_exports_row_order_is_total_so_equal_tables_write_equal_files(refreshed: Pipeline) -> None:
    """No two rows of an exported partition tie on the export's order_by (the key, or columns that
    determine it, breaks every tie): the files' row order never depends on the storage."""
    for table in EXPORTED:
        within = [table.partition_column] if table.partition_column else []
        columns = ", ".join([*within, *table.order_by])
        [(rows, distinct)] = refreshed.query(
            f"select (select count(*) from main.{table.name}), "
            f"(select count(*) from (select distinct {columns} from main.{table.name}))"
        )
        assert rows > 0 and distinct == rows, f"{table.name}: order_by ({table.order_by_sql}) ties"


def test_the_changed_partitions_model_covers_exactly_the_exported_partitioned_tables(refreshed: Pipeline) -> None:
    """The last run (landing day 2024-01-11) changes events, sessions and quarantined lines, so
    every mart exported by a date has changed partitions; no other table appears."""
    names = {
        name
        for (name,) in refreshed.query("select distinct table_name from intermediate.int_refresh_changed_partitions")
    }
    assert names == {table.name for table in PARTITIONED}


def test_an_export_follows_a_changed_model_config_alone(refreshed: Pipeline, tmp_path: Path) -> None:
    """Exporting fct_events by dt in event_id order is a change of its config alone: the export
    reads nothing else (here the changed config is a manifest edited like the model would be)."""
    manifest = copy.deepcopy(MANIFEST)
    node = manifest["nodes"]["model.clickstream.fct_events"]
    node["config"]["meta"]["export"] = {"partition_column": "dt", "order_by": ["event_id"]}
    paths = type(refreshed.paths)(refreshed.paths.raw_root, refreshed.paths.warehouse, tmp_path / "exports")
    export_parquet.export(paths, rewrite_all=True, manifest=manifest)
    days = [day for (day,) in refreshed.query("select distinct cast(dt as varchar) from main.fct_events order by 1")]
    folder = paths.export_root / "fct_events"
    assert sorted(child.name for child in folder.iterdir()) == [f"dt={day}" for day in days]
    with duckdb.connect() as con:
        for day in days:
            file = folder / f"dt={day}" / export_parquet.DATA_FILE
            relation = con.sql(f"select * from read_parquet('{file}', hive_partitioning = false)")
            assert "dt" not in relation.columns and "event_date" in relation.columns
            ids = [row[0] for row in relation.select("event_id").fetchall()]
            assert ids == sorted(ids) and ids == [
                event_id
                for (event_id,) in refreshed.query(
                    f"select event_id from main.fct_events where dt = date '{day}' order by event_id"
                )
            ]


def test_a_broken_export_config_is_refused_naming_the_model_file() -> None:
    node = copy.deepcopy(MANIFEST["nodes"]["model.clickstream.fct_sessions"])
    node["config"]["meta"]["export"] = {"partition_column": "session_date"}
    with pytest.raises(contract.ContractError, match=r"models/marts/fct_sessions.sql: meta.export needs order_by"):
        contract.public_table(node)


def test_the_quarantine_reasons_seed_is_every_reason_column_in_rule_order(refreshed: Pipeline) -> None:
    reasons = contract.quarantine_reasons()
    assert reasons[0] == "invalid_encoding" and reasons[-1] == "too_late" and len(set(reasons)) == len(reasons)
    seed = [reason for (reason,) in refreshed.query("select reason from main.quarantine_reasons order by rule_order")]
    assert tuple(seed) == reasons
    for schema, table in (("main", "agg_ingest_daily"), ("audit", "refresh_run_days")):
        columns = [
            name
            for (name,) in refreshed.query(
                "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
                "order by column_index",
                [schema, table],
            )
        ]
        reason_columns = [
            name for name in columns if name.endswith("_lines") and name.removesuffix("_lines") in reasons
        ]
        assert reason_columns == [f"{reason}_lines" for reason in reasons], table
        assert columns.index(reason_columns[0]) == columns.index("quarantined_lines") + 1, table
    # the refresh summary and the report name each reason from the seed
    summary = RunSummary("day", stats={"quarantined_lines": 2, "too_late_lines": 1, "malformed_json_lines": 1})
    assert "(malformed_json 1, too_late 1)" in summary.render()
    chart = report.chart_quarantine(
        [{"dt": "2024-01-10", "lines_read": 4, "quarantined_lines": 1, "too_late_lines": 1}], 1
    )
    assert all(f">{reason}<" in chart.table_html for reason in reasons)
