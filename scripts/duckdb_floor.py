#!/usr/bin/env python3
"""Less work than the pipeline, in DuckDB's fastest form found: the benchmark's floor.

One hand-written DuckDB statement reads every landed raw file with ``read_json`` (vectorised,
every contract field as text), casts ``event_ts``, deduplicates by ``event_id`` (the copy landed
first wins: earliest dt, then file name; ties broken on the row's fields), assigns sessions per
user (ordered by event_ts then event_id; a gap strictly greater than the timeout starts a new
session; ``session_id = md5(user_id || 0x1F || first event_id)``) and writes the events with
their session as Parquet partitioned by ``event_date``.

It is NOT a product path and does deliberately less than the pipeline and the peer: no per-line
validation (``read_json(ignore_errors = true)`` skips or nulls bad lines, so nothing is counted or
quarantined), no blank-line, timestamp-window or event-type rules, no line numbers, no
enrichment, marts, tests or warehouse tables. Its time is therefore a floor for a DuckDB design of
the pipeline on the same machine with the same memory limit (variants tried - a table per step,
sorting narrow keys and joining the wide rows back - were slower). The benchmark compares the
targets with it to say whether they are within reach (docs/benchmark.md).

Prints one JSON line: events written, sessions, seconds of the statement.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
from pathlib import Path

import duckdb

from clickstream.paths import raw_files

LOG = logging.getLogger("clickstream.duckdb_floor")

FLOOR_SQL = """
copy (
    with raw_events as (
        select
            cast(regexp_extract(filename, 'dt=([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})', 1) as date) as dt,
            regexp_extract(filename, '[^/]+$', 0) as file_name,
            event_id, user_id, event_type, cast(try_cast(event_ts as timestamptz) as timestamp) as event_ts,
            page_url, referrer, user_agent, ip, properties
        from read_json(
            {files},
            format = 'newline_delimited',
            ignore_errors = true,
            filename = true,
            columns = {{event_id: 'VARCHAR', user_id: 'VARCHAR', event_type: 'VARCHAR', event_ts: 'VARCHAR',
                        page_url: 'VARCHAR', referrer: 'VARCHAR', user_agent: 'VARCHAR', ip: 'VARCHAR',
                        properties: 'JSON'}}
        )
    ),

    deduplicated as (
        select * exclude (file_name)
        from raw_events
        where event_id is not null and user_id is not null and event_ts is not null
        qualify row_number() over (
            partition by event_id order by dt, file_name, event_ts, user_id, event_type, page_url
        ) = 1
    ),

    session_starts_flagged as (
        select
            *,
            coalesce(event_ts - lag(event_ts) over by_user > interval {timeout} minute, true) as is_session_start
        from deduplicated
        window by_user as (partition by user_id order by event_ts, event_id)
    ),

    sessions_assigned as (
        select
            * exclude (is_session_start),
            md5(user_id || chr(31) || last_value(case when is_session_start then event_id end ignore nulls) over (
                partition by user_id order by event_ts, event_id rows unbounded preceding
            )) as session_id,
            cast(event_ts as date) as event_date
        from session_starts_flagged
    )

    select * from sessions_assigned
) to {output} (format parquet, partition_by (event_date))
"""


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def run(
    raw_root: Path, output_dir: Path, memory_limit: str | None, threads: int | None, timeout_minutes: int
) -> dict[str, float | int]:
    """Run the statement in a fresh in-memory database; returns counts and seconds."""
    files = raw_files(raw_root)
    if not files:
        raise FileNotFoundError(f"no raw files under {raw_root}/click_events/dt=YYYY-MM-DD/")
    shutil.rmtree(output_dir, ignore_errors=True)
    spill_dir = output_dir.parent / (output_dir.name + ".spill")
    config: dict[str, str | bool | int] = {"preserve_insertion_order": False, "temp_directory": str(spill_dir)}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    sql = FLOOR_SQL.format(
        files="[" + ", ".join(sql_string(str(p)) for p in files) + "]",
        timeout=int(timeout_minutes),
        output=sql_string(str(output_dir)),
    )
    try:
        with duckdb.connect(":memory:", config=config) as con:
            started = time.perf_counter()
            con.execute(sql)
            seconds = time.perf_counter() - started
            glob = sql_string(str(output_dir / "*" / "*.parquet"))
            events, sessions = con.execute(
                f"select count(*), count(distinct session_id) from read_parquet({glob})"
            ).fetchall()[0]
    finally:
        shutil.rmtree(spill_dir, ignore_errors=True)
    return {"files": len(files), "events": int(events), "sessions": int(sessions), "seconds": round(seconds, 3)}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="duckdb_floor.py",
        description=(
            "The benchmark's floor: the pandas peer's job (read, deduplicate, sessionize, write "
            "Parquet) as one hand-written DuckDB statement with a vectorised read_json and no "
            "per-line validation or quarantine. Not a product path: it does less than the pipeline "
            "on purpose, so a target it misses is out of reach of a DuckDB pipeline on this machine. "
            "Prints one JSON line (events, sessions, seconds)."
        ),
    )
    parser.add_argument(
        "--raw-root", required=True, help="raw landing zone holding click_events/dt=YYYY-MM-DD/ folders"
    )
    parser.add_argument("--output-dir", required=True, help="where to write the Parquet events (replaced on every run)")
    parser.add_argument(
        "--memory-limit",
        default="3GB",
        help="DuckDB memory_limit, as in profiles.yml (default: 3GB); 'none' leaves DuckDB's own default (80%% of RAM)",
    )
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: DuckDB's, one per core)")
    parser.add_argument(
        "--session-timeout-minutes",
        type=int,
        default=30,
        help="a gap strictly greater than this starts a new session (default: 30)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    memory_limit = None if args.memory_limit.lower() == "none" else args.memory_limit
    try:
        result = run(
            Path(args.raw_root).expanduser().resolve(),
            Path(args.output_dir).expanduser().resolve(),
            memory_limit,
            args.threads,
            args.session_timeout_minutes,
        )
    except (FileNotFoundError, duckdb.Error) as error:
        print(f"duckdb_floor: error: {error}", file=sys.stderr)
        return 1
    LOG.info("floor: %d events, %d sessions in %.1f s", result["events"], result["sessions"], result["seconds"])
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
