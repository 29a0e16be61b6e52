"""The published state: what `clickstream report` reads while a writer holds the warehouse.

DuckDB refuses even a read-only open of the warehouse file while another process writes it, and
a reader's open would in turn make the writer's next open fail. So when a refresh (or any writer
holding the warehouse lock, clickstream/pipeline/lock.py) runs, the report does not touch the
file: it reads an in-memory DuckDB whose views carry the warehouse's names and columns:

- ``main.<table>`` for every exported table, over its Parquet exports
  (``<export root>/<table>/<column>=YYYY-MM-DD/*.parquet``, hive partitioning: the partition
  column comes from the directory name, typed DATE; an unpartitioned table's one file);
- ``main.agg_ingest_daily``, ``audit.refresh_runs`` and ``audit.processed_files`` (tables with
  one row per landing day, per run and per processed file, not exported) over a snapshot that the writers keep next to the warehouse,
  ``<warehouse dir>/report_snapshot/<schema>.<table>.parquet``, plus ``_snapshot.json`` (when).

``write_snapshot()`` is called by a writer, holding the lock, each time the exports have just been
brought up to date (after each refresh step's export, after `clickstream export`): each file is
written to a temporary name then renamed over the old one, so a reader sees one or the other. It
costs one small query per table (one row per day or run), whatever the number of events.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from clickstream.pipeline.warehouse import connect_duckdb

LOG = logging.getLogger("clickstream.report")
SNAPSHOT_DIR = "report_snapshot"
SNAPSHOT_META = "_snapshot.json"
# The tables the report reads that are not exported (small: one row per landing day / run / file).
SNAPSHOT_TABLES = (("main", "agg_ingest_daily"), ("audit", "refresh_runs"), ("audit", "processed_files"))
PARTITION_DIR = re.compile(r"^(?P<column>[a-z_][a-z0-9_]*)=\d{4}-\d{2}-\d{2}$")
TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class PublishedUnavailable(RuntimeError):
    """There is no published state to read (no exports yet); the message says what to do."""


def snapshot_dir(warehouse: Path) -> Path:
    """Where the writers keep the report's snapshot: beside the warehouse file."""
    return Path(warehouse).parent / SNAPSHOT_DIR


def sql_text(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def write_snapshot(warehouse: Path) -> None:
    """Copy the small non-exported tables the report reads (SNAPSHOT_TABLES) to
    <warehouse dir>/report_snapshot/, each atomically. Call it holding the warehouse lock, with no
    other connection to the warehouse open in this process."""
    folder = snapshot_dir(warehouse)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with connect_duckdb(warehouse, read_only=True) as con:
        present = set(con.execute("select schema_name, table_name from duckdb_tables()").fetchall())
        for schema, table in SNAPSHOT_TABLES:
            final = folder / f"{schema}.{table}.parquet"
            if (schema, table) not in present:
                final.unlink(missing_ok=True)
                continue
            staging = folder / f".{schema}.{table}.parquet.tmp"
            con.execute(f"copy {schema}.{table} to {sql_text(staging)} (format parquet, compression zstd)")
            os.replace(staging, final)
            written.append(f"{schema}.{table}")
    meta = {"as_of": datetime.now(UTC).isoformat(timespec="seconds"), "tables": written}
    staging = folder / f".{SNAPSHOT_META}.tmp"
    staging.write_text(json.dumps(meta) + "\n")
    os.replace(staging, folder / SNAPSHOT_META)
    LOG.debug("report snapshot written: %s", ", ".join(written))


def refresh_snapshot(warehouse: Path) -> None:
    """write_snapshot(), logging instead of failing: a writer's work does not depend on it."""
    try:
        write_snapshot(warehouse)
    except (OSError, duckdb.Error, RuntimeError) as error:
        LOG.warning("could not write the report snapshot under %s: %s", snapshot_dir(warehouse), error)


@dataclass
class Published:
    """An in-memory DuckDB over the published state, and how old that state is."""

    con: duckdb.DuckDBPyConnection
    as_of: datetime | None  # when the snapshot was written (else the newest export file's time)
    tables: list[str]


def export_views(export_root: Path) -> dict[str, str]:
    """`create view` statements for main.<table> over each exported table's Parquet files."""
    views: dict[str, str] = {}
    if not export_root.is_dir():
        return views
    for table_dir in sorted(export_root.iterdir()):
        if not table_dir.is_dir() or not TABLE_NAME.match(table_dir.name):
            continue
        whole = sorted(table_dir.glob("*.parquet"))
        columns = {m["column"] for child in table_dir.iterdir() if (m := PARTITION_DIR.match(child.name))}
        if whole and not columns:
            source = f"read_parquet({sql_text(table_dir / '*.parquet')})"
        elif len(columns) == 1 and any(table_dir.glob("*/*.parquet")):
            (column,) = columns
            source = (
                f"read_parquet({sql_text(table_dir / '*' / '*.parquet')}, hive_partitioning = true, "
                f"hive_types = {{{sql_text(column)}: DATE}})"
            )
        else:
            continue
        views[table_dir.name] = f"create view main.{table_dir.name} as select * from {source}"
    return views


def open_published(warehouse: Path, export_root: Path) -> Published:
    """The published state as an in-memory DuckDB (see the module docstring), or
    PublishedUnavailable when nothing is exported yet."""
    views = export_views(Path(export_root))
    if not views:
        raise PublishedUnavailable(f"nothing is exported under {export_root} yet")
    con = duckdb.connect()
    con.execute("create schema if not exists audit")
    for statement in views.values():
        con.execute(statement)
    folder = snapshot_dir(warehouse)
    tables = [f"main.{name}" for name in views]
    for schema, table in SNAPSHOT_TABLES:
        file = folder / f"{schema}.{table}.parquet"
        if file.is_file() and table not in views:
            con.execute(f"create view {schema}.{table} as select * from read_parquet({sql_text(file)})")
            tables.append(f"{schema}.{table}")
    as_of = None
    try:
        as_of = datetime.fromisoformat(json.loads((folder / SNAPSHOT_META).read_text())["as_of"])
    except (OSError, ValueError, KeyError, TypeError):
        newest = max((f.stat().st_mtime for f in Path(export_root).glob("*/**/*.parquet")), default=None)
        as_of = datetime.fromtimestamp(newest, UTC) if newest else None
    return Published(con, as_of, tables)
