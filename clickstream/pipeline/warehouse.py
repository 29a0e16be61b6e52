"""Read the warehouse of a dbt target from the scripts (refresh summaries, Parquet exports).

Two engines (docs/spark.md):
- target ``dev`` (the default): the DuckDB file of ``PipelinePaths.warehouse``, opened read-only;
- target ``spark_cluster``: the Spark Thrift server of the local cluster (`clickstream spark`),
  at 127.0.0.1:$CLICKSTREAM_SPARK_THRIFT_PORT (default 10000), as profiles.yml has it.

Both take the same SQL: the callers write portable SQL (``cast(d as string)`` for a date's
YYYY-MM-DD text, no engine-only syntax) and give values as literals (dates and table names are
validated by the callers, never user text). ``write_parquet`` writes one query's rows, in the
query's order, to one Parquet file.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import duckdb

DUCKDB_TARGETS = ("dev",)
SPARK_TARGETS = ("spark_cluster",)
TARGETS = DUCKDB_TARGETS + SPARK_TARGETS


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be opened; the message says what to do."""


# DuckDB's IOException text when another process has the file open: "Could not set lock on file
# "<path>": Conflicting lock is held in <program> (PID <n>)[ by user <u>]. See also ..."
# DuckDB's memory limit for the pipeline's own connections, as profiles.yml gives dbt's: beyond it
# DuckDB spills to <database>.tmp/. Without it DuckDB takes 80 % of the machine's memory, and the
# export of a 10M-row partition (sorted for identical bytes) reached 11.75 GB.
MEMORY_LIMIT_ENV = "CLICKSTREAM_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "3GB"  # profiles.yml's default for CLICKSTREAM_MEMORY_LIMIT


def duckdb_memory_limit() -> str:
    """The DuckDB memory limit of the pipeline: $CLICKSTREAM_MEMORY_LIMIT, else 3GB (as profiles.yml)."""
    return os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT


DUCKDB_LOCK_CONFLICT = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


class WarehouseBusy(WarehouseUnavailable):
    """The DuckDB file is open in another process (DuckDB allows one writing process, and no
    reader beside it); ``pid`` and ``program`` are what DuckDB reports."""

    def __init__(self, path: Path, program: str, pid: int) -> None:
        from clickstream.pipeline.lock import process_command

        self.path, self.program, self.pid = path, program, pid
        command = process_command(pid)
        shown = f"{program}" + (f": {command[:160]}" if command and command != program else "")
        super().__init__(
            f"The warehouse file {path} is open in another process, PID {pid} ({shown}), which does not "
            "hold the clickstream warehouse lock (a duckdb shell, a notebook, a plain dbt run, a report "
            "still reading, or a process left over). DuckDB allows one writing process and no reader "
            f"beside it: close that connection or stop it (kill {pid}), then run the command again."
        )


def duckdb_lock_conflict(text: str) -> tuple[str, int] | None:
    """(program, PID) of DuckDB's "Conflicting lock is held in <program> (PID n)" in an error text."""
    match = DUCKDB_LOCK_CONFLICT.search(text)
    return (match["program"], int(match["pid"])) if match else None


def connect_duckdb(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to the warehouse file, under the pipeline's memory limit
    (duckdb_memory_limit()); WarehouseBusy (naming the PID DuckDB reports) instead of DuckDB's
    IOException when another process has the file open."""
    import duckdb

    try:
        return duckdb.connect(str(path), read_only=read_only, config={"memory_limit": duckdb_memory_limit()})
    except duckdb.IOException as error:
        conflict = duckdb_lock_conflict(str(error))
        if conflict is None:
            raise
        raise WarehouseBusy(Path(path), *conflict) from None


class Warehouse(Protocol):
    """What the scripts need from a warehouse connection."""

    engine: str

    def query(self, sql: str) -> list[tuple]:
        """All rows of a query."""

    def query_with_names(self, sql: str) -> tuple[list[str], list[tuple]]:
        """Column names and all rows of a query."""

    def table_exists(self, schema: str, table: str) -> bool:
        """True when schema.table exists."""

    def table_names(self, schema: str) -> set[str]:
        """The names of the schema's tables and views (empty when the schema does not exist)."""

    def write_parquet(self, sql: str, file: Path) -> None:
        """Write the query's rows (in its order) to one Parquet file (zstd)."""

    def nullable_column(self, column: str) -> str:
        """A select-list item for the column that the Parquet writer marks OPTIONAL (nullable),
        whatever the engine knows about the rows written."""


#: The zstd level of DuckDB's export files: level 1 wrote the 10 x 1M benchmark's three largest
#: tables 15 % faster than DuckDB's default (3), for files 1.2 % larger (docs/benchmark.md).
DUCKDB_ZSTD_LEVEL = 1


class DuckDBWarehouse:
    """The DuckDB warehouse file, read-only."""

    engine = "duckdb"

    def __init__(self, path: Path) -> None:
        self._con = connect_duckdb(path, read_only=True)

    def close(self) -> None:
        self._con.close()

    def query(self, sql: str) -> list[tuple]:
        return self._con.execute(sql).fetchall()

    def query_with_names(self, sql: str) -> tuple[list[str], list[tuple]]:
        cursor = self._con.execute(sql)
        return [d[0] for d in cursor.description], cursor.fetchall()

    def table_exists(self, schema: str, table: str) -> bool:
        return (
            self._con.execute(
                "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, table]
            ).fetchone()[0]
            > 0
        )

    def table_names(self, schema: str) -> set[str]:
        rows = self._con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        ).fetchall()
        return {row[0] for row in rows}

    def write_parquet(self, sql: str, file: Path) -> None:
        target = str(file).replace("'", "''")
        self._con.execute(
            f"copy ({sql}) to '{target}' (format parquet, compression zstd, compression_level {DUCKDB_ZSTD_LEVEL})"
        )

    def nullable_column(self, column: str) -> str:
        # DuckDB marks a column REQUIRED when the statistics of the rows it scans say "no NULL",
        # and those depend on the storage's history (deleted rows, row groups), not on the rows:
        # equal tables could export different files. A CASE with a NULL branch can always be NULL.
        return f"case when {column} is null then null else {column} end as {column}"


class SparkWarehouse:
    """The Spark Thrift server of the local cluster (PyHive, as dbt-spark's thrift method)."""

    engine = "spark"

    def __init__(self, host: str, port: int) -> None:
        try:
            from pyhive import hive
        except ImportError as error:  # the Spark extra is optional
            raise WarehouseUnavailable(
                "The Spark extra is not installed (PyHive is missing): run `make spark-setup`."
            ) from error
        try:
            self._con = hive.connect(
                host=host,
                port=port,
                username="clickstream",
                configuration={
                    "set:hiveconf:spark.sql.session.timeZone": "UTC",
                    "set:hiveconf:spark.sql.ansi.enabled": "false",
                },
            )
        except Exception as error:  # thrift raises transport errors of several types
            raise WarehouseUnavailable(
                f"Cannot reach the Spark Thrift server at {host}:{port} ({error}). Start the cluster with "
                "`clickstream spark start`, or set CLICKSTREAM_SPARK_THRIFT_PORT to its port."
            ) from error

    def close(self) -> None:
        self._con.close()

    def query(self, sql: str) -> list[tuple]:
        return self.query_with_names(sql)[1]

    def query_with_names(self, sql: str) -> tuple[list[str], list[tuple]]:
        cursor = self._con.cursor()
        try:
            cursor.execute(sql)
            names = [d[0].rsplit(".", 1)[-1] for d in cursor.description or []]
            return names, cursor.fetchall() if cursor.description else []
        finally:
            cursor.close()

    def table_exists(self, schema: str, table: str) -> bool:
        return table in self.table_names(schema)

    def table_names(self, schema: str) -> set[str]:
        if not any(row[0] == schema for row in self.query("show schemas")):
            return set()
        return {row[1] for row in self.query(f"show tables in {schema}")}

    def nullable_column(self, column: str) -> str:
        return column  # Spark writes a table's columns as declared: nullable

    def write_parquet(self, sql: str, file: Path) -> None:
        # The executors write the directory (one task: the COALESCE(1) hint over the sorted rows
        # keeps the query's order); its one part file becomes `file`.
        folder = file.parent / (file.name + ".spark")
        shutil.rmtree(folder, ignore_errors=True)
        location = str(folder.resolve()).replace("'", "\\'")
        if not sql.lower().startswith("select "):
            raise ValueError(f"write_parquet expects a select statement, got: {sql[:40]}")
        self.query(
            f"insert overwrite directory 'file://{location}' using parquet options ('compression' 'zstd') "
            f"select /*+ COALESCE(1) */ {sql[len('select ') :]}"
        )
        parts = sorted(folder.glob("part-*.parquet"))
        if len(parts) != 1:
            raise RuntimeError(f"Spark wrote {len(parts)} Parquet files for one export file into {folder}")
        os.replace(parts[0], file)
        shutil.rmtree(folder, ignore_errors=True)


def check_target(target: str) -> str:
    """The target, or a ValueError that lists the targets the scripts can read."""
    if target not in TARGETS:
        raise ValueError(
            f"target {target!r} is not supported by the scripts: use one of {', '.join(TARGETS)} "
            "(the `spark` session target runs Spark inside dbt's own process: use dbt directly with it)."
        )
    return target


@contextlib.contextmanager
def open_warehouse(target: str, duckdb_path: Path) -> Iterator[Warehouse]:
    """A warehouse connection for a dbt target (see the module docstring); closed on exit."""
    check_target(target)
    if target in SPARK_TARGETS:
        warehouse: DuckDBWarehouse | SparkWarehouse = SparkWarehouse(
            "127.0.0.1", int(os.environ.get("CLICKSTREAM_SPARK_THRIFT_PORT", "10000"))
        )
    else:
        warehouse = DuckDBWarehouse(duckdb_path)
    try:
        yield warehouse
    finally:
        warehouse.close()
