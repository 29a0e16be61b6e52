"""Refresh the clickstream warehouse from the raw landing zone, then export Parquet.

Modes:
- no option: process every landed file not processed yet (audit.processed_files,
  clickstream/pipeline/processed_files.py): every landed day (``dt=``) not processed yet, one day
  at a time, in order, and the last processed day again, whole, when new files landed for it; a
  processed file that changed, or a new file for an earlier processed day, is refused (exit 2)
  with what to do;
- ``--date D``: (re)process landing day D; it must not be earlier than the last processed day
  (use ``--full-refresh`` for that) and every earlier landed day must be processed;
- ``--full-refresh``: rebuild every table from raw, in one run, then rewrite every export.

Each day runs ``dbt build`` (models and their data tests; the dbt unit tests with
``--unit-tests``) with ``run_date`` set, exports the Parquet partitions that changed and prints a
summary (lines read, blank, quarantined by reason, duplicates, valid events, sessions written,
seconds). A failed run exits non-zero; every model commits on its own and is written so that
re-running the same command finishes the job with exactly the result an uninterrupted run gives.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from clickstream.durations import human_duration
from clickstream.ingest import file_check
from clickstream.options import date_arg, int_at_least, seconds_arg
from clickstream.paths import (
    PROJECT_ROOT,
    PipelinePaths,
    UnreadEntry,
    add_path_options,
    landed_days,
    path_problems,
    raw_files,
    unread_counts,
    unread_entries,
    unread_summary,
)
from clickstream.pipeline import changes, dbt_vars, follow, processed_files, seed_state
from clickstream.pipeline import export as export_parquet
from clickstream.pipeline.audit import INTERRUPTED, RunAudit
from clickstream.pipeline.contract import ContractError, dbt_target_path, quarantine_reasons
from clickstream.pipeline.dbt_process import dbt_command
from clickstream.pipeline.disk import disk_full_message, is_disk_full
from clickstream.pipeline.lock import RESUME_ADVICE, StopRequested, WarehouseLock, WarehouseLocked, stop_on_sigterm
from clickstream.pipeline.warehouse import (
    DUCKDB_TARGETS,
    TARGETS,
    WarehouseBusy,
    WarehouseUnavailable,
    duckdb_lock_conflict,
    open_warehouse,
)
from clickstream.report.published import refresh_snapshot

LOG = logging.getLogger("clickstream.refresh")


@dataclass
class RunSummary:
    """What one refresh step read and wrote."""

    label: str
    seconds: float = 0.0
    stats: dict[str, int] = field(default_factory=dict)
    sessions_written: int = 0
    partitions_written: int = 0
    dbt_seconds: float = 0.0
    export_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def render(self) -> str:
        s = self.stats
        reasons = ", ".join(f"{r} {s.get(r + '_lines', 0)}" for r in quarantine_reasons() if s.get(r + "_lines", 0))
        return (
            f"{self.label}: lines read {s.get('lines_read', 0)} | blank {s.get('blank_lines', 0)} | "
            f"quarantined {s.get('quarantined_lines', 0)}"
            + (f" ({reasons})" if reasons else "")
            + f" | duplicates {s.get('duplicate_lines', 0)} | valid events {s.get('valid_events', 0)}"
            + (f" | unread entries {s['unread_entries']}" if s.get("unread_entries") else "")
            + f" | sessions written {self.sessions_written} | export partitions {self.partitions_written}"
            f" | {self.seconds:.1f} s"
        )


class RefreshError(RuntimeError):
    """A refresh step failed; the message says what and what to do."""


@dataclass(frozen=True)
class FailedBuild:
    """The latest dbt build of a landing day, which failed (from the run audit)."""

    run_id: str
    mode: str  # the run's mode: date, pending_days or full_refresh
    failing_nodes: tuple[str, ...]  # the tests (and models) that failed or errored


def failed_builds(paths: PipelinePaths) -> dict[str, FailedBuild]:
    """Landing days whose latest dbt build failed, from the run audit (in the DuckDB file whatever
    the target): the refresh records every dbt node of every build in audit.refresh_run_steps,
    under the step `dbt build dt=<day>` (a full refresh: one step for every day of the run)."""
    if not paths.warehouse.exists():
        return {}
    with open_warehouse("dev", paths.warehouse) as wh:
        if not (wh.table_exists("audit", "refresh_run_steps") and wh.table_exists("audit", "refresh_runs")):
            return {}
        rows = wh.query(
            "select r.run_id, r.mode, r.landing_days, s.step, "
            "list(s.node_id order by s.node_id) filter (where s.status in ('fail', 'error')) "
            "from audit.refresh_run_steps s join audit.refresh_runs r using (run_id) "
            "where s.step like 'dbt build %' group by all order by min(r.started_at), s.step"
        )
    latest: dict[str, FailedBuild | None] = {}
    for run_id, mode, landing_days, step, failing in rows:
        days = (
            [step.removeprefix("dbt build dt=")]
            if step.startswith("dbt build dt=")
            else (landing_days or "").split(",")
        )
        for day in filter(None, days):
            latest[day] = FailedBuild(run_id, mode, tuple(failing)) if failing else None
            if not failing:
                # a failure that a later day's successful build followed (an older version went on)
                # is superseded; an earlier day's build after it (a replay) does not supersede it
                for earlier in [other for other, build in latest.items() if build is not None and other < day]:
                    latest[earlier] = None
    return {day: build for day, build in sorted(latest.items()) if build is not None}


def processed_days(paths: PipelinePaths, target: str) -> list[str]:
    """Landing days already processed, or [] for a new warehouse: the days of agg_ingest_daily
    (written last by each build), except the last ones whose latest build failed (a data test of
    the day failed after its rows were committed): those stay pending, so the next refresh builds
    them again. (A failed day followed by a processed one, which only an older version allowed,
    stays processed: failed_builds() leaves it out.)"""
    if target == "dev" and not paths.warehouse.exists():
        return []
    with open_warehouse(target, paths.warehouse) as wh:
        if not wh.table_exists("main", "agg_ingest_daily"):
            return []
        rows = wh.query("select cast(dt as string) from main.agg_ingest_daily order by dt")
    days = [r[0] for r in rows]
    failed = failed_builds(paths) if days else {}
    while days and days[-1] in failed:
        days.pop()
    return days


def run_dbt(
    paths: PipelinePaths,
    arguments: list[str],
    target: str = "dev",
    pass_fds: tuple[int, ...] = (),
    run_date: str | None = None,
    unread: dict[str, int] | None = None,
    replay_from: str | None = None,
) -> subprocess.CompletedProcess:
    """Run one dbt command against this warehouse (its own target and log directories); pass_fds:
    the warehouse lock's descriptor (WarehouseLock.pass_fds()), so dbt holds the lock while it runs;
    run_date: the landing day to process (environment CLICKSTREAM_RUN_DATE, read by
    refresh_batch_files()), none: every pending day. Passed in the environment rather than as
    --vars, because a --vars value that changes every run makes dbt re-parse the whole project;
    unread: the unread entries per landing day (paths.unread_counts()), which agg_ingest_daily
    counts (environment CLICKSTREAM_UNREAD_ENTRIES, macro unread_entries_count()); replay_from: process
    every landed day from this one on, processed or not (environment CLICKSTREAM_REPLAY_FROM, read by
    refresh_batch_files(); replay_from())."""
    command = dbt_command(paths, arguments, target, dbt_target_path(paths), paths.warehouse.parent / "dbt_logs")
    command.env["CLICKSTREAM_RUN_DATE"] = run_date or ""
    command.env["CLICKSTREAM_REPLAY_FROM"] = replay_from or ""
    # the refresh checked the batch's days just before: files landed since are the next batch's
    command.env["CLICKSTREAM_CHECKED_FILES_ONLY"] = "1"
    command.env["CLICKSTREAM_UNREAD_ENTRIES"] = json.dumps(unread or {}, sort_keys=True)
    return command.run(pass_fds=pass_fds)


def pipeline_dirs(paths: PipelinePaths) -> list[Path]:
    """Where a refresh writes: the warehouse's directory (file, dbt's target and logs), the exports."""
    return [paths.warehouse.parent, paths.export_root]


# Tests that each model's column_assertions test runs in one query (tests/generic/column_assertions.sql,
# grouped_test_names()): a refresh leaves their own nodes out of its build, so a small batch does not
# pay dbt's per-node cost for each of them (about 230 of the project's data tests).
GROUPED_TESTS = ("not_null", "accepted_values", "unique", "expression_is_true", "unique_combination_of_columns")
# How a failed column_assertions test's lines count each kind of failure.
FAILURE_UNITS = {
    "accepted_values": "failing value",
    "unique": "duplicated value",
    "unique_combination_of_columns": "duplicated key",
}
# Data tests that a refresh leaves out because running them reads the raw files again: the key
# tests of the view stg_click_events__lines (`make test` runs them, test_model_keys.py).
RAW_FILE_TESTS_TAG = "reads_raw_files"


# A batch whose raw files hold at least this many bytes (about 3M events) is built with one dbt
# thread on DuckDB (batch_threads()).
LARGE_BATCH_BYTES = 1_000_000_000


def batch_threads(
    paths: PipelinePaths, days: list[str], threads: int | None, target: str, large_batch_bytes: int = LARGE_BATCH_BYTES
) -> int | None:
    """The dbt threads of a build of these landing days: --threads when given; else, on DuckDB and
    unless CLICKSTREAM_DBT_THREADS sets the profile's, 1 when the days' raw files hold at least
    large_batch_bytes (else None: the profile's 2). Each DuckDB statement already uses every core;
    two large models built side by side split the cores and the memory limit and spill: with one
    thread a 50M-event full refresh took 855.5 s instead of 1003.7 s, 10M 153.1 s instead of
    168.6 s; at 1M events the two were equal (48.4 s, 47.8 s) and a 1k-event batch is 3 % faster
    with two (docs/benchmark.md)."""
    if threads or target not in DUCKDB_TARGETS or os.environ.get("CLICKSTREAM_DBT_THREADS"):
        return threads
    size = 0
    for entry in file_check.landed_entries(paths.raw_root, days):
        try:
            if entry.is_file():
                size += entry.stat().st_size
        except OSError:  # removed since listed: the file check says so
            continue
    if size < large_batch_bytes:
        return None
    LOG.info("a large batch (%.1f GB of raw files): dbt builds it with one thread", size / 1e9)
    return 1


def run_dbt_build(
    paths: PipelinePaths,
    run_date: str | None,
    full_refresh: bool,
    threads: int | None,
    extra_vars: dict | None = None,
    target: str = "dev",
    skip_tests: bool = False,
    unit_tests: bool = False,
    pass_fds: tuple[int, ...] = (),
    unread: dict[str, int] | None = None,
    replay_from: str | None = None,
    load_seeds: bool = True,
) -> None:
    """Run `dbt build` for one refresh step: models with their data tests, the dbt unit tests only
    when unit_tests (they check the SQL, not the data: dbt advises running them in development and
    CI rather than in every production build), no tests when skip_tests; without load_seeds, no
    seed and none of the seeds' own tests (seed_state.py); raise RefreshError with the failures if
    it fails."""
    arguments = ["build"]
    excluded: list[str] = []
    if skip_tests:
        arguments += ["--exclude-resource-type", "test", "unit_test"]
    else:
        if not unit_tests:
            arguments += ["--exclude-resource-type", "unit_test"]
        excluded += [*(f"test_name:{name}" for name in GROUPED_TESTS), f"tag:{RAW_FILE_TESTS_TAG}"]
    if not load_seeds:
        # cautious: a test leaves with the seeds only when every node it reads is a seed
        arguments += ["--indirect-selection", "cautious"]
        excluded.append("resource_type:seed")
    if excluded:
        arguments += ["--exclude", *excluded]
    if full_refresh:
        arguments.append("--full-refresh")
    if extra_vars:
        arguments += ["--vars", json.dumps(extra_vars, sort_keys=True)]
    if threads:
        arguments += ["--threads", str(threads)]
    target_path = dbt_target_path(paths)
    result = run_dbt(paths, arguments, target, pass_fds, run_date, unread, replay_from)
    output = result.stdout + result.stderr
    if result.returncode != 0 and is_disk_full(output):
        raise RefreshError(disk_full_message("the dbt build", pipeline_dirs(paths)))
    log_path = paths.warehouse.parent / "last_dbt_build.log"
    log_path.write_text(output)
    if result.returncode != 0:
        raise RefreshError(
            describe_dbt_failure(output, log_path, target_path, lambda sql: failing_assertions(paths, target, sql))
        )


def failing_assertions(paths: PipelinePaths, target: str, compiled_sql: str) -> list[tuple]:
    """The rows (assertion, column, test type, failures) of a failed column_assertions test: its compiled SQL
    run again on the warehouse (the refresh still holds the lock, so the rows are the ones dbt saw)."""
    try:
        with open_warehouse(target, paths.warehouse) as wh:
            return wh.query(compiled_sql)
    except Exception as error:  # the failure itself is reported anyway: say why the detail is missing
        LOG.warning("could not list the failing assertions: %s", error)
        return []


def describe_dbt_failure(
    output: str,
    log_path: Path,
    target_path: Path,
    assertions: Callable[[str], list[tuple]] | None = None,
) -> str:
    """The failing nodes and their messages from dbt's run_results.json, or dbt's own output;
    assertions: runs a failed column_assertions test's SQL, to name the grouped tests that failed."""
    lines = node_messages(target_path, ("error", "fail", "runtime error"), assertions)
    if not lines:
        tail = [line for line in output.splitlines() if line.strip()][-15:]
        lines = ["  " + line for line in tail]
    only_tests_failed = all(line.lstrip().startswith(("test.", "unit_test.")) for line in lines) and lines
    if only_tests_failed and not node_messages(target_path, ("skipped",)):
        advice = (
            "Every model of this run is committed, but a data test failed on the data just loaded, so the "
            "landing day stays pending: the next `clickstream refresh` builds it again. Inspect the failing rows "
            "above; for a quality threshold, fix the source or adjust the threshold (dbt vars in dbt_project.yml, "
            "or --vars)."
        )
    else:
        advice = (
            "Every model that finished is committed and the models are written to be re-run: fix the cause "
            "and run the same command again."
        )
    return "dbt build failed:\n" + "\n".join(lines) + f"\nFull dbt output: {log_path}\n" + advice


VAR_REFERENCE = re.compile(r"""var\(\s*['"](\w+)['"]""")


def test_threshold_vars(test_node: dict) -> list[str]:
    """The dbt vars that set a data test's thresholds, from its manifest node: the vars its
    arguments read (`{{ var('quarantine_rate_error') }}`), after the var its config.meta names
    (`threshold_var`, for a threshold set in config such as error_if, which the manifest keeps
    rendered). The first is the test's own threshold."""
    names = [test_node.get("config", {}).get("meta", {}).get("threshold_var")]
    names += VAR_REFERENCE.findall(json.dumps(test_node.get("test_metadata", {}).get("kwargs", {})))
    return list(dict.fromkeys(name for name in names if name))


def looser_value(name: str, value: Any) -> Any:
    """A value of a threshold var that lets more through: half a minimum ratio (`*_ratio`), else
    twice a maximum (rates capped at 1, 0 becomes 1); only an example in a message."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return value
    if name.endswith("_ratio"):
        return value / 2
    looser = value * 2 if value else 1
    return min(looser, 1) if "_rate_" in name else looser


def resume_command(prog: str, argv: list[str], day: str | None, new_vars: dict) -> str:
    """The command to build `day` again (None: a full refresh) with these --vars."""
    words = argv_without(argv, ("--date", "--vars"), ("--full-refresh",))
    mode = ["--date", day] if day else ["--full-refresh"]
    shown = ", ".join(f"{name}: {dbt_vars.shown(value)}" for name, value in new_vars.items())
    return shlex.join([*prog.split(), *words, *mode, "--vars", "{" + shown + "}"])


def failed_threshold_advice(target_path: Path, extra_vars: dict, day: str | None, prog: str, argv: list[str]) -> str:
    """For each error-level data test of the last dbt build that failed: the vars that set its
    threshold with their values now (--vars or dbt_project.yml), and the command that builds the
    day (None: a full refresh) again with a looser one. '' when no such test failed."""
    try:
        results = json.loads((target_path / "run_results.json").read_text())["results"]
        nodes = json.loads((target_path / "manifest.json").read_text())["nodes"]
    except (OSError, ValueError, KeyError):
        return ""
    defaults = dbt_vars.project_defaults()
    lines, looser = [], {}
    for result in results:
        node = nodes.get(result["unique_id"], {})
        names = test_threshold_vars(node) if result["status"] == "fail" else []
        if not names:
            continue
        values = [
            f"{name} = {dbt_vars.shown(extra_vars.get(name, defaults.get(name)))}"
            + (" (--vars)" if name in extra_vars else " (dbt_project.yml)")
            for name in names
        ]
        lines.append(f"  {node.get('name', result['unique_id'])}: var {', '.join(values)}")
        looser.setdefault(names[0], looser_value(names[0], extra_vars.get(names[0], defaults.get(names[0]))))
    if not lines:
        return ""
    where = f"dt={day}" if day else "the full refresh"
    command = resume_command(prog, argv, day, {**extra_vars, **looser})
    return (
        f"\nThreshold of the failed test(s) of {where}:\n" + "\n".join(lines) + "\n"
        f"To accept {where} with another threshold (the value is an example): {command}"
    )


def batch_files_note(landing: processed_files.LandingChanges, days: list[str], full_refresh: bool) -> str:
    """For a failed quality threshold: the files this batch brought to its landing days (the files
    that moved the days' rates, which are judged on each whole landing day), '' for a full refresh."""
    new = [path for path in landing.new if processed_files.landing_day_of(path) in days]
    if full_refresh or not new:
        return ""
    return (
        f"\nThis batch brought {len(new)} new file(s) to {listed_days(days)}: {processed_files.listed(new)} "
        "(rates are judged on each whole landing day, these files and those processed before)."
    )


def node_messages(
    target_path: Path, statuses: tuple[str, ...], assertions: Callable[[str], list[tuple]] | None = None
) -> list[str]:
    """One line per dbt node of the last invocation with one of these statuses, naming where a
    failing test stored its rows; a failed column_assertions test is followed by a line per grouped
    test that failed in it (from `assertions`, which runs the test's compiled SQL)."""
    lines = []
    try:
        results = json.loads((target_path / "run_results.json").read_text())["results"]
    except (OSError, ValueError, KeyError):
        return lines
    for result in results:
        if result["status"] in statuses:
            message = (result.get("message") or "").strip()
            line = f"  {result['unique_id']}: {result['status']}: {message}"
            if result["unique_id"].startswith("test.") and result.get("relation_name"):
                line += f" (failing rows: select * from {result['relation_name']})"
            lines.append(line)
            grouped = result["unique_id"].startswith("test.clickstream.column_assertions_")
            if grouped and result["status"] == "fail" and assertions and result.get("compiled_code"):
                lines += [
                    f"    {name}: {failures} {FAILURE_UNITS.get(test_type, 'failing row')}{'s' if failures != 1 else ''}"
                    + (f" in column {column}" if column else "")
                    for name, column, test_type, failures in assertions(result["compiled_code"])
                ]
    return lines


def read_summary(paths: PipelinePaths, label: str, per_day: dict[str, dict[str, float]], target: str) -> RunSummary:
    """The step's counts (summed over its landing days, from day_counts()) and the sessions it wrote."""
    summary = RunSummary(label)
    for counts in per_day.values():
        for name, value in counts.items():
            if value is not None:
                summary.stats[name] = summary.stats.get(name, 0) + int(value)
    with open_warehouse(target, paths.warehouse) as wh:
        summary.sessions_written = changes.sessions_written(wh)
    return summary


def day_counts(paths: PipelinePaths, days: list[str], full_refresh: bool, target: str) -> dict[str, dict[str, float]]:
    """Per landing day: agg_ingest_daily's counts plus sessions inserted / updated / deleted (a
    full refresh attributes every session to the landing day of its first event). Portable SQL:
    the warehouse is DuckDB or Spark (the days are YYYY-MM-DD strings from the landing zone)."""
    counts: dict[str, dict[str, float]] = {}
    day_list = ", ".join(f"'{day}'" for day in days)
    with open_warehouse(target, paths.warehouse) as wh:
        names, rows = wh.query_with_names(
            f"select cast(dt as string) as landing_day, * from main.agg_ingest_daily where cast(dt as string) in ({day_list})"
        )
        for row in rows:
            counts[row[0]] = {name: value for name, value in zip(names[1:], row[1:]) if name != "dt"}
        if full_refresh:
            for day, inserted in changes.sessions_by_first_day(wh).items():
                counts.setdefault(day, {}).update(sessions_inserted=inserted, sessions_updated=0, sessions_deleted=0)
        elif len(days) == 1:
            sessions = changes.session_changes(wh)
            counts.setdefault(days[0], {}).update(
                sessions_inserted=sessions.inserted,
                sessions_updated=sessions.updated,
                sessions_deleted=sessions.deleted,
            )
    return counts


def refresh_step(
    paths: PipelinePaths,
    audit: RunAudit,
    label: str,
    days: list[str],
    run_date: str | None,
    full_refresh: bool,
    threads: int | None,
    skip_export: bool,
    extra_vars: dict,
    target: str = "dev",
    skip_tests: bool = False,
    unit_tests: bool = False,
    pass_fds: tuple[int, ...] = (),
    unread: list[UnreadEntry] | None = None,
    replay_from: str | None = None,
) -> RunSummary:
    """One dbt build plus its export, recorded in the run audit; returns its summary. unread: the
    landing zone's unread entries (paths.unread_entries()), counted in agg_ingest_daily per day;
    replay_from: the first of `days`, which replace every landing day from it on although some are
    processed already (replay_from())."""
    started = time.monotonic()
    file_check.ensure_checked(paths, days)  # file-level quarantine: dbt reads only checked files
    counts = {day: count for day, count in unread_counts(unread or []).items() if day in days}
    seeds = seed_state.seed_fingerprint()
    load_seeds = full_refresh or not seed_state.seeds_current(paths, target, seeds)
    if load_seeds:
        seed_state.forget_seed_load(paths, target)
    else:
        LOG.info("the seeds are unchanged since their last load: the build leaves them out")
    try:
        run_dbt_build(
            paths,
            run_date,
            full_refresh,
            batch_threads(paths, days, threads, target),
            extra_vars,
            target,
            skip_tests,
            unit_tests,
            pass_fds,
            counts,
            replay_from,
            load_seeds,
        )
        if load_seeds:
            seed_state.record_seed_load(paths, target, seeds, audit.run_id)
    finally:
        audit.record_dbt_invocation(dbt_target_path(paths) / "run_results.json", f"dbt build {label}")
    per_day = day_counts(paths, days, full_refresh, target)
    summary = read_summary(paths, label, per_day, target)
    summary.dbt_seconds = time.monotonic() - started
    summary.warnings = node_messages(dbt_target_path(paths), ("warn",))
    summary.warnings += file_check.quarantine_warnings(paths, days)
    if not skip_export:
        export_started = time.monotonic()
        counts = export_parquet.export(paths, rewrite_all=full_refresh, target=target)
        summary.export_seconds = time.monotonic() - export_started
        summary.partitions_written = counts["partitions_written"]
        audit.record_step(
            f"export {label}",
            "success",
            summary.export_seconds,
            f"{counts['partitions_written']} partitions written, {counts['partitions_removed']} removed",
        )
    for day, counts in per_day.items():
        single = len(days) == 1
        audit.record_day(
            day,
            {
                **counts,
                "export_partitions_written": summary.partitions_written if single else None,
                "dbt_seconds": summary.dbt_seconds if single else None,
                "export_seconds": summary.export_seconds if single else None,
            },
        )
    summary.seconds = time.monotonic() - started
    return summary


def finish_exports(paths: PipelinePaths, audit: RunAudit, target: str) -> None:
    """With no landing day to process, still bring the exports up to what the warehouse holds:
    an earlier run may have been stopped between its build and its export (or during it)."""
    if target == "dev" and not paths.warehouse.exists():
        return
    started = time.monotonic()
    counts = export_parquet.export(paths, target=target)
    if counts["partitions_written"] or counts["partitions_removed"]:
        seconds = time.monotonic() - started
        message = f"{counts['partitions_written']} partitions written, {counts['partitions_removed']} removed"
        audit.record_step("export (left by an earlier run)", "success", seconds, message)
        print(f"Exported what an earlier run left: {message}.", flush=True)


def landing_freshness(paths: PipelinePaths, extra_vars: dict | None = None) -> dict:
    """What `dbt source freshness` says of the landing zone: {source: {status, age_hours,
    max_loaded_at}}, or {} when nothing has landed. The same rule as the source raw.click_events
    (_click_events__sources.yml): the age of the newest landed raw file (paths.raw_files(): not
    a lander's temporary file, nor one the refresh does not read), against the vars
    raw_freshness_warn_after_hours and raw_freshness_error_after_hours (--vars, else
    dbt_project.yml); older than a limit is past it, as dbt decides. Computed here, not by a
    dbt process beside each refresh: that process cost about 4 CPU-seconds for a few file stats
    (test_observability.py checks that the two agree)."""
    settings = dbt_vars.run_vars(extra_vars)
    times = [path.stat().st_mtime for path in raw_files(paths.raw_root)]
    if not times:
        return {}
    newest = max(times)
    age = max(0.0, time.time() - newest)
    status = (
        "error"
        if age > int(settings["raw_freshness_error_after_hours"]) * 3600
        else "warn"
        if age > int(settings["raw_freshness_warn_after_hours"]) * 3600
        else "pass"
    )
    loaded_at = datetime.fromtimestamp(newest, tz=UTC).isoformat()
    return {"raw.click_events": {"status": status, "age_hours": round(age / 3600, 2), "max_loaded_at": loaded_at}}


def print_freshness(freshness: dict) -> None:
    """One line: each source's freshness status and the age of its newest landed file."""
    parts = [
        f"{name} {info['status']}"
        + (
            f" (newest landed file {human_duration(info['age_hours'] * 3600)} old)"
            if info["age_hours"] is not None
            else ""
        )
        for name, info in freshness.items()
    ]
    print("freshness: " + "; ".join(parts))


class RefusedRequest(ValueError):
    """The options ask for what a refresh refuses (exit code 2), found before anything runs; the
    message says what to run instead."""


def command_instead(prog: str, argv: list[str], *options: str) -> str:
    """The command the user ran without its --date (and its value), plus `options`: the exact
    command to run instead of a refused one."""
    return shlex.join([*prog.split(), *argv_without(argv, ("--date",)), *options])


def argv_without(argv: list[str], valued: tuple[str, ...], flags: tuple[str, ...] = ()) -> list[str]:
    """argv less the options `valued` (with their value, given as `--opt V` or `--opt=V`) and the
    flags `flags`: what command_instead() and resume_command() keep of the user's command."""
    words, skip = [], False
    for word in argv:
        if skip:
            skip = False
        elif word in valued:
            skip = True
        elif not word.startswith(tuple(f"{option}=" for option in valued)) and word not in flags:
            words.append(word)
    return words


def listed_days(days: list[str]) -> str:
    """'2024-03-01, 2024-03-02' or, for many days, '2024-03-01 .. 2024-03-09 (9 days)'."""
    return ", ".join(days) if len(days) <= 3 else f"{days[0]} .. {days[-1]} ({len(days)} days)"


def check_landed(paths: PipelinePaths, landed: list[str], run_date: str | None) -> None:
    """RefusedRequest when there is nothing landed, or no landed file for --date (the landing zone
    alone tells: checked before the lock is taken)."""
    where = f"{paths.raw_root}/click_events/"
    if not landed:
        raise RefusedRequest(
            f"No landed raw files under {where}dt=YYYY-MM-DD/. Land data first (`clickstream generate`) "
            "or point --raw-root (or $CLICKSTREAM_RAW_ROOT) at the landing zone."
        )
    if run_date is not None and run_date not in landed:
        raise RefusedRequest(
            f"No landed files for dt={run_date} under {where} (landed days: {listed_days(landed)}). "
            "Pass a landed day, land this one first, or point --raw-root (or $CLICKSTREAM_RAW_ROOT) at "
            "the landing zone that holds it."
        )


def check_order(landed: list[str], processed: list[str], run_date: str | None, prog: str, argv: list[str]) -> None:
    """RefusedRequest when --date would break the landing order that "the first landed copy of an
    event wins" relies on: --date earlier than the last processed day, or --date while an earlier
    landed day is pending. (Without --date, a day that landed late is replayed: plan().) The same
    rules as the macro refresh_batch_files(), which stays as plain dbt's check; here they are
    checked before dbt starts, with the command to run instead."""
    if run_date is None:
        return
    last = processed[-1] if processed else None
    if last is not None and run_date < last:
        raise RefusedRequest(
            f"dt={run_date} is earlier than the last processed landing day {last}: reprocessing it alone "
            "could change which copy of an event landed first and leave later days inconsistent. "
            f"For files that landed late for it, refresh without --date: {command_instead(prog, argv)} (it "
            f"processes that day and every later one again). Rebuild everything from raw instead: "
            f"{command_instead(prog, argv, '--full-refresh')}"
        )
    done = set(processed)
    earlier = [day for day in landed if day not in done and day < run_date]
    if earlier:
        raise RefusedRequest(
            f"Landed day(s) {listed_days(earlier)} before dt={run_date} are not processed yet; days are "
            f"processed in landing order. Process every pending day in order first: {command_instead(prog, argv)}"
        )


def check_landing_changes(
    landing: processed_files.LandingChanges, replay_first: str | None, prog: str, argv: list[str]
) -> None:
    """RefusedRequest when a processed landed file changed (landed files are immutable), or when a
    processed file of a landing day that this refresh replaces is gone (replay_first: the first day
    of a replay, replay_from()): replacing its day would drop that file's rows."""
    full_refresh = command_instead(prog, argv, "--full-refresh")
    if landing.changed:
        raise RefusedRequest(
            f"Landed files never change, but {len(landing.changed)} processed file(s) did: "
            f"{processed_files.listed(landing.changed)}. Put each back as it was processed (its size and "
            "SHA-256 are in audit.processed_files) and land new content under a new name; or rebuild "
            f"everything from the files as they are now: {full_refresh}"
        )
    gone = [path for path in landing.missing if replay_first and processed_files.landing_day_of(path) >= replay_first]
    if gone:
        raise RefusedRequest(
            f"Files landed late, so this refresh would process every landing day from {replay_first} on again, but "
            f"{len(gone)} processed file(s) of those days are no longer in the landing zone: "
            f"{processed_files.listed(gone)}; processing their days again would drop their rows. Put them back, "
            f"or rebuild everything from the files as they are now: {full_refresh}"
        )


# Columns added to a mart after warehouses were built with it (marts are on_schema_change: fail):
# such a warehouse needs one full refresh, which the refresh says before dbt starts.
ADDED_COLUMNS = {"agg_ingest_daily": ("unread_entries",)}


def check_upgraded(paths: PipelinePaths, target: str, prog: str, argv: list[str]) -> None:
    """RefusedRequest when a mart of this warehouse lacks a column that this version adds (the
    daily build would fail on the schema change): run one full refresh."""
    with open_warehouse(target, paths.warehouse) as wh:
        for table, columns in ADDED_COLUMNS.items():
            names, _ = wh.query_with_names(f"select * from main.{table} where 1 = 0")
            missing = [column for column in columns if column not in names]
            if missing:
                raise RefusedRequest(
                    f"This warehouse was built before main.{table} had the column(s) {', '.join(missing)} "
                    "(the marts refuse a schema change): rebuild it once from raw: "
                    f"{command_instead(prog, argv, '--full-refresh')}"
                )


def check_failed_full_refresh(failed: dict[str, FailedBuild], prog: str, argv: list[str]) -> None:
    """RefusedRequest when the latest build was a full refresh that failed: its tables hold every
    landed day, so no day can be built alone before a full refresh succeeds."""
    runs = {build.run_id: build for build in failed.values() if build.mode == "full_refresh"}
    if runs:
        build = next(iter(runs.values()))
        raise RefusedRequest(
            f"The last full refresh (run {build.run_id}) failed ({', '.join(build.failing_nodes)}): every landed "
            f"day stays pending until a full refresh succeeds. Run it again: {command_instead(prog, argv, '--full-refresh')} "
            "(with --vars to change a threshold)"
        )


def plan(
    landed: list[str],
    processed: list[str],
    run_date: str | None,
    full_refresh: bool,
    new_file_days: list[str] | None = None,
) -> list[str]:
    """The landing days to process, in order, one step each (full refresh: all days in one step):
    the days not processed yet, and the processed days that new files landed for. A refresh keeps
    "the first landed copy of an event wins" as a full refresh would decide it, so from the first
    day it processes, it processes every later landed day again too (a replay: replay_from())."""
    if full_refresh:
        return landed
    if run_date is not None:
        return [run_date]
    done = set(processed)
    due = {day for day in new_file_days or [] if day in done} | {day for day in landed if day not in done}
    if not due:
        return []
    return [day for day in landed if day >= min(due)]


def replay_from(days: list[str], processed: list[str]) -> str | None:
    """The first of plan()'s days when it is earlier than the last processed day, else None. Such
    days are processed in one step, a replay (environment CLICKSTREAM_REPLAY_FROM): one dbt build
    replaces every landing day from the first on, so its data tests see the days consistent (a step
    per day would leave the later days' sessions half removed while the first day is tested)."""
    return days[0] if days and processed and days[0] < processed[-1] else None


def closed_days(records: dict | None, processed: list[str], extra_vars: dict | None) -> list[str]:
    """[the last processed day] when it was last processed while still landing and is complete now
    (processed_files.closed_since_processed(), with var landing_day_grace_minutes), else []: plan()
    builds it once more, so that the error-level quality thresholds judge the complete day."""
    if not processed:
        return []
    grace = int(dbt_vars.run_vars(extra_vars)["landing_day_grace_minutes"])
    return [processed[-1]] if processed_files.closed_since_processed(records, processed[-1], grace) else []


def landing_work(
    paths: PipelinePaths, processed: list[str], extra_vars: dict | None
) -> tuple[processed_files.LandingChanges, list[str]]:
    """The landing zone against the record of processed files, and the closed day (closed_days()):
    what a plain refresh (and each tick of --follow) decides its processed days to reopen from."""
    records = processed_files.processed_files(paths.warehouse)
    landing = processed_files.compare(paths.raw_root, records, processed)
    return landing, closed_days(records, processed, extra_vars)


def has_work(paths: PipelinePaths, target: str, extra_vars: dict | None = None) -> bool:
    """Whether a plain refresh would do something now (what `--follow` checks at each tick): a day
    plan() would process, or a processed file that changed (the refresh then refuses, naming it)."""
    processed = processed_days(paths, target)
    landing, closed = landing_work(paths, processed, extra_vars)
    return bool(
        landing.changed or plan(landed_days(paths.raw_root), processed, None, False, landing.new_days() + closed)
    )


def build_parser(prog: str = "clickstream refresh") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Refresh the clickstream warehouse from raw files (dbt build with models and tests), "
            "then export changed Parquet partitions and print a summary per day. Without options, "
            "processes every landed file not processed yet: the days not processed yet, in order, and "
            "the last processed day again if new files landed for it. A processed file that changed "
            "is refused (landed files are immutable)."
        ),
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--date",
        type=date_arg,
        metavar="YYYY-MM-DD",
        help="(re)process this one landing day; refused if it is earlier than the last processed day "
        "or an earlier landed day is not processed yet",
    )
    mode.add_argument(
        "--full-refresh", action="store_true", help="rebuild every table from raw and rewrite every export partition"
    )
    mode.add_argument(
        "--follow",
        action="store_true",
        help="keep running: every --every, refresh when new files have landed (and not otherwise); "
        "SIGTERM or Ctrl-C stops (docs/operations.md)",
    )
    parser.add_argument(
        "--every",
        type=seconds_arg,
        metavar="DURATION",
        help="with --follow: how often to look for new files, e.g. 30s, 5m (default: 60s)",
    )
    add_path_options(
        parser,
        raw_root="raw landing zone",
        warehouse="DuckDB warehouse file; with --target spark_cluster it holds only the run audit (the tables "
        "are on the cluster)",
        export_root="Parquet export root",
    )
    parser.add_argument(
        "--target",
        default=os.environ.get("CLICKSTREAM_DBT_TARGET", "dev"),
        choices=TARGETS,
        help="dbt target (profiles.yml): dev = DuckDB (default, or $CLICKSTREAM_DBT_TARGET); spark_cluster = the "
        "local Spark cluster's Thrift server (start it with `clickstream spark start`; docs/spark.md)",
    )
    parser.add_argument(
        "--threads",
        type=int_at_least(1),
        help="dbt threads (default: profiles.yml's 2, or $CLICKSTREAM_DBT_THREADS; on DuckDB 1 for a batch "
        "whose raw files hold 1 GB or more: each statement already uses every core)",
    )
    tests = parser.add_mutually_exclusive_group()
    tests.add_argument(
        "--skip-tests",
        action="store_true",
        help="build the models without running their data and unit tests (faster, e.g. on a slow engine; "
        "quality is then not checked: run `dbt test` afterwards)",
    )
    tests.add_argument(
        "--unit-tests",
        action="store_true",
        help="also run the dbt unit tests (fixed inputs, they check the models' SQL, not the data). By default "
        "a refresh runs the data tests only, as dbt advises for production builds; `make test` runs the "
        "unit tests",
    )
    parser.add_argument(
        "--skip-export",
        action="store_true",
        help="do not write Parquet exports (export later with `clickstream export`)",
    )
    parser.add_argument(
        "--skip-freshness",
        action="store_true",
        help="do not judge the landing zone's freshness (by default the refresh applies the rule of `dbt source "
        "freshness` to the newest landed file and prints the result at the end)",
    )
    parser.add_argument(
        "--vars",
        type=dbt_vars.refresh_vars_arg,
        default="{}",
        metavar="YAML",
        help="extra dbt vars as a YAML/JSON mapping, e.g. '{session_timeout_minutes: 45, quality_min_lines: 1}', "
        "each checked against its type and range (README, Configuration) before dbt starts "
        "(a full refresh is needed for a changed rule to apply to history)",
    )
    parser.add_argument(
        "--strict-landing-zone",
        action="store_true",
        help="exit 2 before anything runs when an entry under the raw root will not be read (wrong extension "
        "or case, wrong folder level, no dt= or a bad date); by default such entries are listed as a warning "
        "and counted in agg_ingest_daily.unread_entries",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    return parser


def main(argv: list[str] | None = None, prog: str = "clickstream refresh", lock: WarehouseLock | None = None) -> int:
    """Run a refresh. It holds the warehouse lock (clickstream/pipeline/lock.py) from before it opens
    anything to its end: `lock` when the caller holds it already (`clickstream sample`), else taken
    here; when another command holds it, this exits 2 at once with who holds it and what to do."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(prog).parse_args(argv)  # --date, --vars, --threads: checked by their types
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    paths = PipelinePaths.resolve(args.raw_root, args.warehouse, args.export_root)
    run_date = args.date.isoformat() if args.date else None
    extra_vars = args.vars
    # Every option is checked before the lock is taken and anything is opened or written.
    try:
        if args.every is not None and not args.follow:
            raise RefusedRequest("--every sets how often --follow looks for new files: add --follow, or drop --every.")
        problems = path_problems(paths, "raw_root", "warehouse", "export_root")
        if problems:
            raise RefusedRequest("; ".join(problems) + ".")
        if args.follow:
            paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
            once = argv_without(argv, ("--every",), ("--follow",))
            return follow.follow(
                paths,
                args.every or 60.0,
                work_waiting=lambda: has_work(paths, args.target, extra_vars),
                run_refresh=lambda: main(once, prog, lock),
            )
        landed = landed_days(paths.raw_root)
        unread = unread_entries(paths.raw_root)
        if unread and args.strict_landing_zone:
            raise RefusedRequest(f"(--strict-landing-zone) {unread_summary(paths.raw_root, unread)}")
        check_landed(paths, landed, run_date)
    except RefusedRequest as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    own_lock = None
    if lock is None:
        try:
            lock = own_lock = WarehouseLock(paths.warehouse, prog).acquire()
        except WarehouseLocked as busy:
            print(f"error: {busy}", file=sys.stderr)
            return 2
    # Then, holding the lock, the order of days against the processed ones (read-only), before
    # the run is recorded or dbt starts: a refused day exits 2 at once, naming what to run instead.
    try:
        processed = [] if args.full_refresh else processed_days(paths, args.target)
        failed = {} if args.full_refresh else failed_builds(paths)
        if processed:
            check_upgraded(paths, args.target, prog, argv)
        check_failed_full_refresh(failed, prog, argv)
        check_order(landed, processed, run_date, prog, argv)
        landing = processed_files.LandingChanges()
        closed: list[str] = []
        if not args.full_refresh:
            landing, closed = landing_work(paths, processed, extra_vars)
        days = plan(landed, processed, run_date, args.full_refresh, landing.new_days() + closed)
        replayed = replay_from(days, processed)
        check_landing_changes(landing, replayed, prog, argv)
    except (RefusedRequest, WarehouseUnavailable, duckdb.Error) as error:
        if own_lock is not None:
            own_lock.release()
        if isinstance(error, duckdb.Error):
            error = RefusedRequest(
                f"cannot read the warehouse {paths.warehouse} ({str(error).splitlines()[0]}): point --warehouse "
                "(or $CLICKSTREAM_WAREHOUSE) at the clickstream warehouse, or at a new file to create one."
            )
        print(f"error: {error}", file=sys.stderr)
        return 1 if isinstance(error, WarehouseUnavailable) and not isinstance(error, WarehouseBusy) else 2
    mode = "full_refresh" if args.full_refresh else ("date" if run_date else "pending_days")
    audit = RunAudit(paths.warehouse, uuid.uuid4().hex, mode, PROJECT_ROOT)
    status, error_message, freshness = "success", None, None
    exit_code = 1
    restore_sigterm = stop_on_sigterm()  # `kill PID` stops the dbt child too, and records the run
    try:
        audit.start([])
        audit.set_landing_days(days)
        if closed and not run_date and closed[0] in days and closed[0] not in landing.new_days():
            print(
                f"dt={closed[0]} was last processed while it was still landing and is complete now: building it once "
                "more, so that its error-level quality thresholds judge the complete day.",
                flush=True,
            )
        if replayed is not None:
            late = [path for path in landing.new if processed_files.landing_day_of(path) == replayed]
            print(
                (
                    f"{len(late)} file(s) landed for the processed day dt={replayed} since: {processed_files.listed(late)}"
                    if replayed in processed
                    else f"dt={replayed} landed after later days were processed"
                )
                + f". Processing landing days {listed_days(days)} again in one batch, so that the first landed copy "
                "of an event and every session are what a full refresh would decide.",
                flush=True,
            )
        if landing.missing:
            print(
                f"warning: {len(landing.missing)} processed file(s) are no longer in the landing zone: "
                f"{processed_files.listed(landing.missing)}. Their rows stay; a full refresh from raw would "
                "lose them.",
                flush=True,
            )
        if unread:  # before dbt starts; every entry in the audit, a few per reason on screen
            print(f"warning: {unread_summary(paths.raw_root, unread)}", flush=True)
            listing = "\n".join(f"{entry.path} ({entry.reason})" for entry in unread)
            audit.record_step("landing zone", "warn", 0.0, f"{len(unread)} unread entries:\n{listing}")
        if not days:
            status = "nothing_to_do"
            print(f"Nothing to do: every landed file under {paths.raw_root} is processed.")
            if not args.skip_export:
                finish_exports(paths, audit, args.target)
        elif args.full_refresh:
            steps = [(f"full refresh ({days[0]} .. {days[-1]}, {len(days)} days)", days, None)]
        elif replayed is not None:
            steps = [(f"replay ({listed_days(days)})", days, None)]
        else:
            steps = [(f"dt={day}", [day], day) for day in days]
        for label, step_days, run_date in steps if days else []:
            LOG.info("refreshing %s", label)
            if run_date in failed:
                print(
                    f"dt={run_date} is pending: its last build (run {failed[run_date].run_id}) failed "
                    f"{', '.join(failed[run_date].failing_nodes)}; building it again.",
                    flush=True,
                )
            try:
                summary = refresh_step(
                    paths,
                    audit,
                    label,
                    step_days,
                    run_date,
                    args.full_refresh,
                    args.threads,
                    args.skip_export,
                    extra_vars,
                    args.target,
                    args.skip_tests,
                    args.unit_tests,
                    pass_fds=lock.pass_fds(),
                    unread=unread,
                    replay_from=replayed,
                )
            except RefreshError as error:
                advice = failed_threshold_advice(dbt_target_path(paths), extra_vars, run_date, prog, argv)
                if advice:
                    advice += batch_files_note(landing, step_days, args.full_refresh)
                raise RefreshError(f"{error}{advice}") from error
            processed_files.record_batch(paths, args.target, audit.run_id, args.full_refresh)
            print(summary.render(), flush=True)
            if summary.warnings:
                print("quality warnings:\n" + "\n".join(summary.warnings), flush=True)
            if not args.skip_export and args.target == "dev":
                refresh_snapshot(paths.warehouse)  # what `clickstream report` reads during the next step
        if not args.skip_freshness:
            freshness = landing_freshness(paths, extra_vars)
            if freshness:
                print_freshness(freshness)
    except (RefreshError, WarehouseUnavailable, ContractError) as error:
        status, error_message = "failed", str(error)
        conflict = duckdb_lock_conflict(str(error)) if isinstance(error, RefreshError) else None
        if conflict:  # dbt could not open the warehouse: another process has the file open
            error = WarehouseBusy(paths.warehouse, *conflict)
        exit_code = 2 if isinstance(error, WarehouseBusy) else 1
        print(f"error: {error}", file=sys.stderr)
    except StopRequested as error:
        status, error_message, exit_code = INTERRUPTED, str(error), 128 + signal.SIGTERM
        print(f"error: refresh {error}; {RESUME_ADVICE}.", file=sys.stderr)
    except (OSError, duckdb.Error) as error:
        if not is_disk_full(error):
            status, error_message = "failed", f"{type(error).__name__}: {error}"
            raise
        status, error_message, exit_code = "failed", disk_full_message(f"{error}", pipeline_dirs(paths)), 1
        print(f"error: {error_message}", file=sys.stderr)
    except BaseException as error:  # recorded, then re-raised: a crash is still a failed run
        status, error_message = "failed", f"{type(error).__name__}: {error}"
        raise
    finally:
        restore_sigterm()
        try:
            try:
                audit.finish(status, error_message, freshness)
            except WarehouseBusy as error:
                status, exit_code = "failed", 2
                print(f"error: the end of run {audit.run_id} is not recorded: {error}", file=sys.stderr)
            except (OSError, duckdb.Error) as error:
                if not is_disk_full(error):
                    raise
                print("warning: the disk is full, so this run is not recorded in audit.refresh_runs", file=sys.stderr)
            if status in ("success", "nothing_to_do") and not args.skip_export and args.target == "dev":
                refresh_snapshot(paths.warehouse)
        finally:
            if own_lock is not None:
                own_lock.release()
    if status in ("failed", INTERRUPTED):
        return exit_code
    print(
        f"Done in {time.monotonic() - started:.1f} s (run {audit.run_id}). Warehouse: {paths.warehouse}; "
        f"exports: {paths.export_root}; audit: audit.refresh_runs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
