"""Make a copy of a warehouse with k times more history, to measure how a daily refresh's cost
depends on the length of history (a daily refresh should cost in proportion to the new day).

The copy gets `--copies` extra copies of every public table's rows (the models in models/marts/:
events, sessions, page views, duplicates, quarantine, users, aggregates; clickstream/pipeline/
contract.py), each moved earlier by a whole number of "history spans" (the warehouse's date range
plus a gap, so copies never share a session or a late-arrival window with each other or with the
real rows): every DATE and TIMESTAMP column moves. Every id (the text columns named ``*_id``, and
the table's key when it is text) is suffixed ``-h<k>`` (so keys stay unique and copies are other
users). Rows are written oldest copy
first, then the real rows, as a warehouse built day by day would store them. Row counts and
history length grow by (copies + 1); the run audit and the intermediate tables are kept as they
are, so the next landing day can be refreshed on the copy like on the original.

Synthetic history: for benchmarks only, never for a warehouse whose data is used. The original
file is only read.

    python scripts/inflate_history.py --warehouse data/warehouse/clickstream.duckdb \\
        --output /tmp/inflated.duckdb --copies 9
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from clickstream.pipeline import contract

LOG = logging.getLogger("clickstream.inflate_history")


@dataclass(frozen=True)
class HistoryTable:
    """A public table: its date/timestamp columns (moved back) and id columns (suffixed)."""

    name: str
    time_columns: tuple[str, ...]
    id_columns: tuple[str, ...]


def history_table(con: duckdb.DuckDBPyConnection, table: contract.PublicTable) -> HistoryTable:
    """The columns to move back (DATE, TIMESTAMP) and to suffix (text `*_id`, and a text key) of a table."""
    types = con.execute(
        "select column_name, data_type from duckdb_columns() where schema_name = 'main' and table_name = ? "
        "order by column_index",
        [table.name],
    ).fetchall()
    times = tuple(name for name, kind in types if kind == "DATE" or kind.startswith("TIMESTAMP"))
    ids = tuple(name for name, kind in types if kind == "VARCHAR" and (name.endswith("_id") or name == table.key))
    return HistoryTable(table.name, times, ids)


class InflateError(Exception):
    """The warehouse cannot be inflated; the message says why and what to do."""


def history_span_days(con: duckdb.DuckDBPyConnection, gap_days: int) -> int:
    """Days to move each copy back: the warehouse's event and landing date range plus gap_days."""
    first, last = con.execute(
        "select least(min(event_date), min(dt)), greatest(max(event_date), max(dt)) from main.fct_events"
    ).fetchone()
    if first is None:
        raise InflateError("main.fct_events is empty: refresh at least one landing day first (`clickstream refresh`).")
    return (last - first).days + 1 + gap_days


def copy_select(table: HistoryTable, column_types: dict[str, str], shift_days: int, suffix: str) -> str:
    """SELECT of the table's original rows moved back shift_days days (each time column keeps its
    type: a date minus an interval would be a timestamp), ids suffixed."""
    replaced = [
        f"cast({column} - interval {shift_days} day as {column_types[column]}) as {column}"
        for column in table.time_columns
    ]
    replaced += [f"{column} || '{suffix}' as {column}" for column in table.id_columns]
    return f"select * replace ({', '.join(replaced)}) from main.{table.name}__original"


def inflate_table(con: duckdb.DuckDBPyConnection, table: HistoryTable, copies: int, span_days: int) -> int:
    """Rewrite one table as its copies (oldest first) followed by its rows; returns the row count."""
    con.execute(f"alter table main.{table.name} rename to {table.name}__original")
    con.execute(f"create table main.{table.name} as select * from main.{table.name}__original limit 0")
    column_types = dict(
        con.execute(
            "select column_name, data_type from duckdb_columns() where schema_name = 'main' and table_name = ?",
            [table.name],
        ).fetchall()
    )
    for copy in range(copies, 0, -1):
        con.execute(f"insert into main.{table.name} {copy_select(table, column_types, copy * span_days, f'-h{copy}')}")
    con.execute(f"insert into main.{table.name} select * from main.{table.name}__original")
    con.execute(f"drop table main.{table.name}__original")
    return con.execute(f"select count(*) from main.{table.name}").fetchone()[0]


def inflate(warehouse: Path, output: Path, copies: int, gap_days: int = 7, memory_limit: str = "3GB") -> dict[str, int]:
    """Copy `warehouse` to `output` and add `copies` shifted copies of its history there; returns
    the new row count per table."""
    if copies < 1:
        raise InflateError(f"--copies must be at least 1 (got {copies}).")
    if not warehouse.is_file():
        raise InflateError(f"No warehouse at {warehouse}: refresh first (`clickstream refresh`) or pass --warehouse.")
    if output.resolve() == warehouse.resolve():
        raise InflateError("--output must differ from --warehouse: the original warehouse is never modified.")
    if output.exists():
        raise InflateError(f"{output} exists: remove it or choose another --output.")
    output.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(warehouse, output)
    counts: dict[str, int] = {}
    try:
        public = contract.public_tables(contract.project_manifest())
        with duckdb.connect(str(output)) as con:
            con.execute(f"set memory_limit = '{memory_limit}'")
            missing = [
                table.name
                for table in public
                if con.execute(
                    "select count(*) from duckdb_tables() where schema_name = 'main' and table_name = ?", [table.name]
                ).fetchone()[0]
                == 0
            ]
            if missing:
                raise InflateError(
                    f"{warehouse} has no table(s) {', '.join(missing)}: is it a clickstream "
                    "warehouse that has been refreshed at least once?"
                )
            span = history_span_days(con, gap_days)
            LOG.info("adding %d copies of the history, each %d days earlier than the last", copies, span)
            for table in (history_table(con, public_table) for public_table in public):
                started = time.monotonic()
                counts[table.name] = inflate_table(con, table, copies, span)
                LOG.info("%s: %d rows (%.1f s)", table.name, counts[table.name], time.monotonic() - started)
            con.execute("checkpoint")
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    return counts


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Synthetic history, for benchmarks only. The original warehouse is only read.",
    )
    parser.add_argument(
        "--warehouse", required=True, type=Path, help="the DuckDB warehouse to copy (refreshed at least once)"
    )
    parser.add_argument("--output", required=True, type=Path, help="the new warehouse file to write (must not exist)")
    parser.add_argument(
        "--copies",
        type=int,
        default=9,
        help="extra copies of the history to add; history grows (copies + 1) times (default: 9)",
    )
    parser.add_argument(
        "--gap-days",
        type=int,
        default=7,
        help="days between two copies, so no session or late-arrival window spans two (default: 7)",
    )
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB memory limit while copying (default: 3GB)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    try:
        counts = inflate(args.warehouse, args.output, args.copies, args.gap_days, args.memory_limit)
    except (InflateError, contract.ContractError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{args.output}: " + ", ".join(f"{name} {rows}" for name, rows in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
