#!/usr/bin/env python3
"""The pipeline's work written as a plain pandas script: the benchmark's peer.

This is what someone without this project would write to turn the raw landing zone into
sessions: read every raw file line by line, ``json.loads`` each line and validate it in Python,
then let pandas deduplicate (sort + ``drop_duplicates``), sessionize (sort, ``groupby().diff()``,
``cumsum``) and write Parquet partitioned by date (``to_parquet(partition_cols=...)``).
It is deliberately straightforward -- no hand-tuned tricks -- and implements the same rules as
the dbt models (README "Rules"), so that its output can be compared with the pipeline's:

1. blank / whitespace-only lines are skipped and counted;
2. quarantine, first reason that applies: invalid_encoding, malformed_json, invalid_field,
   invalid_timestamp, unknown_event_type (the ``event_types`` seed), future_event (after the end
   of the landing day plus the clock skew), too_late (before the landing day minus the allowed
   lateness);
3. deduplicate by event_id, the copy landed first wins (earliest dt, then file name, then line
   number);
4. sessions per user ordered by event_ts then event_id; a gap strictly greater than the timeout
   starts a new session; session_id = md5(user_id || 0x1F || first event_id).

Outputs (under ``--output-dir``, each table's folder replaced on every run), in the layout of the
pipeline's export (clickstream/pipeline/export.py): hive directories, the partition column in the
directory name only, one ZSTD file per date::

    fct_events/event_date=YYYY-MM-DD/data_0.parquet
    fct_sessions/session_date=YYYY-MM-DD/data_0.parquet
    quarantined_events/dt=YYYY-MM-DD/data_0.parquet

It always processes every landed day at once (the equivalent of a full refresh). Needs pandas
and pyarrow (requirements.txt).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from clickstream.paths import DT_DIR_PATTERN, PROJECT_ROOT, RAW_FILE_SUFFIXES, PipelinePaths
from clickstream.pipeline.contract import EVENT_FIELDS, quarantine_reasons
from clickstream.pipeline.dbt_vars import add_rule_options

LOG = logging.getLogger("clickstream.pandas_peer")

# The reason codes in rule order: the quarantine_reasons seed (seeds/quarantine_reasons.csv).
REASONS = quarantine_reasons()
KNOWN_FIELDS = EVENT_FIELDS
# Same pattern as macros/validation/parse_event_ts.sql; [0-9] rather than \d (which matches any Unicode digit).
ISO_TS = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,6})?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)
# "Blank" as the SQL regex \s (RE2): ASCII space, \t, \n, \f, \r.
BLANK = re.compile(r"[ \t\n\f\r]*")
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
US_PER_DAY = 86_400_000_000
INT64_MAX = 2**63 - 1
DEFAULT_EVENT_TYPES = PROJECT_ROOT / "seeds" / "event_types.csv"
OUTPUT_TABLES = ("fct_events", "fct_sessions", "quarantined_events")


@dataclass(frozen=True)
class Rules:
    """The rule parameters (the dbt vars of the same names)."""

    event_types: frozenset[str]
    session_timeout_minutes: int = 30
    clock_skew_minutes: int = 10
    late_arrival_days: int = 3


@dataclass
class Counts:
    """What the peer read and wrote."""

    files: int = 0
    lines_read: int = 0
    blank_lines: int = 0
    quarantined: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))
    duplicate_lines: int = 0
    valid_events: int = 0
    sessions: int = 0

    def render(self) -> str:
        reasons = ", ".join(f"{r} {n}" for r, n in self.quarantined.items() if n)
        return (
            f"files {self.files} | lines read {self.lines_read} | blank {self.blank_lines} | "
            f"quarantined {sum(self.quarantined.values())}"
            + (f" ({reasons})" if reasons else "")
            + f" | duplicates {self.duplicate_lines} | valid events {self.valid_events} | "
            f"sessions {self.sessions}"
        )


def load_event_types(path: Path) -> frozenset[str]:
    """The accepted event types (first column of the seed CSV)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return frozenset(row["event_type"] for row in csv.DictReader(handle))


def raw_files(raw_root: Path) -> list[tuple[str, Path]]:
    """(dt, path) of every landed raw file, sorted by path (so by dt, then file name)."""
    found = []
    for day_dir in sorted((raw_root / "click_events").glob("dt=*")):
        match = DT_DIR_PATTERN.match(day_dir.name)
        if not match or not day_dir.is_dir():
            continue
        for path in sorted(day_dir.iterdir()):
            if path.is_file() and path.name.endswith(RAW_FILE_SUFFIXES):
                found.append((match.group(1), path))
    return found


def read_lines(path: Path) -> Iterator[bytes]:
    """The file's lines as bytes, without the line terminator (LF or CRLF)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        for line in handle:
            yield line.rstrip(b"\n").removesuffix(b"\r")


def is_nonblank_string(value: Any) -> bool:
    return isinstance(value, str) and not BLANK.fullmatch(value)


def parse_event_ts(value: Any) -> int | None:
    """event_ts as UTC microseconds since the epoch, or None when it is not a valid time."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):  # epoch milliseconds
        micros = value * 1000
        return micros if -INT64_MAX <= micros <= INT64_MAX else None
    if not isinstance(value, str):
        return None
    match = ISO_TS.fullmatch(value)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None
    offset_minutes = 0
    if zone and zone != "Z":
        zone_hours, zone_minutes = int(zone[1:3]), int(zone[4:6])
        if zone_hours > 23 or zone_minutes > 59:
            return None
        offset_minutes = (zone_hours * 60 + zone_minutes) * (-1 if zone[0] == "-" else 1)
    micros = int((fraction or ".0")[1:].ljust(6, "0"))
    days = moment.toordinal() - EPOCH_ORDINAL
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second - offset_minutes * 60
    return days * US_PER_DAY + seconds * 1_000_000 + micros


def as_text(value: Any) -> str | None:
    """A JSON value as the pipeline stores it: strings as-is, other values as JSON text."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def validate_file(dt: str, path: Path, rules: Rules, counts: Counts) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One raw file's valid events and quarantined lines, as DataFrames."""
    landing_day_us = (date.fromisoformat(dt).toordinal() - EPOCH_ORDINAL) * US_PER_DAY
    latest_us = landing_day_us + US_PER_DAY + rules.clock_skew_minutes * 60_000_000
    earliest_us = landing_day_us - rules.late_arrival_days * US_PER_DAY
    valid: list[tuple[Any, ...]] = []
    quarantined: list[tuple[Any, ...]] = []
    for line_number, raw in enumerate(read_lines(path), start=1):
        counts.lines_read += 1
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            quarantined.append((dt, path.name, line_number, "invalid_encoding", None))
            continue
        if BLANK.fullmatch(text):
            counts.blank_lines += 1
            continue
        try:
            obj = json.loads(text)
        except ValueError:
            obj = None
        reason = None
        event_ts = None
        if not isinstance(obj, dict):
            reason = "malformed_json"
        elif (
            not is_nonblank_string(obj.get("event_id"))
            or not is_nonblank_string(obj.get("user_id"))
            or not is_nonblank_string(obj.get("event_type"))
            or obj.get("event_ts") in (None, "")
        ):
            reason = "invalid_field"
        else:
            event_ts = parse_event_ts(obj["event_ts"])
            if event_ts is None:
                reason = "invalid_timestamp"
            elif obj["event_type"] not in rules.event_types:
                reason = "unknown_event_type"
            elif event_ts > latest_us:
                reason = "future_event"
            elif event_ts < earliest_us:
                reason = "too_late"
        if reason:
            quarantined.append((dt, path.name, line_number, reason, text))
            continue
        extra = {key: value for key, value in obj.items() if key not in KNOWN_FIELDS}
        valid.append(
            (
                obj["event_id"],
                obj["user_id"],
                obj["event_type"],
                event_ts,
                as_text(obj.get("page_url")),
                as_text(obj.get("referrer")),
                as_text(obj.get("user_agent")),
                as_text(obj.get("ip")),
                as_text(obj.get("properties")),
                json.dumps(extra, separators=(",", ":"), ensure_ascii=False) if extra else None,
                dt,
                path.name,
                line_number,
            )
        )
    for row in quarantined:
        counts.quarantined[row[3]] += 1
    events = pd.DataFrame(
        valid,
        columns=[
            *EVENT_FIELDS,
            "extra_fields",
            "dt",
            "file_name",
            "line_number",
        ],
    )
    rejects = pd.DataFrame(quarantined, columns=["dt", "file_name", "line_number", "quarantine_reason", "raw_line"])
    return events, rejects


def sessionize(events: pd.DataFrame, timeout_minutes: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events with their session_id, and one row per session."""
    events = events.sort_values(["user_id", "event_ts", "event_id"], ignore_index=True)
    gap = events.groupby("user_id", sort=False)["event_ts"].diff()
    events["session_number"] = (gap.isna() | (gap > pd.Timedelta(minutes=timeout_minutes))).cumsum()
    events["is_page_view"] = events["event_type"] == "page_view"
    events["is_click"] = events["event_type"] == "click"
    events["is_purchase"] = events["event_type"] == "purchase"
    sessions = events.groupby("session_number", sort=True).agg(
        user_id=("user_id", "first"),
        first_event_id=("event_id", "first"),
        session_start=("event_ts", "min"),
        session_end=("event_ts", "max"),
        event_count=("event_id", "size"),
        page_view_count=("is_page_view", "sum"),
        click_count=("is_click", "sum"),
        has_purchase=("is_purchase", "any"),
        first_dt=("dt", "min"),
        last_dt=("dt", "max"),
    )
    page_views = events[events["is_page_view"]].groupby("session_number")["page_url"]
    sessions["landing_page"] = page_views.first()
    sessions["exit_page"] = page_views.last()
    sessions["session_id"] = [
        hashlib.md5(f"{user}\x1f{first}".encode()).hexdigest()
        for user, first in zip(sessions["user_id"], sessions["first_event_id"])
    ]
    sessions["session_date"] = sessions["session_start"].dt.strftime("%Y-%m-%d")
    # whole microseconds / 1e6, as the pipeline computes it (so the doubles are equal)
    duration_us = (
        (sessions["session_end"] - sessions["session_start"]).to_numpy().astype("timedelta64[us]").astype("int64")
    )
    sessions["duration_seconds"] = duration_us / 1_000_000
    for column in ("first_dt", "last_dt"):
        sessions[column] = pd.to_datetime(sessions[column]).dt.date
    sessions["is_bounce"] = (sessions["page_view_count"] == 1) & (sessions["event_count"] == 1)
    events["session_id"] = sessions["session_id"].reindex(events["session_number"]).to_numpy()
    events["event_date"] = events["event_ts"].dt.strftime("%Y-%m-%d")
    events["dt"] = pd.to_datetime(events["dt"]).dt.date
    events = events.drop(columns=["session_number", "is_page_view", "is_click", "is_purchase"])
    sessions = sessions.reset_index(drop=True)[
        [
            "session_id",
            "user_id",
            "session_start",
            "session_end",
            "session_date",
            "duration_seconds",
            "event_count",
            "page_view_count",
            "click_count",
            "landing_page",
            "exit_page",
            "is_bounce",
            "has_purchase",
            "first_dt",
            "last_dt",
        ]
    ]
    return events, sessions


def run(raw_root: Path, output_dir: Path, rules: Rules) -> Counts:
    """Read, validate, deduplicate, sessionize and write everything; returns the counts."""
    counts = Counts()
    files = raw_files(raw_root)
    if not files:
        raise FileNotFoundError(f"no raw files under {raw_root}/click_events/dt=YYYY-MM-DD/")
    event_frames, quarantine_frames = [], []
    started = time.monotonic()
    for index, (dt, path) in enumerate(files, start=1):
        events, rejects = validate_file(dt, path, rules, counts)
        event_frames.append(events)
        quarantine_frames.append(rejects)
        if index % 20 == 0 or index == len(files):
            LOG.info(
                "read %d/%d files, %d lines (%.1f s)", index, len(files), counts.lines_read, time.monotonic() - started
            )
    counts.files = len(files)
    events = pd.concat(event_frames, ignore_index=True)
    quarantined = pd.concat(quarantine_frames, ignore_index=True)
    del event_frames, quarantine_frames
    events["event_ts"] = pd.to_datetime(events["event_ts"], unit="us")

    # deduplicate: the copy landed first wins
    events = events.sort_values(["dt", "file_name", "line_number"], ignore_index=True)
    before = len(events)
    events = events.drop_duplicates("event_id", keep="first", ignore_index=True)
    counts.duplicate_lines = before - len(events)
    counts.valid_events = len(events)
    LOG.info("validated and deduplicated: %d events (%.1f s)", len(events), time.monotonic() - started)

    events, sessions = sessionize(events, rules.session_timeout_minutes)
    counts.sessions = len(sessions)
    LOG.info("sessionized: %d sessions (%.1f s)", len(sessions), time.monotonic() - started)

    output_dir.mkdir(parents=True, exist_ok=True)
    for table in OUTPUT_TABLES:
        shutil.rmtree(output_dir / table, ignore_errors=True)
    # the export's layout: one data_0.parquet per partition, without the partition column
    layout = {"index": False, "compression": "zstd", "basename_template": "data_{i}.parquet"}
    events.to_parquet(output_dir / "fct_events", partition_cols=["event_date"], **layout)
    sessions.to_parquet(output_dir / "fct_sessions", partition_cols=["session_date"], **layout)
    if len(quarantined):
        quarantined.to_parquet(output_dir / "quarantined_events", partition_cols=["dt"], **layout)
    LOG.info("wrote Parquet under %s (%.1f s)", output_dir, time.monotonic() - started)
    return counts


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=(
            "The benchmark's peer: validate, deduplicate and sessionize every landed raw file with "
            "plain Python + pandas (json.loads per line, pandas sort/groupby/diff/cumsum) and write "
            "fct_events, fct_sessions and quarantined_events as Parquet partitioned by date under "
            "--output-dir. Same rules as the dbt models; always processes every landed day."
        )
    )
    parser.add_argument("--raw-root", help="raw landing zone (default: $CLICKSTREAM_RAW_ROOT or data/raw)")
    parser.add_argument(
        "--output-dir", required=True, help="where to write the Parquet tables (each table folder is replaced)"
    )
    parser.add_argument(
        "--event-types",
        default=str(DEFAULT_EVENT_TYPES),
        help="CSV with an event_type column of accepted types (default: seeds/event_types.csv)",
    )
    add_rule_options(parser, ("session_timeout_minutes", "clock_skew_minutes", "late_arrival_days"))
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    raw_root = PipelinePaths.resolve(raw_root=args.raw_root).raw_root
    rules = Rules(
        event_types=load_event_types(Path(args.event_types)),
        session_timeout_minutes=args.session_timeout_minutes,
        clock_skew_minutes=args.clock_skew_minutes,
        late_arrival_days=args.late_arrival_days,
    )
    started = time.monotonic()
    try:
        counts = run(raw_root, Path(args.output_dir).expanduser().resolve(), rules)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"pandas peer: {counts.render()} | {time.monotonic() - started:.1f} s", flush=True)
    return 0


def exit_without_finalizing(code: int) -> None:
    """End the process with `code` once every output is flushed, skipping the interpreter's
    finalisation: pyarrow's dataset writer (``to_parquet(partition_cols=...)``) can abort the
    process at shutdown ("terminate called without an active exception", exit -6) after all its
    files are written and closed (apache/arrow#36389, open; seen here once in a test run)."""
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    exit_without_finalizing(main())
