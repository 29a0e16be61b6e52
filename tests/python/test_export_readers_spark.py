"""Spark reads the Parquet exports as they are: ``spark.read.parquet(<table directory>)`` on
every table the DuckDB pipeline exports gives the warehouse table's rows, every column once, and
the partition column typed as a date (Spark's partition type inference) with the warehouse's
values. A local pyspark session (no cluster, no metastore). The other readers:
test_export_readers.py.

Skipped unless the optional Spark extra is installed (``make spark-setup``) and Java is on PATH.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed: the Spark extra is optional (make spark-setup)")
if shutil.which("java") is None:
    pytest.skip("no java on PATH: Spark needs Java 17+", allow_module_level=True)

from conftest import Pipeline
from test_export_readers import EXPORTED, expected, iso_dates, land_export_fixture
from test_incremental_sessions import new_pipeline

from clickstream.pipeline import contract

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    pipeline = new_pipeline(tmp_path_factory.mktemp("export_readers_spark"))
    land_export_fixture(pipeline)
    assert pipeline.refresh() == 0
    return pipeline


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    from pyspark.sql import SparkSession

    work = tmp_path_factory.mktemp("spark_session")
    session = (
        SparkSession.builder.master("local[1]")
        .appName("clickstream-export-readers")
        .config("spark.driver.memory", "1g")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(work / "warehouse"))
        .config("spark.local.dir", str(work / "local"))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


@pytest.mark.parametrize("table", EXPORTED, ids=[table.name for table in EXPORTED])
def test_spark_reads_every_exported_table_with_its_rows_and_partition_dates(
    exported: Pipeline, spark, table: contract.PublicTable
) -> None:
    from pyspark.sql.types import DateType, StringType

    columns, pairs = expected(exported, table)
    frame = spark.read.parquet(str(exported.paths.export_root / table.name))
    assert sorted(frame.columns) == sorted(columns), table.name
    if table.partition_column:
        kind = frame.schema[table.partition_column].dataType
        assert isinstance(kind, DateType | StringType), f"{table.name}.{table.partition_column}: {kind}"
        rows = frame.select(table.partition_column, table.key).collect()
        days = iso_dates([row[0] for row in rows], f"spark {table.name}.{table.partition_column} ({kind})")
    else:
        rows = frame.select(table.key).collect()
        days = [None] * len(rows)
    assert frame.count() == sum(pairs.values()), table.name
    assert Counter(zip(days, [str(row[-1]) for row in rows])) == pairs, table.name


def test_spark_sees_the_partition_column_as_a_date(exported: Pipeline, spark) -> None:
    """Spark infers the partition type from the directory names: a date, as in the warehouse."""
    from pyspark.sql.types import DateType

    table = next(table for table in EXPORTED if table.name == "fct_sessions")
    frame = spark.read.parquet(str(Path(exported.paths.export_root) / table.name))
    assert isinstance(frame.schema[table.partition_column].dataType, DateType)
