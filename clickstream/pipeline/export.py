"""Export the warehouse's public tables to Parquet, partitioned by date.

Layout: ``<export root>/<table>/<date column>=YYYY-MM-DD/data_0.parquet``, one file per
partition, rows in a fixed order (so the same table gives the same bytes). The files hold every
column but the partition column, whose value is the directory name (the standard hive layout,
which pandas, pyarrow, polars, DuckDB and Spark all read); exports written before that layout
are brought to it by ``clickstream export --all``.

Each partition is written to ``<export root>/.staging/`` first and then moved into place with an
atomic rename, so a reader sees the old file or the new one, never a half-written one. A
partition that has become empty is removed.

By default only the partitions that the last refresh changed are rewritten (the warehouse's
``intermediate.int_refresh_changed_partitions``); ``--all`` rewrites every partition and removes
partitions (and stray files) that no longer exist in the table. A partly failed export is
finished by the next run: the partitions still to write are kept in
``<export root>/_pending_partitions.json`` until they are all written.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from clickstream.paths import PipelinePaths
from clickstream.pipeline.warehouse import TARGETS, Warehouse, WarehouseUnavailable, check_target, open_warehouse

LOG = logging.getLogger("clickstream.export")
PENDING_FILE = "_pending_partitions.json"
DATA_FILE = "data_0.parquet"


@dataclass(frozen=True)
class ExportTable:
    """A warehouse table exported to Parquet, partitioned by one date column."""

    name: str
    date_column: str
    order_by: str


EXPORT_TABLES: tuple[ExportTable, ...] = (
    ExportTable("fct_events", "event_date", "event_ts, event_id"),
    ExportTable("fct_sessions", "session_date", "session_start, session_id"),
    ExportTable("fct_page_views", "event_date", "event_ts, event_id"),
    ExportTable("agg_daily_clicks", "event_date", "event_date"),
    ExportTable("agg_daily_traffic", "session_date", "session_date, channel, device_category"),
    ExportTable("agg_daily_funnel", "session_date", "session_date"),
    ExportTable("quarantined_events", "dt", "file_name, line_number"),
)
# Tables without a date to partition by: rewritten whole (one file, atomically) on every export.
UNPARTITIONED_TABLES: dict[str, str] = {"dim_users": "user_id"}
TABLES_BY_NAME = {table.name: table for table in EXPORT_TABLES}


def partition_dir(export_root: Path, table: ExportTable, day: date) -> Path:
    """The directory of one export partition."""
    return export_root / table.name / f"{table.date_column}={day.isoformat()}"


def changed_partitions(wh: Warehouse) -> list[tuple[str, date]]:
    """(table, date) pairs the last dbt run changed, for the exported tables."""
    if not wh.table_exists("intermediate", "int_refresh_changed_partitions"):
        return []
    rows = wh.query(
        "select table_name, cast(partition_date as string) from intermediate.int_refresh_changed_partitions "
        "order by table_name, partition_date"
    )
    return [(name, date.fromisoformat(day)) for name, day in rows if name in TABLES_BY_NAME]


def all_partitions(wh: Warehouse) -> list[tuple[str, date]]:
    """Every (table, date) partition present in the exported tables."""
    pairs: list[tuple[str, date]] = []
    for table in EXPORT_TABLES:
        days = wh.query(
            f"select distinct cast({table.date_column} as string) from main.{table.name} "
            f"where {table.date_column} is not null order by 1"
        )
        pairs.extend((table.name, date.fromisoformat(day)) for (day,) in days)
    return pairs


def copy_atomically(wh: Warehouse, query: str, staging_file: Path, final_file: Path) -> None:
    """Write a query's rows to Parquet at staging_file, fsync it, then rename it over final_file
    (same filesystem), so a reader sees the old file or the new one, never a partial one."""
    staging_file.parent.mkdir(parents=True, exist_ok=True)
    wh.write_parquet(query, staging_file)
    with open(staging_file, "rb") as handle:
        os.fsync(handle.fileno())
    final_file.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging_file, final_file)


def file_columns(wh: Warehouse, table: ExportTable) -> list[str]:
    """The columns of one partition's file: the table's, in its order, without the partition
    column, whose value is the directory name (the standard hive layout: pandas and pyarrow refuse
    a dataset whose files also hold the partition column). Named one by one, as Spark SQL has no
    `select * except`."""
    names, _ = wh.query_with_names(f"select * from main.{table.name} limit 0")
    return [name for name in names if name != table.date_column]


def write_partition(wh: Warehouse, export_root: Path, table: ExportTable, day: date, columns: list[str]) -> int:
    """Rewrite one partition atomically with these columns (file_columns()); remove it when it has
    no rows. Returns the row count."""
    final_dir = partition_dir(export_root, table, day)
    [(rows,)] = wh.query(f"select count(*) from main.{table.name} where {table.date_column} = DATE '{day.isoformat()}'")
    if rows == 0:
        if final_dir.exists():
            shutil.rmtree(final_dir)
        return 0
    query = (
        f"select {', '.join(columns)} from main.{table.name} "
        f"where {table.date_column} = DATE '{day.isoformat()}' order by {table.order_by}"
    )
    copy_atomically(
        wh, query, export_root / ".staging" / table.name / final_dir.name / DATA_FILE, final_dir / DATA_FILE
    )
    return rows


def write_whole_tables(wh: Warehouse, export_root: Path) -> int:
    """Rewrite each unpartitioned table as <export root>/<table>/data_0.parquet; returns files written."""
    for name, order_by in UNPARTITIONED_TABLES.items():
        copy_atomically(
            wh,
            f"select * from main.{name} order by {order_by}",
            export_root / ".staging" / name / DATA_FILE,
            export_root / name / DATA_FILE,
        )
    return len(UNPARTITIONED_TABLES)


def remove_orphans(export_root: Path, keep: set[tuple[str, date]]) -> int:
    """Remove partition directories and files of exported tables that are not in `keep`."""
    removed = 0
    for table in EXPORT_TABLES:
        table_dir = export_root / table.name
        if not table_dir.is_dir():
            continue
        prefix = f"{table.date_column}="
        for child in table_dir.iterdir():
            day_text = child.name[len(prefix) :] if child.name.startswith(prefix) else None
            try:
                day = date.fromisoformat(day_text) if day_text else None
            except ValueError:
                day = None
            if day is None or (table.name, day) not in keep:
                shutil.rmtree(child) if child.is_dir() else child.unlink()
                removed += 1
            else:
                for stray in child.iterdir():
                    if stray.name != DATA_FILE:
                        shutil.rmtree(stray) if stray.is_dir() else stray.unlink()
                        removed += 1
    return removed


def export(paths: PipelinePaths, rewrite_all: bool = False, target: str = "dev") -> dict[str, int]:
    """Export changed (or all) partitions of the warehouse of a dbt target (DuckDB file, or the
    Spark cluster: clickstream/pipeline/warehouse.py); returns counts of partitions written and removed."""
    export_root = paths.export_root
    export_root.mkdir(parents=True, exist_ok=True)
    pending_path = export_root / PENDING_FILE
    started = time.monotonic()
    with open_warehouse(target, paths.warehouse) as wh:
        if rewrite_all:
            todo = all_partitions(wh)
        else:
            todo = changed_partitions(wh)
        if pending_path.exists():
            earlier = json.loads(pending_path.read_text())
            LOG.info("finishing %d partitions left by an earlier export", len(earlier))
            todo = sorted(set(todo) | {(name, date.fromisoformat(day)) for name, day in earlier})
        pending_path.write_text(json.dumps([[name, day.isoformat()] for name, day in todo]))
        written = removed = 0
        columns = {name: file_columns(wh, TABLES_BY_NAME[name]) for name in sorted({name for name, _ in todo})}
        for index, (name, day) in enumerate(todo, start=1):
            rows = write_partition(wh, export_root, TABLES_BY_NAME[name], day, columns[name])
            written += rows > 0
            removed += rows == 0
            if index % 25 == 0 or index == len(todo):
                LOG.info("exported %d/%d partitions", index, len(todo))
        if rewrite_all:
            removed += remove_orphans(export_root, set(todo))
        written += write_whole_tables(wh, export_root)
    pending_path.unlink()
    shutil.rmtree(export_root / ".staging", ignore_errors=True)
    LOG.info(
        "export: %d partitions written, %d removed in %.1f s",
        written,
        removed,
        time.monotonic() - started,
    )
    return {"partitions_written": written, "partitions_removed": removed}


def build_parser(prog: str = "clickstream export") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Export the public tables to Parquet under <export root>/<table>/<date column>=YYYY-MM-DD/ "
            "(fct_events, fct_sessions, fct_page_views, agg_daily_clicks, agg_daily_traffic, "
            "agg_daily_funnel, quarantined_events) and <export root>/dim_users/data_0.parquet. "
            "Without --all, rewrites only the partitions the last refresh changed."
        ),
    )
    parser.add_argument(
        "--all",
        action="store_true",
        dest="rewrite_all",
        help="rewrite every partition and remove partitions that no longer exist in the tables",
    )
    parser.add_argument(
        "--warehouse",
        help="DuckDB warehouse file (default: $CLICKSTREAM_WAREHOUSE or data/warehouse/clickstream.duckdb)",
    )
    parser.add_argument("--export-root", help="export root (default: $CLICKSTREAM_EXPORT_ROOT or data/exports)")
    parser.add_argument(
        "--target",
        default="dev",
        choices=TARGETS,
        help="dbt target whose warehouse is exported: dev (the DuckDB file, default) or spark_cluster "
        "(the local Spark cluster's Thrift server, `clickstream spark`; Spark writes the files)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    return parser


def main(argv: list[str] | None = None, prog: str = "clickstream export") -> int:
    args = build_parser(prog).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    paths = PipelinePaths.resolve(warehouse=args.warehouse, export_root=args.export_root)
    if args.target == "dev" and not paths.warehouse.exists():
        print(f"error: no warehouse at {paths.warehouse}; run `clickstream refresh` first.", file=sys.stderr)
        return 2
    try:
        counts = export(paths, rewrite_all=args.rewrite_all, target=check_target(args.target))
    except WarehouseUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"exported to {paths.export_root}: {counts['partitions_written']} partitions written, {counts['partitions_removed']} removed"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
