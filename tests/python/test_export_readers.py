"""The Parquet exports open in every common reader: pandas, pyarrow.dataset (hive partitioning),
polars and DuckDB each read every exported table directory as it is (no reader option beyond
hive partitioning) and get the warehouse table's rows, every column once, and the partition
column as a date (or a string holding ISO dates) with the warehouse's values. The files leave the
partition column to the directory name (the standard hive layout), and a directory written in
the old layout (the column also inside the files, which pandas and pyarrow refuse) is rewritten by
the next export. Spark's reader: test_export_readers_spark.py."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import Pipeline, event
from test_incremental_sessions import land_two_days, new_pipeline

from clickstream.pipeline import contract
from clickstream.pipeline import export as export_parquet

EXPORTED = contract.exported_tables(contract.project_manifest())
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def land_export_fixture(pipeline: Pipeline) -> None:
    """Two landing days with late events (several partitions per table), a duplicate and one
    quarantined line per day, so that every exported table has rows."""
    land_two_days(pipeline)
    pipeline.land("2024-01-10", "click_events+1+0000000000.jsonl", [b"not json"])
    pipeline.land("2024-01-11", "click_events+1+0000000001.jsonl", [b"{}", event("p1", "u6", "2024-01-11T08:00:00Z")])


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    pipeline = new_pipeline(tmp_path_factory.mktemp("export_readers"))
    land_export_fixture(pipeline)
    assert pipeline.refresh() == 0
    return pipeline


def iso_dates(values: list[Any], where: str) -> list[str]:
    """The values as YYYY-MM-DD text; fails unless each is a date or a string holding an ISO date."""
    found = []
    for value in values:
        if isinstance(value, date):
            found.append(value.isoformat())
        elif isinstance(value, str) and ISO_DATE.fullmatch(value):
            found.append(date.fromisoformat(value).isoformat())
        else:
            pytest.fail(
                f"{where}: partition value {value!r} ({type(value).__name__}) is neither a date nor an ISO date"
            )
    return found


def expected(pipeline: Pipeline, table: contract.PublicTable) -> tuple[list[str], Counter]:
    """The warehouse table's columns and its multiset of (partition date, key) pairs as text."""
    columns = [
        name
        for (name,) in pipeline.query(
            "select column_name from duckdb_columns() where schema_name = 'main' and table_name = ? "
            "order by column_index",
            [table.name],
        )
    ]
    partition = f"cast({table.partition_column} as varchar)" if table.partition_column else "null"
    rows = pipeline.query(f"select {partition}, cast({table.key} as varchar) from main.{table.name}")
    return columns, Counter(rows)


def read_pandas(directory: Path, table: contract.PublicTable) -> tuple[list[str], list, list, str]:
    import pandas as pd

    frame = pd.read_parquet(directory)
    partition = frame[table.partition_column].tolist() if table.partition_column else []
    kind = str(frame[table.partition_column].dtype) if table.partition_column else ""
    return list(frame.columns), partition, frame[table.key].tolist(), kind


def read_pyarrow(directory: Path, table: contract.PublicTable) -> tuple[list[str], list, list, str]:
    import pyarrow as pa
    import pyarrow.dataset as ds

    data = ds.dataset(directory, partitioning="hive").to_table()
    kind = ""
    if table.partition_column:
        field = data.schema.field(table.partition_column).type
        value_type = field.value_type if pa.types.is_dictionary(field) else field
        assert pa.types.is_date(value_type) or pa.types.is_string(value_type) or pa.types.is_large_string(value_type)
        kind = str(field)
    partition = data.column(table.partition_column).to_pylist() if table.partition_column else []
    return data.column_names, partition, data.column(table.key).to_pylist(), kind


def read_polars(directory: Path, table: contract.PublicTable) -> tuple[list[str], list, list, str]:
    import polars as pl

    frame = pl.scan_parquet(f"{directory}/**/*.parquet", hive_partitioning=True).collect()
    kind = ""
    if table.partition_column:
        kind = str(frame.schema[table.partition_column])
        assert frame.schema[table.partition_column] in (pl.Date, pl.String)
    partition = frame[table.partition_column].to_list() if table.partition_column else []
    return frame.columns, partition, frame[table.key].to_list(), kind


def read_duckdb(directory: Path, table: contract.PublicTable) -> tuple[list[str], list, list, str]:
    files = f"{directory}/*/*.parquet" if table.partition_column else f"{directory}/*.parquet"
    with duckdb.connect() as con:
        relation = con.sql(f"select * from read_parquet('{files}', hive_partitioning = true)")
        columns = relation.columns
        kind = str(relation.types[columns.index(table.partition_column)]) if table.partition_column else ""
        assert not table.partition_column or kind in ("DATE", "VARCHAR")
        partition = (
            [row[0] for row in relation.select(table.partition_column).fetchall()] if table.partition_column else []
        )
        keys = [row[0] for row in relation.select(table.key).fetchall()]
    return columns, partition, keys, kind


READERS: dict[str, Callable[[Path, contract.PublicTable], tuple[list[str], list, list, str]]] = {
    "pandas": read_pandas,
    "pyarrow_dataset": read_pyarrow,
    "polars": read_polars,
    "duckdb": read_duckdb,
}


def check_reader(pipeline: Pipeline, reader: str, table: contract.PublicTable) -> None:
    """The reader gets the table's rows, every column once, and the partition dates as in the warehouse."""
    columns, pairs = expected(pipeline, table)
    assert sum(pairs.values()) > 0, f"{table.name} is empty: the fixture must give it rows"
    try:
        read_columns, partition, keys, kind = READERS[reader](pipeline.paths.export_root / table.name, table)
    except Exception as error:  # the failure to pin: the reader cannot open the directory
        pytest.fail(f"{reader} cannot read {table.name}'s export: {type(error).__name__}: {error}")
    assert sorted(read_columns) == sorted(columns), (reader, table.name)
    assert len(keys) == sum(pairs.values()), (reader, table.name)
    where = f"{reader} {table.name}.{table.partition_column} ({kind})"
    days = iso_dates(partition, where) if table.partition_column else [None] * len(keys)
    assert Counter(zip(days, [str(key) for key in keys])) == pairs, where


@pytest.mark.parametrize("table", EXPORTED, ids=[table.name for table in EXPORTED])
@pytest.mark.parametrize("reader", READERS)
def test_every_reader_opens_every_exported_table_with_its_rows_and_partition_dates(
    exported: Pipeline, reader: str, table: contract.PublicTable
) -> None:
    check_reader(exported, reader, table)


def test_export_files_leave_the_partition_column_to_the_directory_name(exported: Pipeline) -> None:
    root = exported.paths.export_root
    with duckdb.connect() as con:
        for table in EXPORTED:
            files = sorted((root / table.name).rglob("*.parquet"))
            assert files, table.name
            for file in files:
                names = [row[0] for row in con.execute("select name from parquet_schema(?)", [str(file)]).fetchall()]
                if table.partition_column:
                    assert file.parent.name.startswith(f"{table.partition_column}="), file
                    assert table.partition_column not in names, file
                else:
                    assert file.parent == root / table.name, file
                [(codec,)] = con.execute("select distinct compression from parquet_metadata(?)", [str(file)]).fetchall()
                assert codec == "ZSTD", file


def test_a_table_exported_in_the_old_layout_is_rewritten_for_every_reader(tmp_path: Path, make_pipeline) -> None:
    """Files written before the partition column was left out (the column inside the files too,
    which pandas and pyarrow refuse to merge with the directory name) are rewritten by the next
    export, even when the refresh changed none of their partitions."""
    pipeline = make_pipeline("old_layout")
    land_export_fixture(pipeline)
    assert pipeline.refresh() == 0
    sessions = next(table for table in EXPORTED if table.name == "fct_sessions")
    folder = pipeline.paths.export_root / "fct_sessions"
    with duckdb.connect(str(pipeline.paths.warehouse), read_only=True) as con:
        for day_dir in sorted(folder.iterdir()):
            day = day_dir.name.split("=", 1)[1]
            con.execute(
                f"copy (select * from main.fct_sessions where session_date = date '{day}') "
                f"to '{day_dir / 'data_0.parquet'}' (format parquet, compression zstd)"
            )
    import pandas as pd
    import pyarrow

    with pytest.raises(pyarrow.ArrowTypeError, match="session_date"):
        pd.read_parquet(folder)  # what the old layout did to pandas
    pipeline.land("2024-01-12", "click_events+0+0000000020.jsonl", [event("q1", "u9", "2024-01-12T09:00:00Z")])
    assert pipeline.refresh() == 0
    for reader in READERS:
        check_reader(pipeline, reader, sessions)


def test_a_failing_reader_fails_the_check(exported: Pipeline, tmp_path: Path) -> None:
    """The check itself can fail: a directory in the old layout makes pandas fail it."""
    table = next(table for table in EXPORTED if table.name == "quarantined_events")
    copy = new_pipeline(tmp_path)
    copy.paths.warehouse.parent.mkdir(parents=True)
    copy.paths.warehouse.write_bytes(exported.paths.warehouse.read_bytes())
    export_parquet.export(copy.paths, rewrite_all=True, manifest=contract.project_manifest())
    first = sorted((copy.paths.export_root / table.name).iterdir())[0]
    with duckdb.connect(str(copy.paths.warehouse), read_only=True) as con:
        con.execute(
            f"copy (select * from main.{table.name} where dt = date '{first.name.split('=')[1]}') "
            f"to '{first / 'data_0.parquet'}' (format parquet)"
        )
    with pytest.raises(pytest.fail.Exception, match="pandas cannot read quarantined_events"):
        check_reader(copy, "pandas", table)
