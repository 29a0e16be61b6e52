"""Export the warehouse's public tables to Parquet, in the standard hive layout every reader opens.

What is exported, and how, is each mart's own config (``meta.export`` in
``models/marts/<mart>.sql``, read through clickstream/pipeline/contract.py): a table with a
``partition_column`` is written as ``<export root>/<table>/<column>=YYYY-MM-DD/data_0.parquet``,
one file per date, holding every column of the table except the partition column (its value is
the directory name, as hive partitioning has it, so pandas, pyarrow, polars, DuckDB and Spark
read the directory with the column typed alike); a table without one as
``<export root>/<table>/data_0.parquet``, every column. Files are ZSTD-compressed and their rows
are in the table's ``order_by`` (so the same table gives the same bytes).

Each file is written to ``<export root>/.staging/`` first and then moved into place with an
atomic rename, so a reader sees the old file or the new one, never a half-written one. A
partition that has become empty is removed.

What to write is recorded in the warehouse, not here: every dbt build appends the partitions it
is about to change to ``intermediate.int_export_requests`` before any exported mart changes
(clickstream/pipeline/changes.py reads it). An export writes every request after the last one
this export root finished, then records that request in ``<export root>/_export_state.json``
(atomically). So an export, a refresh or the machine can die at any moment, between a build and
its export included: the next export (every ``clickstream refresh`` runs one, even with nothing
new to process) writes what was not finished, and writing a partition again gives the same file.
A full refresh, a new warehouse or an export root that matches no request asks for every table
whole. ``--all`` rewrites every partition and removes partitions (and stray files) that no
longer exist in the table. A table whose export directory is not in the current layout (files
that still hold the partition column, written before it was left out, or directories named by
another partition column) is rewritten whole by the next export.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

from clickstream.paths import PipelinePaths, add_path_options, path_problems
from clickstream.pipeline import changes
from clickstream.pipeline.contract import ContractError, PublicTable, exported_tables, run_manifest
from clickstream.pipeline.disk import disk_full_message, is_disk_full
from clickstream.pipeline.lock import WarehouseLock, WarehouseLocked
from clickstream.pipeline.warehouse import TARGETS, Warehouse, WarehouseUnavailable, check_target, open_warehouse
from clickstream.report.published import refresh_snapshot

LOG = logging.getLogger("clickstream.export")
# What this export root holds: the last export request (int_export_requests) it finished.
STATE_FILE = "_export_state.json"
# Written by exports of earlier versions (partitions still to write); read once, then removed.
LEGACY_PENDING_FILE = "_pending_partitions.json"
DATA_FILE = "data_0.parquet"


def partition_dir(export_root: Path, table: PublicTable, day: date) -> Path:
    """The directory of one export partition."""
    return export_root / table.name / f"{table.partition_column}={day.isoformat()}"


def partition_day(table: PublicTable, directory_name: str) -> date | None:
    """The date of a partition directory's name (`<partition column>=YYYY-MM-DD`), else None."""
    prefix = f"{table.partition_column}="
    if not directory_name.startswith(prefix):
        return None
    try:
        return date.fromisoformat(directory_name[len(prefix) :])
    except ValueError:
        return None


def all_partitions(wh: Warehouse, tables: list[PublicTable]) -> list[tuple[str, date]]:
    """Every (table, date) partition present in these partitioned tables."""
    pairs: list[tuple[str, date]] = []
    for table in tables:
        days = wh.query(
            f"select distinct cast({table.partition_column} as string) from main.{table.name} "
            f"where {table.partition_column} is not null order by 1"
        )
        pairs.extend((table.name, date.fromisoformat(day)) for (day,) in days)
    return pairs


def file_columns(wh: Warehouse, table: PublicTable) -> list[str]:
    """The columns an export file of the table holds: the table's, in its order, without the
    partition column (named explicitly: Spark SQL has no `select * except`)."""
    names, _ = wh.query_with_names(f"select * from main.{table.name} limit 0")
    return [name for name in names if name != table.partition_column]


def select_list(wh: Warehouse, columns: list[str]) -> str:
    """The export files' columns, every one nullable (OPTIONAL) in Parquet: a file's schema
    depends on the table's columns only, never on which rows a partition happens to hold."""
    return ", ".join(wh.nullable_column(column) for column in columns)


def out_of_layout(export_root: Path, table: PublicTable) -> str | None:
    """Why the table's export directory is not in the current layout (so that it must be
    rewritten whole), or None: a child not named `<partition column>=YYYY-MM-DD`, or a file that
    holds the partition column or marks a column REQUIRED (the first partition's: files are only
    ever written whole)."""
    table_dir = export_root / table.name
    if not table_dir.is_dir():
        return None
    children = sorted(table_dir.iterdir())
    foreign = [child.name for child in children if partition_day(table, child.name) is None]
    if foreign:
        return f"{foreign[0]} is not a {table.partition_column}=YYYY-MM-DD directory"
    first = next((child / DATA_FILE for child in children if (child / DATA_FILE).is_file()), None)
    if first is None:
        return None
    with duckdb.connect() as con:
        schema = con.execute(
            "select name, repetition_type from parquet_schema(?) where num_children is null", [str(first)]
        ).fetchall()
    if table.partition_column in {name for name, _ in schema}:
        return f"{first.relative_to(export_root)} holds the partition column {table.partition_column}"
    required = [name for name, repetition in schema if repetition == "REQUIRED"]
    if required:
        return f"{first.relative_to(export_root)} marks {required[0]} REQUIRED (files now mark every column nullable)"
    return None


def copy_atomically(wh: Warehouse, query: str, staging_file: Path, final_file: Path) -> None:
    """Write a query's rows to Parquet at staging_file, fsync it, then rename it over final_file
    (same filesystem), so a reader sees the old file or the new one, never a partial one."""
    staging_file.parent.mkdir(parents=True, exist_ok=True)
    wh.write_parquet(query, staging_file)
    with open(staging_file, "rb") as handle:
        os.fsync(handle.fileno())
    final_file.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging_file, final_file)


def write_partition(
    wh: Warehouse, export_root: Path, table: PublicTable, columns: list[str], day: date
) -> tuple[int, bool]:
    """Rewrite one partition atomically; remove it when it has no rows. Returns its row count and
    whether an existing partition (a directory holding its data file) was removed: a directory
    without one (left by an export killed before its rename) is removed too, but was no partition."""
    final_dir = partition_dir(export_root, table, day)
    where = f"{table.partition_column} = DATE '{day.isoformat()}'"
    [(rows,)] = wh.query(f"select count(*) from main.{table.name} where {where}")
    if rows == 0:
        existed = (final_dir / DATA_FILE).is_file()
        if final_dir.exists():
            shutil.rmtree(final_dir)
        return 0, existed
    query = f"select {select_list(wh, columns)} from main.{table.name} where {where} order by {table.order_by_sql}"
    copy_atomically(
        wh, query, export_root / ".staging" / table.name / final_dir.name / DATA_FILE, final_dir / DATA_FILE
    )
    return rows, False


def write_whole_table(wh: Warehouse, export_root: Path, table: PublicTable) -> None:
    """Rewrite an unpartitioned table as <export root>/<table>/data_0.parquet and remove anything
    else in its directory (e.g. partitions of an earlier layout)."""
    columns = file_columns(wh, table)
    copy_atomically(
        wh,
        f"select {select_list(wh, columns)} from main.{table.name} order by {table.order_by_sql}",
        export_root / ".staging" / table.name / DATA_FILE,
        export_root / table.name / DATA_FILE,
    )
    for stray in (export_root / table.name).iterdir():
        if stray.name != DATA_FILE:
            shutil.rmtree(stray) if stray.is_dir() else stray.unlink()


def remove_orphans(export_root: Path, tables: list[PublicTable], keep: set[tuple[str, date]]) -> int:
    """Remove partition directories and files of these tables that are not in `keep` (the export
    root is the export's own output). Returns how many partitions were removed: directories named
    `<partition column>=YYYY-MM-DD` that held a data file; stray files and empty directories are
    removed without being counted as partitions."""
    removed = 0
    for table in tables:
        table_dir = export_root / table.name
        if not table_dir.is_dir():
            continue
        for child in table_dir.iterdir():
            day = partition_day(table, child.name)
            if day is None or (table.name, day) not in keep:
                if day is not None and (child / DATA_FILE).is_file():
                    removed += 1
                else:
                    LOG.debug("removing %s (not a partition of %s)", child, table.name)
                shutil.rmtree(child) if child.is_dir() else child.unlink()
            else:
                for stray in child.iterdir():
                    if stray.name != DATA_FILE:
                        LOG.debug("removing stray %s", stray)
                        shutil.rmtree(stray) if stray.is_dir() else stray.unlink()
    return removed


def read_state(export_root: Path) -> tuple[int, str] | None:
    """The last export request this export root holds (its _export_state.json), or None."""
    state_path = export_root / STATE_FILE
    try:
        state = json.loads(state_path.read_text())
        return int(state["request_id"]), str(state["dbt_invocation_id"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        LOG.warning("ignoring unreadable %s (%s): every requested partition is exported again", state_path, error)
        return None


def write_state(export_root: Path, newest: tuple[int, str] | None) -> None:
    """Record the last export request finished (atomically: a temporary file, fsync, rename)."""
    if newest is None:
        return
    staging = export_root / f".{STATE_FILE}.tmp"
    with open(staging, "w") as handle:
        json.dump({"request_id": newest[0], "dbt_invocation_id": newest[1]}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, export_root / STATE_FILE)


def legacy_pending(export_root: Path, partitioned: dict[str, PublicTable]) -> list[tuple[str, date]]:
    """Partitions an export of an earlier version left in _pending_partitions.json."""
    legacy = export_root / LEGACY_PENDING_FILE
    if not legacy.exists():
        return []
    earlier = json.loads(legacy.read_text())
    LOG.info("finishing %d partitions left by an earlier export", len(earlier))
    return [(name, date.fromisoformat(day)) for name, day in earlier if name in partitioned]


def export(
    paths: PipelinePaths, rewrite_all: bool = False, target: str = "dev", manifest: dict | None = None
) -> dict[str, int]:
    """Bring the Parquet exports of the warehouse of a dbt target (DuckDB file, or the Spark
    cluster: clickstream/pipeline/warehouse.py) up to date, as the manifest's models say (default:
    the manifest of the warehouse's last dbt run): every partition requested (int_export_requests)
    after the last request this export root finished, or every partition with rewrite_all. Returns
    the counts its log lines print (all 0 when nothing was requested): partitions_requested (the
    date partitions it checked, what its progress lines count), partitions_written (of those, the
    ones written), partitions_removed (partitions that existed and were removed: requested ones
    that became empty, plus partitions_orphaned, the partitions a whole rewrite found in no table),
    partitions_absent (requested, empty and not there: nothing to do) and tables_written
    (unpartitioned tables written whole, never counted as partitions). So written + (removed -
    orphaned) + absent = requested, and nothing that did not exist is counted as removed."""
    tables = exported_tables(manifest if manifest is not None else run_manifest(paths, target))
    partitioned = {table.name: table for table in tables if table.partition_column}
    export_root = paths.export_root
    export_root.mkdir(parents=True, exist_ok=True)
    # files a killed export left half-way (never in place: they are moved there only once whole)
    shutil.rmtree(export_root / ".staging", ignore_errors=True)
    started = time.monotonic()
    with open_warehouse(target, paths.warehouse) as wh:
        requests = changes.export_requests(wh, read_state(export_root))
        if requests is None:
            LOG.info("the warehouse has no export request list yet (built by an earlier version): exporting all")
        whole = set(partitioned) if rewrite_all or requests is None else set(requests.whole_tables) & set(partitioned)
        for table in partitioned.values():
            reason = None if table.name in whole else out_of_layout(export_root, table)
            if reason:
                LOG.info("rewriting every partition of %s: %s", table.name, reason)
                whole.add(table.name)
        rebuilt = [partitioned[name] for name in sorted(whole)]
        todo = all_partitions(wh, rebuilt)
        if requests is not None:
            todo += [pair for pair in requests.partitions if pair[0] in partitioned]
        todo += legacy_pending(export_root, partitioned)
        todo = sorted(set(todo))
        missing_whole = [
            t for t in tables if not t.partition_column and not (export_root / t.name / DATA_FILE).exists()
        ]
        nothing = not todo and not rebuilt and not missing_whole and requests is not None and requests.empty
        counts = dict.fromkeys(EXPORT_COUNTS, 0)
        if nothing:
            LOG.info("export: every partition is up to date")
            return counts
        columns = {name: file_columns(wh, table) for name, table in partitioned.items()}
        counts["partitions_requested"] = len(todo)
        for index, (name, day) in enumerate(todo, start=1):
            rows, was_removed = write_partition(wh, export_root, partitioned[name], columns[name], day)
            if rows:
                counts["partitions_written"] += 1
            elif was_removed:
                counts["partitions_removed"] += 1
            else:
                counts["partitions_absent"] += 1
            if index % 25 == 0 or index == len(todo):
                LOG.info("export: %d/%d requested partitions done", index, len(todo))
        counts["partitions_orphaned"] = remove_orphans(export_root, rebuilt, set(todo))
        counts["partitions_removed"] += counts["partitions_orphaned"]
        for table in tables:
            if not table.partition_column:
                write_whole_table(wh, export_root, table)
                counts["tables_written"] += 1
    write_state(export_root, requests.newest if requests is not None else None)
    (export_root / LEGACY_PENDING_FILE).unlink(missing_ok=True)
    shutil.rmtree(export_root / ".staging", ignore_errors=True)
    LOG.info("export: %s in %.1f s", summary_text(counts), time.monotonic() - started)
    return counts


# The counts export() returns (see its docstring), in the order summary_text prints them.
EXPORT_COUNTS = (
    "partitions_requested",
    "partitions_written",
    "partitions_removed",
    "partitions_absent",
    "partitions_orphaned",
    "tables_written",
)


def summary_text(counts: dict[str, int]) -> str:
    """One export's counts as its log and `clickstream export` print them: '24 partitions written,
    3 removed, 1 whole table written (25 requested partitions: 24 written, 1 removed, 0 already
    absent; 2 orphaned partitions removed)'. Its start is what `clickstream refresh` prints."""
    written, removed = counts["partitions_written"], counts["partitions_removed"]
    orphaned, tables = counts["partitions_orphaned"], counts["tables_written"]
    text = (
        f"{written} partitions written, {removed} removed, {tables} whole table{'' if tables == 1 else 's'} written "
        f"({counts['partitions_requested']} requested partitions: {written} written, {removed - orphaned} removed, "
        f"{counts['partitions_absent']} already absent"
    )
    return text + (f"; {orphaned} orphaned partitions removed)" if orphaned else ")")


def build_parser(prog: str = "clickstream export") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Export the public tables to Parquet, as each mart's config says (meta.export in "
            "models/marts/<mart>.sql): by date under <export root>/<table>/<partition column>=YYYY-MM-DD/"
            "data_0.parquet (the hive layout: the files leave the partition column to the directory "
            "name), or whole as <export root>/<table>/data_0.parquet. Without --all, writes the "
            "partitions the refreshes since the last export changed (nothing when it is up to date)."
        ),
    )
    parser.add_argument(
        "--all",
        action="store_true",
        dest="rewrite_all",
        help="rewrite every partition and remove partitions that no longer exist in the tables",
    )
    add_path_options(parser, warehouse="DuckDB warehouse file", export_root="export root")
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
    # Every option is checked before the lock is taken and anything is written.
    problems = path_problems(paths, "warehouse", "export_root")
    if args.target == "dev" and not problems and not paths.warehouse.exists():
        problems = [
            f"no warehouse at {paths.warehouse}: run `clickstream refresh` first, or point --warehouse "
            "(or $CLICKSTREAM_WAREHOUSE) at the warehouse file"
        ]
    if problems:
        print(f"error: {'; '.join(problems)}.", file=sys.stderr)
        return 2
    # A writer of the exports: under the warehouse lock (clickstream/pipeline/lock.py), or exit 2 at once.
    try:
        lock = WarehouseLock(paths.warehouse, prog).acquire()
    except WarehouseLocked as busy:
        print(f"error: {busy}", file=sys.stderr)
        return 2
    try:
        counts = export(paths, rewrite_all=args.rewrite_all, target=check_target(args.target))
        if args.target == "dev":
            refresh_snapshot(paths.warehouse)  # what `clickstream report` reads while a writer runs
    except (WarehouseUnavailable, ContractError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (OSError, duckdb.Error) as error:
        if not is_disk_full(error):
            raise
        print(f"error: {disk_full_message(str(error), [paths.export_root])}", file=sys.stderr)
        return 1
    finally:
        lock.release()
    print(f"exported to {paths.export_root}: {summary_text(counts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
