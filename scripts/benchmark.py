#!/usr/bin/env python3
"""Benchmark the clickstream pipeline on generated landing zones.

For each data shape of ``--shapes`` (``default``: the generator's defaults, about 7 events per
session; ``session-heavy``: about 1.5 events per session and 5x the users, many short sessions),
generates ``--days`` x ``--events-per-day`` events (`clickstream generate`) in the shape's own
subdirectory of the work directory, then measures, on the same files:

1. lower bound: DuckDB reading every raw line once (``read_csv`` of one VARCHAR column with the
   options of macros/ingest/read_raw_lines.sql, ``count(*)`` plus ``sum(strlen(line))``);
2. full refresh: ```clickstream refresh --full-refresh``` (dbt build with its tests, then the
   Parquet export) into a fresh warehouse: seconds, valid events/s, raw lines/s and the peak
   resident memory of the whole process tree (refresh.py + dbt);
3. daily refresh: the days landed one at a time into a separate landing zone (hard links) and
   ``clickstream refresh --date D`` after each: seconds per day and last day / second day;
4. the pandas peer: scripts/pandas_peer.py, the same work as a plain pandas script, on all days;
5. the DuckDB floor: scripts/duckdb_floor.py, the pipeline's core job (the same validation rules:
   blank lines, the seven quarantine reasons, line numbers; first landed copy, sessions, events
   and sessions as Parquet) as one hand-written DuckDB script, at the pipeline's memory limit and
   without one. Its counts must equal the full refresh's; it does no enrichment, marts, data
   tests or warehouse, so it says what a one-page DuckDB design does with the same rules here.

The pipeline's ratio to each reference is printed (full refresh / floor, and the speed-up over
the peer).

Prints a table per shape with PASS/MISS against the targets (evaluated per shape), a summary
with the shapes side by side, the per-model dbt timings, and writes every figure to a JSON file
(per shape under "shapes"). Performance is measured with a warm page cache (the files were just
written).

``--scale`` runs the scale benchmark instead (default shape only): ``--scale-days`` + 1 landing
days x ``--scale-events-per-day`` events (default 5 + 1 days x 10M), a full refresh of the first
day alone and of the first ``--scale-days`` days, then the next day's daily refresh on that
warehouse; seconds, events/s and peak memory of each, the ratio of the N-day full refresh to the
one-day one, and the pandas peer under a memory cap (it cannot hold 50M events: its failure is
reported, not raised). See docs/benchmark.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from clickstream.paths import PROJECT_ROOT, raw_files
from clickstream.pipeline.dbt_vars import project_defaults
from clickstream.pipeline.warehouse import duckdb_memory_limit

LOG = logging.getLogger("clickstream.benchmark")
SCRIPTS = PROJECT_ROOT / "scripts"
JSON_VERSION = 2  # 2: per-shape reports under "shapes"; "scale" with --scale
GB = 1_000_000_000
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Targets (issue #17), evaluated per shape
#: full refresh (dbt build with every data test, then the export) / DuckDB floor at the pipeline's
#: memory limit
TARGET_FULL_REFRESH_TO_FLOOR = 2.5
#: pandas peer seconds / full refresh seconds
TARGET_SPEEDUP = 3.0
#: daily refresh of the last day, seconds: 0.5x the 44 s measured on the project machine at the
#: default size, so it applies at that size only (DEFAULT_DAYS x DEFAULT_EVENTS_PER_DAY)
TARGET_DAILY_LAST_DAY_SECONDS = 22.0
#: peak memory of the whole process tree (full and daily refresh; --scale: each run)
TARGET_PEAK_RSS_BYTES = 4 * GB
#: --scale: the N-day full refresh / the one-day full refresh <= this x N (5.5x at 5 days)
TARGET_SCALE_RATIO_PER_DAY = 1.1

DEFAULT_DAYS, DEFAULT_EVENTS_PER_DAY = 10, 1_000_000

#: Data sets up to this many events (days x events/day) are "small": the full refresh and the
#: pandas peer are then repeated 3 times by default.
SMALL_EVENTS = 2_000_000
SMOKE_DAYS, SMOKE_EVENTS_PER_DAY = 2, 3000
#: --scale: full refresh of SCALE_DAYS days of SCALE_EVENTS_PER_DAY events, then the next day
SCALE_DAYS, SCALE_EVENTS_PER_DAY = 5, 10_000_000
SMOKE_SCALE_DAYS, SMOKE_SCALE_EVENTS_PER_DAY = 2, 2000
#: --scale: the pandas peer's address-space cap (it needs ~1.5 GB per million events)
SCALE_PEER_MEMORY_CAP_GB = 8.0


@dataclass(frozen=True)
class Shape:
    """A data shape: what `clickstream generate` is asked for beyond the size and seed."""

    name: str
    description: str
    session_events_mean: float | None = None  # None: the generator's default (6.5)
    users_factor: int = 1  # distinct users = this x the generator's default (events/day / 20)

    def generator_arguments(self, events_per_day: int) -> list[str]:
        arguments: list[str] = []
        if self.session_events_mean is not None:
            arguments += ["--session-events-mean", str(self.session_events_mean)]
        if self.users_factor != 1:
            arguments += ["--users", str(self.users_factor * max(1, events_per_day // 20))]
        return arguments


SHAPES = {
    shape.name: shape
    for shape in (
        Shape("default", "the generator's defaults: about 7 events per session, events/day / 20 users"),
        Shape(
            "session-heavy",
            "many short sessions: about 1.5 events per session (--session-events-mean 0.5), "
            "5x the users (events/day / 4)",
            session_events_mean=0.5,
            users_factor=5,
        ),
    )
}

#: The options of macros/ingest/read_raw_lines.sql (keep in sync): one VARCHAR column per line, no
#: quoting, NUL as delimiter, rejects (invalid UTF-8, too long) stored instead of failing.
MAX_LINE_BYTES = 16 * 1024 * 1024
READ_RAW_LINES_SQL = """
select count(*) as lines, coalesce(sum(strlen(line_text)), 0) as text_bytes
from read_csv(
    {files},
    columns = {{'line_text': 'VARCHAR'}},
    header = false,
    auto_detect = false,
    delim = chr(0),
    quote = '',
    escape = '',
    strict_mode = false,
    filename = true,
    hive_partitioning = true,
    hive_types = {{'dt': 'DATE'}},
    max_line_size = {max_line},
    buffer_size = {buffer},
    store_rejects = true,
    rejects_table = 'lower_bound_rejects',
    rejects_scan = 'lower_bound_rejects_scans'
) with ordinality
"""
EXPORT_LOG_LINE = re.compile(
    r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) .*export: \d+ partitions written, \d+ removed\b.*? in ([0-9.]+) s$",
    re.M,
)


# --------------------------------------------------------------------------------------------
# settings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What to run, from the command line."""

    days: int
    events_per_day: int
    seed: int
    start_date: str
    work_dir: Path
    work_dir_is_temporary: bool
    keep: bool
    json_path: Path
    repeat: int | None
    threads: int | None
    sample_interval: float
    smoke: bool
    shapes: tuple[str, ...] = tuple(SHAPES)
    #: the shape the parts run on: for_shape() gives each shape's copy, in its own directory
    shape: str = "default"
    scale: bool = False
    scale_days: int = SCALE_DAYS
    scale_events_per_day: int = SCALE_EVENTS_PER_DAY
    scale_peer_memory_cap_bytes: int = int(SCALE_PEER_MEMORY_CAP_GB * GB)  # 0: the peer is not run

    @property
    def total_events(self) -> int:
        return self.days * self.events_per_day

    @property
    def default_size(self) -> bool:
        """The issue's default size (10 x 1M events), at which the daily target applies."""
        return (self.days, self.events_per_day) == (DEFAULT_DAYS, DEFAULT_EVENTS_PER_DAY)

    def for_shape(self, shape: str) -> Settings:
        """These settings for one shape: its own landing zone, warehouses and logs."""
        return replace(self, shape=shape, work_dir=self.work_dir / shape)

    def runs(self, part: str) -> int:
        """How many times a part runs: --repeat, else 1 for --smoke, else by size."""
        if self.repeat is not None:
            return self.repeat
        if self.smoke:
            return 1
        small = self.total_events <= SMALL_EVENTS
        return {
            "lower_bound": 3,
            "full_refresh": 3 if small else 1,
            "daily_refresh": 1,
            "pandas_peer": 3 if small else 1,
            "duckdb_floor": 3 if small else 1,
        }[part]


# --------------------------------------------------------------------------------------------
# measuring a process tree
# --------------------------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """Direct children of a process (all its threads' children)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
        except OSError:
            continue
    return found


def children_by_scan(pid: int) -> list[int]:
    """Direct children found by scanning /proc (when the kernel has no .../children files)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    # the command name (field 2) may contain spaces: ppid follows the last ')'
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                found.append(int(entry))
    return found


def rss_bytes(pid: int) -> int:
    """Resident set size of one process, 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss_bytes(root: int, list_children: Callable[[int], list[int]]) -> int:
    """Sum of the RSS of a process and all its descendants (shared pages counted per process)."""
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += rss_bytes(pid)
        todo.extend(list_children(pid))
    return total


class TreeRssSampler(threading.Thread):
    """Samples the summed RSS of a process tree every `interval` seconds; keeps the peak."""

    def __init__(self, root_pid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self._stop_event = threading.Event()
        has_children_files = os.path.exists(f"/proc/{os.getpid()}/task/{threading.get_native_id()}/children")
        self._list_children = children_of if has_children_files else children_by_scan

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.root_pid, self._list_children))
            self.samples += 1
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


@dataclass
class ProcessRun:
    """One measured subprocess."""

    seconds: float
    started_at: float  # wall clock (time.time()) when the process was started
    peak_tree_rss_bytes: int  # sampled sum over the process tree
    largest_process_rss_bytes: int  # exact high-water mark of the largest single process (wait4)
    cpu_seconds: float  # user + system CPU time of the process and its descendants (wait4)
    other_cpu_seconds: float  # CPU time the rest of the machine used meanwhile (/proc/stat)
    samples: int
    returncode: int
    stdout: str
    stderr: str

    @property
    def peak_rss_bytes(self) -> int:
        return max(self.peak_tree_rss_bytes, self.largest_process_rss_bytes)


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot (all cores), from /proc/stat."""
    try:
        with open("/proc/stat") as handle:
            fields = [int(x) for x in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def noise(runs: list[ProcessRun]) -> dict[str, float]:
    """How much CPU the rest of the machine used while these runs were measured."""
    other = sum(r.other_cpu_seconds for r in runs)
    capacity = sum(r.seconds for r in runs) * (os.cpu_count() or 1)
    return {
        "cpu_seconds": round(statistics.median(r.cpu_seconds for r in runs), 3),
        "other_cpu_seconds": round(other, 3),
        "other_cpu_share": round(other / capacity, 3) if capacity else 0.0,
    }


def run_measured(
    command: list[str], log_stem: Path, interval: float, preexec_fn: Callable[[], None] | None = None
) -> ProcessRun:
    """Run a command, timing it and sampling the RSS of its process tree; output to log files.
    `preexec_fn` runs in the child before the command (e.g. to cap its memory)."""
    log_stem.parent.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_stem.with_suffix(".out"), log_stem.with_suffix(".err")
    env = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "PYTHONUNBUFFERED": "1"}
    with open(out_path, "w") as out, open(err_path, "w") as err:
        busy_before = machine_busy_seconds()
        started_at = time.time()
        started = time.perf_counter()
        # its own process group, so an interrupted benchmark can stop the whole tree it started
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=err,
            start_new_session=True,
            # only the main thread runs here: the sampler threads start after Popen
            preexec_fn=preexec_fn,
        )
        sampler = TreeRssSampler(process.pid, interval)
        sampler.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            sampler.stop()
            os.killpg(process.pid, signal.SIGTERM)
            process.wait()
            raise
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        busy = machine_busy_seconds() - busy_before
        sampler.stop()
    return ProcessRun(
        seconds=seconds,
        started_at=started_at,
        peak_tree_rss_bytes=sampler.peak,
        largest_process_rss_bytes=usage.ru_maxrss * 1024,  # KiB on Linux
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        other_cpu_seconds=max(0.0, busy - (usage.ru_utime + usage.ru_stime)),
        samples=sampler.samples,
        returncode=process.returncode,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
    )


class BenchmarkError(RuntimeError):
    """A measured step failed; the message says which and where its output is."""


def checked(run: ProcessRun, what: str, log_stem: Path) -> ProcessRun:
    if run.returncode != 0:
        tail = "\n".join((run.stderr + run.stdout).strip().splitlines()[-15:])
        raise BenchmarkError(f"{what} failed (exit {run.returncode}); output in {log_stem}.out/.err:\n{tail}")
    return run


# --------------------------------------------------------------------------------------------
# dbt timings
# --------------------------------------------------------------------------------------------


def utc_timestamp(text: str) -> float:
    """Seconds since the epoch of dbt's ISO timestamps ('2026-01-01T10:00:00.123456Z')."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def dbt_timings(run_results_path: Path) -> dict[str, Any]:
    """Per-model seconds and totals from dbt's run_results.json."""
    results = json.loads(run_results_path.read_text())
    models: dict[str, float] = {}
    totals = {"data_tests": 0.0, "unit_tests": 0.0, "seeds": 0.0, "hooks": 0.0}
    counts = {"data_tests": 0, "unit_tests": 0}
    for result in results["results"]:
        kind, _, rest = result["unique_id"].partition(".")
        seconds = float(result.get("execution_time") or 0.0)
        if kind == "model":
            models[rest.split(".", 1)[1]] = round(seconds, 3)
        elif kind == "test":
            totals["data_tests"] += seconds
            counts["data_tests"] += 1
        elif kind == "unit_test":
            totals["unit_tests"] += seconds
            counts["unit_tests"] += 1
        elif kind == "seed":
            totals["seeds"] += seconds
        else:
            totals["hooks"] += seconds
    run_end = utc_timestamp(results["metadata"]["generated_at"])
    return {
        "dbt_invocation_started_at": utc_timestamp(results["metadata"]["invocation_started_at"]),
        "dbt_run_started_at": run_end - float(results["elapsed_time"]),
        "dbt_run_ended_at": run_end,
        "dbt_run_seconds": round(float(results["elapsed_time"]), 3),
        "models": dict(sorted(models.items(), key=lambda item: -item[1])),
        "models_seconds": round(sum(models.values()), 3),
        **{f"{name}_seconds": round(value, 3) for name, value in totals.items()},
        "data_test_count": counts["data_tests"],
        "unit_test_count": counts["unit_tests"],
    }


def refresh_breakdown(run: ProcessRun, warehouse: Path) -> dict[str, Any]:
    """Where one refresh's wall time went: dbt's run phase (per model), export, the rest."""
    timings = dbt_timings(warehouse.parent / "dbt_target" / "run_results.json")
    match = EXPORT_LOG_LINE.search(run.stderr)
    export_seconds = float(match.group(2)) if match else 0.0
    # the export's log line is stamped (local time) when it ends
    export_ended = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp() if match else None
    overhead = run.seconds - timings["dbt_run_seconds"] - export_seconds
    invocation = timings.pop("dbt_invocation_started_at")
    run_started = timings.pop("dbt_run_started_at")
    run_ended = timings.pop("dbt_run_ended_at")
    return {
        "wall_seconds": round(run.seconds, 3),
        "export_seconds": export_seconds,
        # Everything but dbt's run phase and the export, paid once per refresh.py invocation
        # whatever the data size: the three parts below.
        "fixed_overhead_seconds": round(overhead, 3),
        # refresh.py start-up (Python, duckdb import, planning) and the dbt process importing dbt
        "startup_until_dbt_invocation_seconds": round(invocation - run.started_at, 3),
        # dbt from its invocation to its first node: project parsing, manifest, adapter set-up
        "dbt_parse_and_setup_seconds": round(run_started - invocation, 3),
        # after dbt's run phase: dbt exit, refresh.py's summary queries, the export, the freshness
        # rule (a few file stats), Python exit
        "after_dbt_run_seconds": round(run.started_at + run.seconds - run_ended, 3),
        # of which: from dbt's last node to the export's start (dbt exiting, refresh.py's summary
        # and audit queries)
        "dbt_end_to_export_seconds": round(export_ended - export_seconds - run_ended, 3) if export_ended else None,
        **timings,
    }


# --------------------------------------------------------------------------------------------
# the parts
# --------------------------------------------------------------------------------------------


def generate(
    settings: Settings, raw_root: Path, days: int | None = None, events_per_day: int | None = None
) -> dict[str, Any]:
    """Land the data set of settings.shape (or reuse an identical one kept from an earlier --keep
    run: same shape, size, seed and start date); `days` and `events_per_day` override the
    settings' (--scale)."""
    days = settings.days if days is None else days
    events_per_day = settings.events_per_day if events_per_day is None else events_per_day
    shape = SHAPES[settings.shape]
    stamp_path = settings.work_dir / "raw_all.generated.json"
    wanted = {
        "shape": shape.name,
        "generator_arguments": shape.generator_arguments(events_per_day),
        "start_date": settings.start_date,
        "days": days,
        "events_per_day": events_per_day,
        "seed": settings.seed,
    }
    seconds = None
    if stamp_path.exists() and json.loads(stamp_path.read_text()).get("arguments") == wanted and raw_root.exists():
        LOG.info("reusing the landing zone generated earlier under %s", raw_root)
        seconds = json.loads(stamp_path.read_text()).get("generate_seconds")
    else:
        shutil.rmtree(raw_root, ignore_errors=True)
        stamp_path.unlink(missing_ok=True)
        LOG.info(
            "generating %d days x %d events/day, shape %s (seed %d) under %s",
            days,
            events_per_day,
            shape.name,
            settings.seed,
            raw_root,
        )
        log_stem = settings.work_dir / "logs" / "generate"
        run = checked(
            run_measured(
                [
                    sys.executable,
                    "-m",
                    "clickstream",
                    "generate",
                    "--start-date",
                    settings.start_date,
                    "--days",
                    str(days),
                    "--events-per-day",
                    str(events_per_day),
                    "--seed",
                    str(settings.seed),
                    *wanted["generator_arguments"],
                    "--raw-root",
                    str(raw_root),
                    "--quiet",
                ],
                log_stem,
                settings.sample_interval,
            ),
            "`clickstream generate`",
            log_stem,
        )
        seconds = round(run.seconds, 3)
        LOG.info("%s", run.stdout.strip())
        stamp_path.write_text(json.dumps({"arguments": wanted, "generate_seconds": seconds}))
    files = raw_files(raw_root)
    return {
        **wanted,
        "generate_seconds": seconds,
        "raw_files": len(files),
        "raw_bytes_on_disk": sum(p.stat().st_size for p in files),
        "gzip_files": sum(p.name.endswith(".gz") for p in files),
    }


def lower_bound(settings: Settings, raw_root: Path) -> dict[str, Any]:
    """DuckDB reading every raw line once, in a fresh in-memory database per run."""
    files = [str(p) for p in raw_files(raw_root)]
    file_list = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    sql = READ_RAW_LINES_SQL.format(
        files=file_list, max_line=MAX_LINE_BYTES, buffer=max(2 * MAX_LINE_BYTES, 32 * 1024 * 1024)
    )
    runs = settings.runs("lower_bound")
    seconds, lines, rejected, text_bytes = [], 0, 0, 0
    for index in range(runs):
        config = {"preserve_insertion_order": True, "memory_limit": duckdb_memory_limit()}
        with duckdb.connect(":memory:", config=config) as con:
            started = time.perf_counter()
            lines, text_bytes = con.execute(sql).fetchall()[0]
            seconds.append(time.perf_counter() - started)
            rejected = con.execute(
                "select count(*) from (select distinct file_id, line from lower_bound_rejects)"
            ).fetchall()[0][0]
        LOG.info("lower bound run %d/%d: %d lines read in %.2f s", index + 1, runs, lines + rejected, seconds[-1])
    return {
        "runs": runs,
        "seconds": round(statistics.median(seconds), 3),
        "seconds_all": [round(s, 3) for s in seconds],
        "lines": int(lines) + int(rejected),
        "rejected_lines": int(rejected),
        "text_bytes": int(text_bytes),
        "files": len(files),
    }


def keep_dbt_log(warehouse_dir: Path, log_stem: Path) -> None:
    """Copy dbt's output and run results of a refresh next to the benchmark's logs."""
    for source, suffix in (("last_dbt_build.log", ".dbt.log"), ("dbt_target/run_results.json", ".run_results.json")):
        if (warehouse_dir / source).exists():
            shutil.copyfile(warehouse_dir / source, log_stem.with_suffix(suffix))


def warehouse_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        valid_events, sessions = con.execute(
            "select (select count(*) from main.fct_events), (select count(*) from main.fct_sessions)"
        ).fetchall()[0]
        lines_read, blank, quarantined, duplicates = con.execute(
            "select sum(lines_read), sum(blank_lines), sum(quarantined_lines), sum(duplicate_lines) from main.agg_ingest_daily"
        ).fetchall()[0]
    return {
        "valid_events": int(valid_events),
        "sessions": int(sessions),
        "raw_lines": int(lines_read),
        "blank_lines": int(blank),
        "quarantined_lines": int(quarantined),
        "duplicate_lines": int(duplicates),
    }


def refresh_command(settings: Settings, raw_root: Path, run_dir: Path, *extra: str) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "clickstream",
        "refresh",
        "--raw-root",
        str(raw_root),
        "--warehouse",
        str(run_dir / "warehouse" / "clickstream.duckdb"),
        "--export-root",
        str(run_dir / "exports"),
        *extra,
    ]
    if settings.threads:
        command += ["--threads", str(settings.threads)]
    return command


def full_refresh(
    settings: Settings, raw_root: Path, name: str = "full_refresh", runs: int | None = None
) -> tuple[dict[str, Any], Path]:
    """refresh.py --full-refresh into a fresh warehouse (<work dir>/<name>), `runs` times;
    returns figures and the last run's warehouse."""
    runs = settings.runs("full_refresh") if runs is None else runs
    measured: list[ProcessRun] = []
    breakdowns: list[dict[str, Any]] = []
    run_dir = settings.work_dir / name
    for index in range(runs):
        shutil.rmtree(run_dir, ignore_errors=True)
        log_stem = settings.work_dir / "logs" / f"{name}_{index + 1}"
        LOG.info("full refresh run %d/%d", index + 1, runs)
        run = checked(
            run_measured(
                refresh_command(settings, raw_root, run_dir, "--full-refresh"), log_stem, settings.sample_interval
            ),
            "refresh.py --full-refresh",
            log_stem,
        )
        measured.append(run)
        breakdowns.append(refresh_breakdown(run, run_dir / "warehouse" / "clickstream.duckdb"))
        keep_dbt_log(run_dir / "warehouse", log_stem)
        LOG.info(
            "full refresh run %d/%d: %.1f s, peak RSS %.2f GB", index + 1, runs, run.seconds, run.peak_rss_bytes / GB
        )
    warehouse = run_dir / "warehouse" / "clickstream.duckdb"
    counts = warehouse_counts(warehouse)
    seconds = statistics.median(r.seconds for r in measured)
    median_index = sorted(range(runs), key=lambda i: measured[i].seconds)[(runs - 1) // 2]
    return {
        "runs": runs,
        "seconds": round(seconds, 3),
        "seconds_all": [round(r.seconds, 3) for r in measured],
        **counts,
        "events_per_second": round(counts["valid_events"] / seconds, 1),
        "raw_lines_per_second": round(counts["raw_lines"] / seconds, 1),
        "peak_rss_bytes": max(r.peak_rss_bytes for r in measured),
        "peak_rss_bytes_all": [r.peak_rss_bytes for r in measured],
        "largest_process_rss_bytes": max(r.largest_process_rss_bytes for r in measured),
        "rss_samples": sum(r.samples for r in measured),
        **noise(measured),
        "breakdown": breakdowns[median_index],
    }, warehouse


def land_day(source_root: Path, target_root: Path, day: str) -> int:
    """Hard-link (or copy) one dt= directory of the full landing zone into the daily one."""
    source = source_root / "click_events" / f"dt={day}"
    target = target_root / "click_events" / f"dt={day}"
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(source.iterdir()):
        if not path.is_file():
            continue
        try:
            os.link(path, target / path.name)
        except OSError:
            shutil.copy2(path, target / path.name)
        count += 1
    return count


def daily_refresh(settings: Settings, raw_root: Path) -> tuple[dict[str, Any], Path]:
    """Land the days one by one and refresh after each; `runs` times from an empty warehouse."""
    runs = settings.runs("daily_refresh")
    days = [(date.fromisoformat(settings.start_date) + timedelta(days=i)).isoformat() for i in range(settings.days)]
    per_day: dict[str, list[ProcessRun]] = {day: [] for day in days}
    breakdown_last: dict[str, dict[str, Any]] = {}
    run_dir = settings.work_dir / "daily_refresh"
    for index in range(runs):
        shutil.rmtree(run_dir, ignore_errors=True)
        daily_raw = run_dir / "raw"
        for day in days:
            land_day(raw_root, daily_raw, day)
            log_stem = settings.work_dir / "logs" / f"daily_{index + 1}_{day}"
            run = checked(
                run_measured(
                    refresh_command(settings, daily_raw, run_dir, "--date", day), log_stem, settings.sample_interval
                ),
                f"refresh.py --date {day}",
                log_stem,
            )
            per_day[day].append(run)
            breakdown_last[day] = refresh_breakdown(run, run_dir / "warehouse" / "clickstream.duckdb")
            keep_dbt_log(run_dir / "warehouse", log_stem)
            LOG.info(
                "daily run %d/%d, dt=%s: %.1f s, peak RSS %.2f GB",
                index + 1,
                runs,
                day,
                run.seconds,
                run.peak_rss_bytes / GB,
            )
    warehouse = run_dir / "warehouse" / "clickstream.duckdb"
    counts = warehouse_counts(warehouse)
    day_rows = []
    for day in days:
        day_runs = per_day[day]
        day_rows.append(
            {
                "dt": day,
                "seconds": round(statistics.median(r.seconds for r in day_runs), 3),
                "seconds_all": [round(r.seconds, 3) for r in day_runs],
                "peak_rss_bytes": max(r.peak_rss_bytes for r in day_runs),
                "cpu_seconds": round(statistics.median(r.cpu_seconds for r in day_runs), 3),
                "fixed_overhead_seconds": breakdown_last[day]["fixed_overhead_seconds"],
                "dbt_run_seconds": breakdown_last[day]["dbt_run_seconds"],
                "export_seconds": breakdown_last[day]["export_seconds"],
            }
        )
    total = sum(row["seconds"] for row in day_rows)
    # On day k, late events of the k - late_arrival_days earlier days land too, and their dates'
    # partitions are rewritten: the first days ramp up until that window lies in the history.
    steady_index = min(int(project_defaults()["late_arrival_days"]), len(day_rows) - 1)
    second = day_rows[1]["seconds"] if len(day_rows) > 1 else day_rows[0]["seconds"]
    last = day_rows[-1]["seconds"]
    return {
        "runs": runs,
        "days": day_rows,
        "second_day_seconds": second,
        "last_day_seconds": last,
        "last_to_second_ratio": round(last / second, 3),
        "steady_state_day": day_rows[steady_index]["dt"],
        "last_to_steady_state_ratio": round(last / day_rows[steady_index]["seconds"], 3),
        "total_seconds": round(total, 3),
        "events_per_second": round(counts["valid_events"] / total, 1),
        "peak_rss_bytes": max(row["peak_rss_bytes"] for row in day_rows),
        "median_fixed_overhead_seconds": round(statistics.median(row["fixed_overhead_seconds"] for row in day_rows), 3),
        **noise([r for day in days for r in per_day[day]]),
        **counts,
        "breakdown_last_day": breakdown_last[days[-1]],
    }, warehouse


def pandas_peer_command(raw_root: Path, output: Path) -> list[str]:
    """The command line of scripts/pandas_peer.py over a landing zone, writing to output."""
    return [sys.executable, str(SCRIPTS / "pandas_peer.py"), "--raw-root", str(raw_root), "--output-dir", str(output)]


def pandas_peer(settings: Settings, raw_root: Path) -> tuple[dict[str, Any], Path]:
    """scripts/pandas_peer.py over every landed day, `runs` times."""
    runs = settings.runs("pandas_peer")
    output = settings.work_dir / "pandas_peer"
    measured = []
    for index in range(runs):
        shutil.rmtree(output, ignore_errors=True)
        log_stem = settings.work_dir / "logs" / f"pandas_peer_{index + 1}"
        LOG.info("pandas peer run %d/%d", index + 1, runs)
        run = checked(
            run_measured(
                pandas_peer_command(raw_root, output),
                log_stem,
                settings.sample_interval,
            ),
            "pandas_peer.py",
            log_stem,
        )
        measured.append(run)
        LOG.info(
            "pandas peer run %d/%d: %.1f s, peak RSS %.2f GB", index + 1, runs, run.seconds, run.peak_rss_bytes / GB
        )
    seconds = statistics.median(r.seconds for r in measured)
    return {
        "runs": runs,
        "seconds": round(seconds, 3),
        "seconds_all": [round(r.seconds, 3) for r in measured],
        "peak_rss_bytes": max(r.peak_rss_bytes for r in measured),
        **noise(measured),
        "summary": measured[-1].stdout.strip().splitlines()[-1] if measured[-1].stdout.strip() else "",
    }, output


def duckdb_floor(settings: Settings, raw_root: Path) -> tuple[dict[str, Any], Path]:
    """scripts/duckdb_floor.py over every landed day, at the pipeline's memory limit and without
    one, `runs` times each; returns figures and the output of the last run (events/, sessions/)."""
    runs = settings.runs("duckdb_floor")
    output = settings.work_dir / "duckdb_floor"
    found: dict[str, Any] = {"runs": runs}
    for variant, memory_limit in (("memory_limited", duckdb_memory_limit()), ("unlimited", "none")):
        measured, results = [], []
        for index in range(runs):
            log_stem = settings.work_dir / "logs" / f"duckdb_floor_{variant}_{index + 1}"
            run = checked(
                run_measured(
                    [
                        sys.executable,
                        str(SCRIPTS / "duckdb_floor.py"),
                        "--raw-root",
                        str(raw_root),
                        "--output-dir",
                        str(output),
                        "--memory-limit",
                        memory_limit,
                    ],
                    log_stem,
                    settings.sample_interval,
                ),
                "duckdb_floor.py",
                log_stem,
            )
            measured.append(run)
            results.append(json.loads(run.stdout.strip().splitlines()[-1]))
            LOG.info(
                "DuckDB floor (memory limit %s) run %d/%d: %.1f s, peak RSS %.2f GB",
                memory_limit,
                index + 1,
                runs,
                run.seconds,
                run.peak_rss_bytes / GB,
            )
        seconds = statistics.median(r.seconds for r in measured)
        found[variant] = {
            "memory_limit": memory_limit,
            "seconds": round(seconds, 3),
            "seconds_all": [round(r.seconds, 3) for r in measured],
            "statement_seconds": round(statistics.median(r["seconds"] for r in results), 3),
            "events": results[-1]["events"],
            "sessions": results[-1]["sessions"],
            # the floor applies the pipeline's rules: these equal the full refresh's (consistency)
            "lines_read": results[-1]["lines_read"],
            "blank_lines": results[-1]["blank_lines"],
            "quarantined_lines": results[-1]["quarantined_lines"],
            "quarantined": results[-1]["quarantined"],
            "duplicate_lines": results[-1]["duplicates"],
            "step_seconds": results[-1]["step_seconds"],
            "events_per_second": round(results[-1]["events"] / seconds, 1),
            "peak_rss_bytes": max(r.peak_rss_bytes for r in measured),
            **noise(measured),
        }
    return found, output


def compare_outputs(
    full_warehouse: Path, daily_warehouse: Path, peer_output: Path, floor_output: Path
) -> dict[str, Any]:
    """Do the four runs agree? Sessions (id, user, start, end, event count) must be identical."""
    columns = "session_id, user_id, session_start, session_end, event_count"
    peer_glob = str(peer_output / "fct_sessions" / "*" / "*.parquet").replace("'", "''")
    floor_glob = str(floor_output / "sessions" / "*" / "*.parquet").replace("'", "''")
    with duckdb.connect() as con:
        con.execute(f"attach '{str(full_warehouse).replace(chr(39), chr(39) * 2)}' as full_wh (read_only)")
        con.execute(f"attach '{str(daily_warehouse).replace(chr(39), chr(39) * 2)}' as daily_wh (read_only)")
        con.execute(
            f"create temp view peer as select {columns} from read_parquet('{peer_glob}', hive_partitioning = true)"
        )
        con.execute(
            f"create temp view floor as select {columns} from read_parquet('{floor_glob}', hive_partitioning = true)"
        )

        def differences(left: str, right: str) -> int:
            return con.execute(
                f"select (select count(*) from (select {columns} from {left} except select {columns} from {right}))"
                f" + (select count(*) from (select {columns} from {right} except select {columns} from {left}))"
            ).fetchall()[0][0]

        peer_sessions = con.execute("select count(*) from peer").fetchall()[0][0]
        daily_vs_full = differences("daily_wh.main.fct_sessions", "full_wh.main.fct_sessions")
        peer_vs_full = differences("peer", "full_wh.main.fct_sessions")
        floor_vs_full = differences("floor", "full_wh.main.fct_sessions")
    return {
        "peer_sessions": int(peer_sessions),
        "daily_vs_full_session_differences": int(daily_vs_full),
        "peer_vs_full_session_differences": int(peer_vs_full),
        "floor_vs_full_session_differences": int(floor_vs_full),
        "all_agree": daily_vs_full == 0 and peer_vs_full == 0 and floor_vs_full == 0,
    }


#: The DuckDB floor's counts and the full refresh's figure each must equal.
FLOOR_COUNTS = {
    "lines_read": "raw_lines",
    "blank_lines": "blank_lines",
    "quarantined_lines": "quarantined_lines",
    "duplicate_lines": "duplicate_lines",
    "events": "valid_events",
    "sessions": "sessions",
}


def floor_count_differences(floor: dict[str, Any], full: dict[str, Any]) -> dict[str, list[int]]:
    """The counts on which the DuckDB floor (memory-limited run) and the full refresh differ:
    {floor count: [floor's, full refresh's]}; empty when they agree."""
    return {
        name: [floor[name], full[full_name]]
        for name, full_name in FLOOR_COUNTS.items()
        if floor[name] != full[full_name]
    }


# --------------------------------------------------------------------------------------------
# --scale
# --------------------------------------------------------------------------------------------


def address_space_cap(limit_bytes: int) -> Callable[[], None]:
    """A preexec_fn capping the child's address space (RLIMIT_AS): past it, allocations fail and
    the process exits with an error instead of taking the machine's memory."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    return apply


def capped_pandas_peer(settings: Settings, raw_root: Path) -> dict[str, Any]:
    """The pandas peer once over `raw_root` under --scale-peer-memory-cap-gb; it keeps every event
    in memory (~1.5 GB per million), so at the scale size it is expected to fail: the status says
    "ok", "failed" (and why) or "not run", and nothing is raised."""
    cap = settings.scale_peer_memory_cap_bytes
    if cap <= 0:
        return {"status": "not run", "reason": "--scale-peer-memory-cap-gb 0", "memory_cap_bytes": 0}
    output = settings.work_dir / "pandas_peer"
    shutil.rmtree(output, ignore_errors=True)
    log_stem = settings.work_dir / "logs" / "pandas_peer_capped"
    command = pandas_peer_command(raw_root, output)
    LOG.info("pandas peer with its address space capped at %g GB", cap / GB)
    try:
        run = run_measured(command, log_stem, settings.sample_interval, preexec_fn=address_space_cap(cap))
    except (OSError, subprocess.SubprocessError) as error:  # e.g. the cap is too small to start Python
        return {"status": "failed", "memory_cap_bytes": cap, "error": f"could not start: {error}"}
    finally:
        shutil.rmtree(output, ignore_errors=True)
    found: dict[str, Any] = {
        "status": "ok" if run.returncode == 0 else "failed",
        "memory_cap_bytes": cap,
        "returncode": run.returncode,
        "seconds": round(run.seconds, 3),
        "peak_rss_bytes": run.peak_rss_bytes,
        "cpu_seconds": round(run.cpu_seconds, 3),
    }
    if run.returncode != 0:
        tail = (run.stderr + run.stdout).strip().splitlines()
        found["error"] = tail[-1][:300] if tail else f"exit {run.returncode}"
        LOG.info("pandas peer failed under the cap after %.1f s: %s", run.seconds, found["error"])
    return found


def next_day_refresh(
    settings: Settings, raw_root: Path, run_dir: Path, day: str, before: dict[str, Any]
) -> dict[str, Any]:
    """`clickstream refresh --date day` on the warehouse of run_dir (day already landed in
    raw_root); events/s counts the valid events the day added."""
    log_stem = settings.work_dir / "logs" / f"next_day_{day}"
    LOG.info("daily refresh of the next day, dt=%s", day)
    run = checked(
        run_measured(refresh_command(settings, raw_root, run_dir, "--date", day), log_stem, settings.sample_interval),
        f"refresh.py --date {day}",
        log_stem,
    )
    warehouse = run_dir / "warehouse" / "clickstream.duckdb"
    breakdown = refresh_breakdown(run, warehouse)
    keep_dbt_log(run_dir / "warehouse", log_stem)
    after = warehouse_counts(warehouse)
    added = after["valid_events"] - before["valid_events"]
    lines = after["raw_lines"] - before["raw_lines"]
    LOG.info("next day dt=%s: %.1f s, peak RSS %.2f GB", day, run.seconds, run.peak_rss_bytes / GB)
    return {
        "dt": day,
        "runs": 1,
        "seconds": round(run.seconds, 3),
        "valid_events_added": added,
        "raw_lines": lines,
        "events_per_second": round(added / run.seconds, 1),
        "raw_lines_per_second": round(lines / run.seconds, 1),
        "peak_rss_bytes": run.peak_rss_bytes,
        "largest_process_rss_bytes": run.largest_process_rss_bytes,
        **noise([run]),
        "warehouse_after": after,
        "breakdown": breakdown,
    }


def evaluate_scale_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    full, next_day = report["full_refresh"], report["next_day_refresh"]
    ratio_target = round(TARGET_SCALE_RATIO_PER_DAY * report["days"], 3)
    targets = [
        (
            "full_refresh_peak_rss_bytes",
            f"full refresh of {report['days']} days: peak memory (process tree) < 4 GB",
            full["peak_rss_bytes"],
            full["peak_rss_bytes"] < TARGET_PEAK_RSS_BYTES,
        ),
        (
            "next_day_peak_rss_bytes",
            "daily refresh of the next day: peak memory (process tree) < 4 GB",
            next_day["peak_rss_bytes"],
            next_day["peak_rss_bytes"] < TARGET_PEAK_RSS_BYTES,
        ),
        (
            "full_refresh_to_first_day",
            f"full refresh of {report['days']} days / of the first day alone <= {ratio_target:g}x "
            f"({TARGET_SCALE_RATIO_PER_DAY:g} x the days: near-linear)",
            report["full_refresh_to_first_day"],
            report["full_refresh_to_first_day"] <= ratio_target,
        ),
    ]
    return [{"name": name, "target": text, "value": value, "pass": bool(ok)} for name, text, value, ok in targets]


def run_scale(settings: Settings) -> dict[str, Any]:
    """The scale run (settings.work_dir is its own directory): --scale-days + 1 days generated;
    full refresh of the first day alone (the one-day figure), then of the first --scale-days days,
    then the next day landed (hard links) and refreshed with --date on that warehouse; the pandas
    peer under its memory cap last."""
    n_days = settings.scale_days
    raw_all = settings.work_dir / "raw_all"
    start = date.fromisoformat(settings.start_date)
    days = [(start + timedelta(days=i)).isoformat() for i in range(n_days + 1)]
    report: dict[str, Any] = {
        "days": n_days,
        "events_per_day": settings.scale_events_per_day,
        "full_refresh_days": days[:n_days],
        "next_day": days[n_days],
    }
    report["data"] = generate(settings, raw_all, days=n_days + 1, events_per_day=settings.scale_events_per_day)

    first_raw = settings.work_dir / "raw_first_day"
    shutil.rmtree(first_raw, ignore_errors=True)
    land_day(raw_all, first_raw, days[0])
    LOG.info("[scale] full refresh of the first day alone (dt=%s)", days[0])
    report["first_day_full_refresh"], _ = full_refresh(settings, first_raw, name="full_refresh_first_day", runs=1)
    # only its figures are needed: free the disk for the N-day warehouse
    shutil.rmtree(settings.work_dir / "full_refresh_first_day", ignore_errors=True)
    shutil.rmtree(first_raw, ignore_errors=True)

    raw = settings.work_dir / "raw"
    shutil.rmtree(raw, ignore_errors=True)
    for day in days[:n_days]:
        land_day(raw_all, raw, day)
    LOG.info("[scale] full refresh of %d days (%s to %s)", n_days, days[0], days[n_days - 1])
    report["full_refresh"], warehouse = full_refresh(settings, raw, name="full_refresh", runs=1)

    land_day(raw_all, raw, days[n_days])
    report["next_day_refresh"] = next_day_refresh(
        settings, raw, warehouse.parent.parent, days[n_days], report["full_refresh"]
    )
    # the peer over the same N days as the full refresh (the next day is landed by now: remove it)
    shutil.rmtree(raw / "click_events" / f"dt={days[n_days]}", ignore_errors=True)
    report["pandas_peer"] = capped_pandas_peer(settings, raw)
    if report["pandas_peer"]["status"] == "ok":
        report["speedup_over_pandas"] = round(report["pandas_peer"]["seconds"] / report["full_refresh"]["seconds"], 3)
    report["full_refresh_to_first_day"] = round(
        report["full_refresh"]["seconds"] / report["first_day_full_refresh"]["seconds"], 3
    )
    report["targets"] = evaluate_scale_targets(report)
    return report


# --------------------------------------------------------------------------------------------
# machine and report
# --------------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    cpu_model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {
        "cpu_model": cpu_model,
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_bytes": memory,
        "os": f"{platform.system()} {platform.release()}",
        "load_average_at_start": load_average(),
        "hostname": platform.node(),
    }


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages: other work on the machine skews every timing."""
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except (OSError, ValueError):
        return []


def project_state() -> dict[str, Any]:
    """The git commit benchmarked, and how many files differ from it (uncommitted work)."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=30
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    changed = [line for line in git("status", "--porcelain").splitlines() if line.strip()]
    return {
        "path": str(PROJECT_ROOT),
        "commit": git("rev-parse", "HEAD") or "unknown",
        "uncommitted_files": len(changed),
    }


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("duckdb", "dbt-core", "dbt-duckdb", "pandas", "pyarrow", "numpy"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def result_label(target: dict[str, Any]) -> str:
    """PASS, MISS, or why the target does not apply."""
    if target["pass"] is None:
        return target.get("not_applicable", "n/a")
    return "PASS" if target["pass"] else "MISS"


def evaluate_targets(report: dict[str, Any], default_size: bool) -> list[dict[str, Any]]:
    """The targets of one shape's report; `pass` is None for a target that does not apply at
    this size (the daily target: default size only)."""
    full, daily = report["full_refresh"], report["daily_refresh"]
    peak = max(full["peak_rss_bytes"], daily["peak_rss_bytes"])
    last_day = daily["last_day_seconds"]
    targets = [
        (
            "full_refresh_to_floor",
            f"full refresh (dbt build + every data test + export) <= {TARGET_FULL_REFRESH_TO_FLOOR}x the DuckDB floor",
            report["full_refresh_to_floor"],
            report["full_refresh_to_floor"] <= TARGET_FULL_REFRESH_TO_FLOOR,
        ),
        (
            "speedup_over_pandas",
            f">= {TARGET_SPEEDUP:g}x faster than the pandas peer",
            report["speedup_over_pandas"],
            report["speedup_over_pandas"] >= TARGET_SPEEDUP,
        ),
        (
            "daily_last_day_seconds",
            f"daily refresh of the last day <= {TARGET_DAILY_LAST_DAY_SECONDS:g} s "
            f"(at {DEFAULT_DAYS} x {DEFAULT_EVENTS_PER_DAY:,} events only)",
            last_day,
            last_day <= TARGET_DAILY_LAST_DAY_SECONDS if default_size else None,
        ),
        (
            "peak_rss_bytes",
            "peak memory (process tree, full and daily refresh) < 4 GB",
            peak,
            peak < TARGET_PEAK_RSS_BYTES,
        ),
    ]
    # What the floor (the pipeline's rules and core job in one DuckDB script, same memory limit)
    # reaches on the same figure: it does less than the pipeline (no enrichment, marts, tests or
    # warehouse), so a target the floor misses is out of reach of any DuckDB design here.
    floor = report["duckdb_floor"]["memory_limited"]
    floor_values = {
        "speedup_over_pandas": (
            report["floor_speedup_over_pandas"],
            report["floor_speedup_over_pandas"] >= TARGET_SPEEDUP,
        ),
        "peak_rss_bytes": (floor["peak_rss_bytes"], floor["peak_rss_bytes"] < TARGET_PEAK_RSS_BYTES),
    }
    return [
        {
            "name": name,
            "target": text,
            "value": value,
            "pass": None if ok is None else bool(ok),
            **({"not_applicable": "n/a at this size"} if ok is None else {}),
            **(
                {"duckdb_floor_value": floor_values[name][0], "duckdb_floor_pass": bool(floor_values[name][1])}
                if name in floor_values
                else {}
            ),
        }
        for name, text, value, ok in targets
    ]


def runs_label(count: int, how: str = "median") -> str:
    return "1 run" if count == 1 else f"{how} of {count}"


def render_header(report: dict[str, Any], title: str) -> list[str]:
    """The run-wide lines: what was run, machine, versions, project."""
    machine, vers = report["machine"], report["versions"]
    return [
        f"{title}{' [smoke]' if report['settings']['smoke'] else ''}",
        f"machine : {machine['cpu_model']}, {machine['usable_cores']} cores, {machine['memory_bytes'] / GB:.1f} GB RAM, {machine['os']}",
        "versions: " + ", ".join(f"{name} {version}" for name, version in vers.items()),
        f"project : {report['project']['path']} at {report['project']['commit'][:12]}"
        + (
            f" + {report['project']['uncommitted_files']} uncommitted files"
            if report["project"]["uncommitted_files"]
            else ""
        ),
    ]


def table(header: tuple[str, ...], rows: list[tuple[str, ...]], left: tuple[int, ...]) -> list[str]:
    """Aligned columns: the `left` ones left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:{'<' if i in left else '>'}{w}}}" for i, w in enumerate(widths))
    return [
        fmt.format(*header).rstrip(),
        "  ".join("-" * w for w in widths),
        *(fmt.format(*row).rstrip() for row in rows),
    ]


def render(report: dict[str, Any]) -> str:
    """The printed report: the scale run's, or one block per shape and the shapes side by side."""
    if "scale" in report:
        return render_scale(report)
    first = next(iter(report["shapes"].values()))["data"]
    lines = render_header(
        report,
        f"clickstream benchmark: {first['days']} landing days x {first['events_per_day']:,} events/day "
        f"(seed {first['seed']}), shapes: {', '.join(report['shapes'])}",
    )
    for name, shape_report in report["shapes"].items():
        lines += ["", "=" * 100, *render_shape(name, shape_report, report["machine"])]
    lines += ["", "=" * 100, *render_shapes_summary(report)]
    return "\n".join(lines)


def render_shapes_summary(report: dict[str, Any]) -> list[str]:
    """Every shape's headline figures and targets side by side."""
    shapes = report["shapes"]
    names = list(shapes)

    def row(label: str, value: Callable[[dict[str, Any]], str], target: str = "") -> tuple[str, ...]:
        return (label, *(value(shapes[name]) for name in names), target)

    def result(target_name: str) -> Callable[[dict[str, Any]], str]:
        def cell(shape_report: dict[str, Any]) -> str:
            target = next(t for t in shape_report["targets"] if t["name"] == target_name)
            return result_label(target)

        return cell

    rows = [
        row("raw lines", lambda r: f"{r['full_refresh']['raw_lines']:,}"),
        row("valid events", lambda r: f"{r['full_refresh']['valid_events']:,}"),
        row("sessions", lambda r: f"{r['full_refresh']['sessions']:,}"),
        row("lower bound", lambda r: f"{r['lower_bound']['seconds']:.2f} s"),
        row("full refresh", lambda r: f"{r['full_refresh']['seconds']:.1f} s"),
        row("  valid events / s", lambda r: f"{r['full_refresh']['events_per_second']:,.0f}"),
        row("DuckDB floor (memory limit)", lambda r: f"{r['duckdb_floor']['memory_limited']['seconds']:.1f} s"),
        row(
            "  full refresh / floor",
            lambda r: f"{r['full_refresh_to_floor']:.2f}x",
            f"<= {TARGET_FULL_REFRESH_TO_FLOOR}x",
        ),
        row("    result", result("full_refresh_to_floor")),
        row("pandas peer", lambda r: f"{r['pandas_peer']['seconds']:.1f} s"),
        row("  speed-up over peer", lambda r: f"{r['speedup_over_pandas']:.2f}x", f">= {TARGET_SPEEDUP:g}x"),
        row("    result", result("speedup_over_pandas")),
        row("daily refresh, last day", lambda r: f"{r['daily_refresh']['last_day_seconds']:.1f} s", "<= 22 s"),
        row("    result", result("daily_last_day_seconds")),
        row(
            "peak memory, full + daily refresh",
            lambda r: f"{max(r['full_refresh']['peak_rss_bytes'], r['daily_refresh']['peak_rss_bytes']) / GB:.2f} GB",
            "< 4 GB",
        ),
        row("    result", result("peak_rss_bytes")),
        row("runs agree (consistency)", lambda r: "yes" if r["consistency"]["all_agree"] else "NO"),
    ]
    return ["shapes side by side:", *table(("measure", *names, "target"), rows, left=(0, len(names) + 1))]


def render_shape(name: str, report: dict[str, Any], machine: dict[str, Any]) -> list[str]:
    """One shape's table, per-day figures, breakdowns, load, floor and consistency lines."""
    data = report["data"]
    full, daily, lower, peer = (
        report["full_refresh"],
        report["daily_refresh"],
        report["lower_bound"],
        report["pandas_peer"],
    )
    results = {t["name"]: result_label(t) for t in report["targets"]}
    floor, unlimited = report["duckdb_floor"]["memory_limited"], report["duckdb_floor"]["unlimited"]

    def reach(ok: bool) -> str:
        return "reachable" if ok else "OUT OF REACH"

    lines = [
        f"shape {name}: {SHAPES[name].description if name in SHAPES else ''}"
        + (f" (generate {' '.join(data['generator_arguments'])})" if data.get("generator_arguments") else ""),
        f"data    : {data['raw_files']} files, {data['raw_bytes_on_disk'] / GB:.2f} GB on disk ({data['gzip_files']} gzip), "
        f"{full['raw_lines']:,} raw lines, {full['valid_events']:,} valid events, {full['sessions']:,} sessions "
        f"(warm page cache; generated in {data['generate_seconds'] or 0:.1f} s)",
        "",
    ]
    rows: list[tuple[str, str, str, str, str]] = [
        ("full refresh (dbt build + tests + export)", f"{full['seconds']:.1f} s", runs_label(full["runs"]), "", ""),
        ("  valid events / s", f"{full['events_per_second']:,.0f}", runs_label(full["runs"]), "", ""),
        ("  raw lines / s", f"{full['raw_lines_per_second']:,.0f}", runs_label(full["runs"]), "", ""),
        ("  peak RSS, process tree", f"{full['peak_rss_bytes'] / GB:.2f} GB", runs_label(full["runs"], "max"), "", ""),
        ("  CPU time, process tree", f"{full['cpu_seconds']:.1f} s", runs_label(full["runs"]), "", ""),
        ("  fixed per-invocation overhead", f"{full['breakdown']['fixed_overhead_seconds']:.1f} s", "1 run", "", ""),
        (
            f"daily refresh ({len(daily['days'])} days, one by one)",
            f"{daily['total_seconds']:.1f} s total",
            runs_label(daily["runs"]),
            "",
            "",
        ),
        (
            "  last day",
            f"{daily['last_day_seconds']:.1f} s",
            runs_label(daily["runs"]),
            f"<= {TARGET_DAILY_LAST_DAY_SECONDS:g} s",
            results["daily_last_day_seconds"],
        ),
        (
            "  second day",
            f"{daily['second_day_seconds']:.1f} s",
            runs_label(daily["runs"]),
            "",
            "",
        ),
        (
            "  last / second (flatness)",
            f"{daily['last_to_second_ratio']:.2f}",
            runs_label(daily["runs"]),
            "",
            "",
        ),
        (
            f"  last / {daily['steady_state_day']} (late-arrival window full)",
            f"{daily['last_to_steady_state_ratio']:.2f}",
            runs_label(daily["runs"]),
            "",
            "",
        ),
        (
            "  peak RSS, process tree",
            f"{daily['peak_rss_bytes'] / GB:.2f} GB",
            runs_label(daily["runs"] * len(daily["days"]), "max"),
            "",
            "",
        ),
        (
            "  fixed per-invocation overhead",
            f"{daily['median_fixed_overhead_seconds']:.1f} s",
            f"median of {len(daily['days'])} days",
            "",
            "",
        ),
        (
            "peak memory, all pipeline runs",
            f"{max(full['peak_rss_bytes'], daily['peak_rss_bytes']) / GB:.2f} GB",
            "max",
            "< 4 GB",
            results["peak_rss_bytes"],
        ),
        ("lower bound: DuckDB reads every line", f"{lower['seconds']:.2f} s", runs_label(lower["runs"]), "", ""),
        ("  full refresh / lower bound", f"{report['full_refresh_to_lower_bound']:.1f}x", "", "", ""),
        ("pandas peer (json.loads + pandas)", f"{peer['seconds']:.1f} s", runs_label(peer["runs"]), "", ""),
        ("  peak RSS, process tree", f"{peer['peak_rss_bytes'] / GB:.2f} GB", runs_label(peer["runs"], "max"), "", ""),
        ("  CPU time, process tree", f"{peer['cpu_seconds']:.1f} s", runs_label(peer["runs"]), "", ""),
        (
            "  speed-up of full refresh over peer",
            f"{report['speedup_over_pandas']:.2f}x",
            "",
            f">= {TARGET_SPEEDUP:g}x",
            results["speedup_over_pandas"],
        ),
        (
            "DuckDB floor: same rules, 1 script",
            f"{floor['seconds']:.1f} s",
            runs_label(report["duckdb_floor"]["runs"]),
            "",
            "",
        ),
        (
            "  full refresh / floor",
            f"{report['full_refresh_to_floor']:.2f}x",
            "",
            f"<= {TARGET_FULL_REFRESH_TO_FLOOR}x",
            results["full_refresh_to_floor"],
        ),
        (
            f"  valid events / s, memory limit {floor['memory_limit']}",
            f"{floor['events_per_second']:,.0f}",
            runs_label(report["duckdb_floor"]["runs"]),
            "",
            "",
        ),
        (
            "  peak RSS, process tree",
            f"{floor['peak_rss_bytes'] / GB:.2f} GB",
            runs_label(report["duckdb_floor"]["runs"], "max"),
            "",
            "",
        ),
        (
            "  speed-up of floor over peer",
            f"{report['floor_speedup_over_pandas']:.2f}x",
            "",
            f">= {TARGET_SPEEDUP:g}x",
            reach(report["floor_speedup_over_pandas"] >= TARGET_SPEEDUP),
        ),
        (
            "  without a memory limit",
            f"{unlimited['seconds']:.1f} s = {unlimited['events_per_second']:,.0f}/s",
            runs_label(report["duckdb_floor"]["runs"]),
            "",
            "",
        ),
        (
            "  its peak RSS",
            f"{unlimited['peak_rss_bytes'] / GB:.2f} GB",
            runs_label(report["duckdb_floor"]["runs"], "max"),
            "",
            "",
        ),
    ]
    lines += table(("measure", "value", "runs", "target", "result"), rows, left=(0, 2, 3))
    lines.append("")
    lines.append(
        "daily refresh per day (wall seconds = dbt run phase + export + fixed overhead; CPU seconds of the tree):"
    )
    for row in daily["days"]:
        lines.append(
            f"  dt={row['dt']}  {row['seconds']:7.1f} s  = dbt {row['dbt_run_seconds']:6.1f} + export "
            f"{row['export_seconds']:5.1f} + overhead {row['fixed_overhead_seconds']:5.1f}   CPU {row['cpu_seconds']:6.1f} s"
        )
    for title, breakdown in (
        ("full refresh", full["breakdown"]),
        ("daily refresh, last day", daily["breakdown_last_day"]),
    ):
        lines.append("")
        lines.append(
            f"where the time goes, {title}: wall {breakdown['wall_seconds']:.1f} s = dbt run phase "
            f"{breakdown['dbt_run_seconds']:.1f} s + export {breakdown['export_seconds']:.1f} s + fixed overhead "
            f"{breakdown['fixed_overhead_seconds']:.1f} s (start-up until dbt's invocation "
            f"{breakdown['startup_until_dbt_invocation_seconds']:.1f} s, dbt parse and set-up "
            f"{breakdown['dbt_parse_and_setup_seconds']:.1f} s, after the run without the export "
            f"{breakdown['after_dbt_run_seconds'] - breakdown['export_seconds']:.1f} s: dbt's last node to the export "
            f"{breakdown['dbt_end_to_export_seconds'] or 0:.1f} s); inside the dbt run (2 threads, so these overlap): models "
            f"{breakdown['models_seconds']:.1f} s, {breakdown['data_test_count']} data tests {breakdown['data_tests_seconds']:.1f} s, "
            f"{breakdown['unit_test_count']} unit tests {breakdown['unit_tests_seconds']:.1f} s, seeds {breakdown['seeds_seconds']:.1f} s"
        )
        for model, seconds in breakdown["models"].items():
            lines.append(f"  {model:<34} {seconds:8.2f} s")
    shares = {
        name: report[part]["other_cpu_share"]
        for name, part in (
            ("full refresh", "full_refresh"),
            ("daily refresh", "daily_refresh"),
            ("pandas peer", "pandas_peer"),
        )
    }
    shares["DuckDB floor"] = floor["other_cpu_share"]
    lines.append("")
    lines.append(
        "other load: the rest of the machine used "
        + ", ".join(f"{share:.0%} during the {name}" for name, share in shares.items())
        + f" of its CPU (load average at start {machine['load_average_at_start']}, at end {machine.get('load_average_at_end')})"
        + (
            "  <-- the machine was not quiet: wall times are inflated, compare CPU times"
            if max(shares.values()) > 0.1
            else ""
        )
    )
    lines.append("")
    quarantined = ", ".join(f"{reason} {count:,}" for reason, count in floor["quarantined"].items())
    lines.append(
        "DuckDB floor: the pipeline's core job with its rules as one hand-written DuckDB script (blank lines, the "
        "seven quarantine reasons, line numbers, first landed copy, sessions, events and sessions as Parquet by date): "
        f"{floor['lines_read']:,} lines, {floor['blank_lines']:,} blank, {floor['quarantined_lines']:,} quarantined "
        f"({quarantined}), {floor['duplicate_lines']:,} duplicates, {floor['events']:,} events, "
        f"{floor['sessions']:,} sessions. No enrichment, marts, tests or warehouse tables, so a target it misses is "
        f"out of reach of a DuckDB pipeline on this machine. The pipeline takes {report['full_refresh_to_floor']:.2f}x "
        f"the floor's time and {1 / report['speedup_over_pandas']:.2f}x the pandas peer's."
    )
    check = report["consistency"]
    lines.append("")
    lines.append(
        f"consistency: daily vs full refresh session differences {check['daily_vs_full_session_differences']}, "
        f"pandas peer vs full refresh {check['peer_vs_full_session_differences']}, DuckDB floor vs full refresh "
        f"{check['floor_vs_full_session_differences']} (counts that differ: "
        f"{json.dumps(check['floor_vs_full_count_differences']) if check['floor_vs_full_count_differences'] else 'none'}); "
        f"lower bound lines {lower['lines']:,} vs raw lines {full['raw_lines']:,}"
        + ("" if check["all_agree"] else "  <-- MISMATCH")
    )
    return lines


def render_scale(report: dict[str, Any]) -> str:
    """The scale run's table."""
    scale = report["scale"]
    data, first, full, next_day, peer = (
        scale["data"],
        scale["first_day_full_refresh"],
        scale["full_refresh"],
        scale["next_day_refresh"],
        scale["pandas_peer"],
    )
    n_days = scale["days"]
    results = {t["name"]: result_label(t) for t in scale["targets"]}
    lines = render_header(
        report,
        f"clickstream scale benchmark: full refresh of {n_days} landing days x {scale['events_per_day']:,} events/day "
        f"(seed {data['seed']}, default shape), then the next day's daily refresh",
    )
    lines.append(
        f"data    : {data['raw_files']} files, {data['raw_bytes_on_disk'] / GB:.2f} GB on disk for {n_days + 1} days "
        f"({data['gzip_files']} gzip; generated in {data['generate_seconds'] or 0:.1f} s); full refresh: "
        f"{full['raw_lines']:,} raw lines, {full['valid_events']:,} valid events, {full['sessions']:,} sessions"
    )
    lines.append("")
    if peer["status"] == "ok":
        peer_value = f"{peer['seconds']:.1f} s, peak {peer['peak_rss_bytes'] / GB:.2f} GB"
        peer_note = f"{scale['speedup_over_pandas']:.2f}x"
    elif peer["status"] == "failed":
        peer_value = "FAILED" + (f" after {peer['seconds']:.1f} s" if "seconds" in peer else "")
        peer_note = f"cap {peer['memory_cap_bytes'] / GB:g} GB"
    else:
        peer_value, peer_note = "not run", peer.get("reason", "")

    def refresh_rows(label: str, figures: dict[str, Any], peak_target: str | None) -> list[tuple[str, ...]]:
        return [
            (label, f"{figures['seconds']:.1f} s", "", ""),
            ("  valid events / s", f"{figures['events_per_second']:,.0f}", "", ""),
            ("  raw lines / s", f"{figures['raw_lines_per_second']:,.0f}", "", ""),
            (
                "  peak RSS, process tree",
                f"{figures['peak_rss_bytes'] / GB:.2f} GB",
                "< 4 GB" if peak_target else "",
                results[peak_target] if peak_target else "",
            ),
        ]

    rows = [
        *refresh_rows(f"full refresh, first day alone ({first['valid_events']:,} events)", first, None),
        *refresh_rows(
            f"full refresh, {n_days} days ({full['valid_events']:,} events)", full, "full_refresh_peak_rss_bytes"
        ),
        (
            f"  {n_days} days / first day alone",
            f"{scale['full_refresh_to_first_day']:.2f}x",
            f"<= {TARGET_SCALE_RATIO_PER_DAY * n_days:g}x",
            results["full_refresh_to_first_day"],
        ),
        *refresh_rows(
            f"daily refresh of the next day, dt={next_day['dt']} (+{next_day['valid_events_added']:,} events)",
            next_day,
            "next_day_peak_rss_bytes",
        ),
        (f"pandas peer, {n_days} days, memory capped", peer_value, "", peer_note),
    ]
    lines += table(("measure", "value", "target", "result"), rows, left=(0, 2, 3))
    if peer["status"] == "failed":
        lines.append("")
        lines.append(
            f"pandas peer: failed under its {peer['memory_cap_bytes'] / GB:g} GB address-space cap "
            f"(it keeps every event in memory): {peer.get('error', '')}"
        )
    for title, breakdown in (
        (f"full refresh of {n_days} days", full["breakdown"]),
        ("daily refresh of the next day", next_day["breakdown"]),
    ):
        lines.append("")
        lines.append(
            f"where the time goes, {title}: wall {breakdown['wall_seconds']:.1f} s = dbt run phase "
            f"{breakdown['dbt_run_seconds']:.1f} s + export {breakdown['export_seconds']:.1f} s + fixed overhead "
            f"{breakdown['fixed_overhead_seconds']:.1f} s; slowest models: "
            + ", ".join(f"{model} {seconds:.1f} s" for model, seconds in list(breakdown["models"].items())[:5])
        )
    shares = {
        "first-day full refresh": first["other_cpu_share"],
        "full refresh": full["other_cpu_share"],
        "next day": next_day["other_cpu_share"],
    }
    lines.append("")
    lines.append(
        "other load: the rest of the machine used "
        + ", ".join(f"{share:.0%} during the {name}" for name, share in shares.items())
        + " of its CPU"
        + ("  <-- the machine was not quiet: wall times are inflated" if max(shares.values()) > 0.1 else "")
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="benchmark.py",
        description=(
            "Benchmark the clickstream pipeline: for each data shape, generate a landing zone, then measure the full "
            "refresh (seconds, events/s, peak memory of the process tree), the day-by-day refresh "
            "(seconds per day, last/second day), the lower bound (DuckDB reading every raw line "
            "once), a plain pandas peer and the DuckDB floor (the pipeline's core job with the same rules as one "
            "hand-written DuckDB script), with the pipeline's ratio to each; print a table per shape with PASS/MISS "
            "against the targets and the shapes side by side, and write every figure as JSON. With --scale, the "
            "scale run instead. Never touches data/ or target/."
        ),
        epilog=(
            "Repeats: without --repeat, the lower bound runs 3 times, the full refresh, the "
            f"pandas peer and the DuckDB floor 3 times when the data set has at most {SMALL_EVENTS:,} events (else once), "
            "and the day-by-day refresh once; each figure is the median over its runs (peak memory: "
            "the maximum). The output says which. --scale runs each of its parts once. See docs/benchmark.md."
        ),
    )
    parser.add_argument("--days", type=int, help=f"landing days to generate per shape (>= 2; default: {DEFAULT_DAYS})")
    parser.add_argument(
        "--events-per-day",
        type=int,
        help=f"events generated per landing day (default: {DEFAULT_EVENTS_PER_DAY})",
    )
    parser.add_argument(
        "--shapes",
        metavar="NAME[,NAME...]",
        help="comma-separated data shapes to benchmark, each in its own subdirectory of the work dir: "
        + "; ".join(f"{shape.name} = {shape.description}" for shape in SHAPES.values())
        + f" (default: {','.join(SHAPES)})",
    )
    parser.add_argument("--seed", type=int, default=42, help="generator seed: same seed, same files (default: 42)")
    parser.add_argument(
        "--start-date", default="2024-03-01", help="first landing day, YYYY-MM-DD (default: 2024-03-01)"
    )
    parser.add_argument(
        "--repeat", type=int, metavar="N", help="run every part N times and report medians (default: see below)"
    )
    parser.add_argument("--threads", type=int, help="dbt threads for refresh.py (default: profiles.yml, 2)")
    parser.add_argument(
        "--work-dir",
        help="directory for all benchmark data: landing zones, warehouses, exports, logs "
        "(default: a fresh temporary directory under /tmp)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the generated data, warehouses and exports at the end "
        "(default: remove them, keeping only the JSON and logs/); a kept landing zone with the same "
        "shape, --days/--events-per-day/--seed/--start-date is reused by the next run in the same --work-dir",
    )
    parser.add_argument("--json", help="where to write the JSON report (default: <work dir>/benchmark.json)")
    parser.add_argument(
        "--sample-interval-ms", type=float, default=50.0, help="RSS sampling period of the process tree (default: 50)"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"tiny run for CI: {SMOKE_DAYS} days x {SMOKE_EVENTS_PER_DAY} events, "
        "1 run of each part (overrides --days/--events-per-day; --repeat still applies); with --scale: "
        f"{SMOKE_SCALE_DAYS} days x {SMOKE_SCALE_EVENTS_PER_DAY} events and the next day",
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="run the scale benchmark instead (default shape, each part once): generate --scale-days + 1 "
        "landing days x --scale-events-per-day events, full refresh of the first day alone and of the first "
        "--scale-days days, then the next day's daily refresh on that warehouse; seconds, events/s, peak memory, "
        "the N-day / one-day full refresh ratio, and the pandas peer under --scale-peer-memory-cap-gb",
    )
    parser.add_argument(
        "--scale-days",
        type=int,
        default=SCALE_DAYS,
        help=f"--scale: landing days of its full refresh (>= 2; the next day is generated too; default: {SCALE_DAYS})",
    )
    parser.add_argument(
        "--scale-events-per-day",
        type=int,
        default=SCALE_EVENTS_PER_DAY,
        help=f"--scale: events generated per landing day (default: {SCALE_EVENTS_PER_DAY})",
    )
    parser.add_argument(
        "--scale-peer-memory-cap-gb",
        type=float,
        default=SCALE_PEER_MEMORY_CAP_GB,
        metavar="GB",
        help="--scale: the pandas peer runs on the --scale-days days with its address space capped at GB "
        "(10^9 bytes; it needs ~1.5 GB per million events, so at the default size it fails, and the report says "
        f"so); 0 does not run it (default: {SCALE_PEER_MEMORY_CAP_GB:g})",
    )
    parser.add_argument(
        "--kafka-events",
        type=int,
        default=None,
        metavar="N",
        help="also measure the Kafka lander end to end from a filled topic of N events on a local tansu broker "
        "(scripts/bench_kafka_lander.py; default 200000, 2000 with --smoke, 0 with --scale; 0 skips it)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    return parser


def kafka_lander(events: int, work_dir: Path) -> dict[str, Any]:
    """The lander's throughput (messages/s landed, end to end from a filled topic), measured by
    scripts/bench_kafka_lander.py on a local broker."""
    json_path = work_dir / "logs" / "kafka_lander.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        str(Path(__file__).resolve().parent / "bench_kafka_lander.py"),
        "--events",
        str(events),
        "--json",
        str(json_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchmarkError(f"bench_kafka_lander.py failed ({result.returncode}): {result.stderr[-2000:]}")
    return json.loads(json_path.read_text())


def parse_shapes(text: str | None) -> tuple[str, ...]:
    """--shapes: known names, comma-separated, each once, in the order given."""
    if text is None:
        return tuple(SHAPES)
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SHAPES]
    if unknown or not names:
        raise ValueError(
            f"--shapes: unknown shape {', '.join(repr(n) for n in unknown) or repr(text)}; "
            f"the shapes are {', '.join(SHAPES)} (comma-separated)"
        )
    return tuple(dict.fromkeys(names))


def settings_from_args(args: argparse.Namespace) -> Settings:
    if args.scale:
        # the scale run has its own sizes, one shape and one run of each part
        for option, value in (
            ("--shapes", args.shapes),
            ("--days", args.days),
            ("--events-per-day", args.events_per_day),
            ("--repeat", args.repeat),
        ):
            if value is not None:
                raise ValueError(
                    f"{option} does not apply to --scale (default shape; use --scale-days/--scale-events-per-day)"
                )
    shapes = parse_shapes(args.shapes)
    days = SMOKE_DAYS if args.smoke else (DEFAULT_DAYS if args.days is None else args.days)
    events_per_day = (
        SMOKE_EVENTS_PER_DAY
        if args.smoke
        else (DEFAULT_EVENTS_PER_DAY if args.events_per_day is None else args.events_per_day)
    )
    scale_days = SMOKE_SCALE_DAYS if args.smoke and args.scale else args.scale_days
    scale_events_per_day = SMOKE_SCALE_EVENTS_PER_DAY if args.smoke and args.scale else args.scale_events_per_day
    if days < 2:
        raise ValueError("--days must be at least 2 (the daily figure compares the last day with the second)")
    if events_per_day < 1:
        raise ValueError("--events-per-day must be at least 1")
    if scale_days < 2:
        raise ValueError("--scale-days must be at least 2 (the ratio compares N days with one)")
    if scale_events_per_day < 1:
        raise ValueError("--scale-events-per-day must be at least 1")
    if not 0 <= args.scale_peer_memory_cap_gb < float("inf"):
        raise ValueError("--scale-peer-memory-cap-gb must be 0 (do not run the peer) or more")
    if args.repeat is not None and args.repeat < 1:
        raise ValueError("--repeat must be at least 1")
    try:
        date.fromisoformat(args.start_date)
    except ValueError:
        raise ValueError(f"--start-date must be YYYY-MM-DD, got {args.start_date!r}") from None
    if args.work_dir:
        work_dir = Path(args.work_dir).expanduser().resolve()
        temporary = False
    else:
        work_dir = Path(tempfile.mkdtemp(prefix="clickstream-benchmark-", dir="/tmp"))
        temporary = True
    for protected in (PROJECT_ROOT / "data", PROJECT_ROOT / "target"):
        if work_dir == protected.resolve() or protected.resolve() in work_dir.parents:
            raise ValueError(f"--work-dir {work_dir} is inside {protected}: use a directory of its own")
    return Settings(
        days=days,
        events_per_day=events_per_day,
        seed=args.seed,
        start_date=args.start_date,
        work_dir=work_dir,
        work_dir_is_temporary=temporary,
        keep=args.keep,
        json_path=Path(args.json).expanduser().resolve() if args.json else work_dir / "benchmark.json",
        repeat=args.repeat,
        threads=args.threads,
        sample_interval=args.sample_interval_ms / 1000.0,
        smoke=args.smoke,
        shapes=shapes,
        scale=args.scale,
        scale_days=scale_days,
        scale_events_per_day=scale_events_per_day,
        scale_peer_memory_cap_bytes=int(args.scale_peer_memory_cap_gb * GB),
    )


BULKY = ("raw_all", "full_refresh", "daily_refresh", "pandas_peer", "duckdb_floor", "raw_all.generated.json")
SCALE_BULKY = ("raw", "full_refresh_first_day", "raw_first_day")


def cleanup(settings: Settings) -> None:
    """Remove the bulky data of every shape (and of the scale run); keep the JSON report and the
    logs."""
    directories = [settings.work_dir / "scale"] if settings.scale else [settings.work_dir / s for s in settings.shapes]
    for directory in directories:
        for name in (*BULKY, *SCALE_BULKY):
            path = directory / name
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink()


def run_shape(settings: Settings) -> dict[str, Any]:
    """Every part on one shape's landing zone (settings from Settings.for_shape)."""
    raw_root = settings.work_dir / "raw_all"
    report: dict[str, Any] = {"shape": settings.shape}
    report["data"] = generate(settings, raw_root)
    LOG.info("[%s] measuring the lower bound", settings.shape)
    report["lower_bound"] = lower_bound(settings, raw_root)
    LOG.info("[%s] measuring the full refresh", settings.shape)
    report["full_refresh"], full_warehouse = full_refresh(settings, raw_root)
    LOG.info("[%s] measuring the day-by-day refresh", settings.shape)
    report["daily_refresh"], daily_warehouse = daily_refresh(settings, raw_root)
    LOG.info("[%s] measuring the pandas peer", settings.shape)
    report["pandas_peer"], peer_output = pandas_peer(settings, raw_root)
    LOG.info("[%s] measuring the DuckDB floor", settings.shape)
    report["duckdb_floor"], floor_output = duckdb_floor(settings, raw_root)
    report["consistency"] = compare_outputs(full_warehouse, daily_warehouse, peer_output, floor_output)
    shutil.rmtree(floor_output, ignore_errors=True)
    report["consistency"]["floor_vs_full_count_differences"] = floor_count_differences(
        report["duckdb_floor"]["memory_limited"], report["full_refresh"]
    )
    report["consistency"]["all_agree"] = (
        report["consistency"]["all_agree"] and not report["consistency"]["floor_vs_full_count_differences"]
    )
    report["consistency"]["lower_bound_lines_equal_raw_lines"] = (
        report["lower_bound"]["lines"] == report["full_refresh"]["raw_lines"]
    )
    report["consistency"]["all_agree"] = (
        report["consistency"]["all_agree"] and report["consistency"]["lower_bound_lines_equal_raw_lines"]
    )
    full_seconds = report["full_refresh"]["seconds"]
    report["full_refresh_to_lower_bound"] = round(full_seconds / report["lower_bound"]["seconds"], 2)
    report["speedup_over_pandas"] = round(report["pandas_peer"]["seconds"] / full_seconds, 3)
    # the pipeline's ratio to the floor (same rules, one DuckDB script, same memory limit)
    report["full_refresh_to_floor"] = round(full_seconds / report["duckdb_floor"]["memory_limited"]["seconds"], 3)
    report["floor_speedup_over_pandas"] = round(
        report["pandas_peer"]["seconds"] / report["duckdb_floor"]["memory_limited"]["seconds"], 3
    )
    report["targets"] = evaluate_targets(report, settings.default_size)
    return report


def run_benchmark(settings: Settings) -> dict[str, Any]:
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    # the settings that do not apply to this run
    unused = (
        {"shape", "days", "events_per_day", "shapes", "repeat"}
        if settings.scale
        else {"shape", "scale_days", "scale_events_per_day", "scale_peer_memory_cap_bytes"}
    )
    report: dict[str, Any] = {
        "version": JSON_VERSION,
        "started_at": started_at,
        "settings": {
            **{k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(settings).items() if k not in unused},
            "runs": (
                dict.fromkeys(("full_refresh_first_day", "full_refresh", "next_day_refresh", "pandas_peer"), 1)
                if settings.scale
                else {
                    part: settings.runs(part)
                    for part in ("lower_bound", "full_refresh", "daily_refresh", "pandas_peer", "duckdb_floor")
                }
            ),
            "memory_limit": os.environ.get("CLICKSTREAM_MEMORY_LIMIT", "3GB (profiles.yml default)"),
            "dbt_threads": settings.threads or os.environ.get("CLICKSTREAM_DBT_THREADS", "2 (profiles.yml default)"),
        },
        "machine": machine_info(),
        "versions": versions(),
        "project": project_state(),
    }
    if settings.scale:
        report["scale"] = run_scale(replace(settings, shape="default", work_dir=settings.work_dir / "scale"))
        report["all_agree"] = True
    else:
        report["shapes"] = {name: run_shape(settings.for_shape(name)) for name in settings.shapes}
        report["all_agree"] = all(shape["consistency"]["all_agree"] for shape in report["shapes"].values())
    report["machine"]["load_average_at_end"] = load_average()
    report["benchmark_seconds"] = round(time.monotonic() - started, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    try:
        settings = settings_from_args(args)
    except ValueError as error:
        print(f"benchmark: error: {error}", file=sys.stderr)
        return 2
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    LOG.info("work directory: %s", settings.work_dir)
    if args.kafka_events is not None:
        kafka_events = args.kafka_events
    else:
        kafka_events = 0 if settings.scale else 2000 if settings.smoke else 200_000
    try:
        report = run_benchmark(settings)
        if kafka_events > 0:
            LOG.info("measuring the Kafka lander (%d events)", kafka_events)
            report["kafka_lander"] = kafka_lander(kafka_events, settings.work_dir)
    except (BenchmarkError, OSError, duckdb.Error) as error:
        print(f"benchmark: error: {error}\nwork directory kept for inspection: {settings.work_dir}", file=sys.stderr)
        return 1
    settings.json_path.parent.mkdir(parents=True, exist_ok=True)
    settings.json_path.write_text(json.dumps(report, indent=2) + "\n")
    print(render(report))
    if "kafka_lander" in report:
        print(
            f"kafka lander (end to end from a filled topic): {json.dumps(report['kafka_lander'], sort_keys=True)[:400]}"
        )
    print(f"\nJSON: {settings.json_path}")
    if not report["all_agree"]:
        LOG.warning("the runs do not agree (see consistency in the JSON): the figures compare different work")
    if settings.keep:
        print(f"kept: {settings.work_dir}")
    else:
        cleanup(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
