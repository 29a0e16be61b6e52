"""Refresh the clickstream warehouse from the raw landing zone, then export Parquet.

Modes:
- no option: process every landed day (``dt=``) not processed yet, one day at a time, in order;
- ``--date D``: (re)process landing day D; it must not be earlier than the last processed day
  (use ``--full-refresh`` for that) and every earlier landed day must be processed;
- ``--full-refresh``: rebuild every table from raw, in one run, then rewrite every export.

Each day runs ``dbt build`` (models and their tests) with ``run_date`` set, exports the Parquet
partitions that changed and prints a summary (lines read, blank, quarantined by reason,
duplicates, valid events, sessions written, seconds). A failed run exits non-zero; every model
commits on its own and is written so that re-running the same command finishes the job with
exactly the result an uninterrupted run gives.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
import export_parquet  # noqa: E402
from pipeline_paths import PROJECT_ROOT, PipelinePaths, landed_days  # noqa: E402

LOG = logging.getLogger("clickstream.refresh")
REASONS = (
    "invalid_encoding", "malformed_json", "invalid_field", "invalid_timestamp",
    "unknown_event_type", "future_event", "too_late",
)


@dataclass
class RunSummary:
    """What one refresh step read and wrote."""

    label: str
    seconds: float = 0.0
    stats: dict[str, int] = field(default_factory=dict)
    sessions_written: int = 0
    partitions_written: int = 0

    def render(self) -> str:
        s = self.stats
        reasons = ", ".join(f"{r} {s.get(r + '_lines', 0)}" for r in REASONS if s.get(r + "_lines", 0))
        return (
            f"{self.label}: lines read {s.get('lines_read', 0)} | blank {s.get('blank_lines', 0)} | "
            f"quarantined {s.get('quarantined_lines', 0)}" + (f" ({reasons})" if reasons else "")
            + f" | duplicates {s.get('duplicate_lines', 0)} | valid events {s.get('valid_events', 0)}"
            f" | sessions written {self.sessions_written} | export partitions {self.partitions_written}"
            f" | {self.seconds:.1f} s"
        )


class RefreshError(RuntimeError):
    """A refresh step failed; the message says what and what to do."""


def processed_days(warehouse: Path) -> list[str]:
    """Landing days already processed (agg_ingest_daily), or [] for a new warehouse."""
    if not warehouse.exists():
        return []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        exists = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'main' and table_name = 'agg_ingest_daily'"
        ).fetchone()[0]
        if not exists:
            return []
        rows = con.execute("select strftime(dt, '%Y-%m-%d') from main.agg_ingest_daily order by dt").fetchall()
    return [r[0] for r in rows]


def dbt_executable() -> str:
    """The dbt next to this Python (the project's .venv), else dbt on PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt_build(paths: PipelinePaths, run_date: str | None, full_refresh: bool, threads: int | None) -> None:
    """Run `dbt build` for one refresh step; raise RefreshError with the failures if it fails."""
    target_path = dbt_target_path(paths)
    command = [
        dbt_executable(), "build", "--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT),
        "--target-path", str(target_path), "--log-path", str(paths.warehouse.parent / "dbt_logs"),
    ]
    if full_refresh:
        command.append("--full-refresh")
    if run_date:
        command += ["--vars", json.dumps({"run_date": run_date})]
    if threads:
        command += ["--threads", str(threads)]
    env = {**os.environ, **paths.environment(), "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    LOG.info("running: %s", " ".join(command))
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    log_path = paths.warehouse.parent / "last_dbt_build.log"
    log_path.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise RefreshError(describe_dbt_failure(result.stdout + result.stderr, log_path, target_path))


def dbt_target_path(paths: PipelinePaths) -> Path:
    """dbt's target directory for this warehouse (next to it), so runs against different
    warehouses never share compiled files or run results."""
    return paths.warehouse.parent / "dbt_target"


def describe_dbt_failure(output: str, log_path: Path, target_path: Path) -> str:
    """The failing nodes and their messages from dbt's run_results.json, or dbt's own output."""
    results_path = target_path / "run_results.json"
    lines = []
    try:
        results = json.loads(results_path.read_text())["results"]
        for result in results:
            if result["status"] in ("error", "fail", "runtime error"):
                message = (result.get("message") or "").strip()
                lines.append(f"  {result['unique_id']}: {result['status']}: {message}")
    except (OSError, ValueError, KeyError):
        pass
    if not lines:
        tail = [line for line in output.splitlines() if line.strip()][-15:]
        lines = ["  " + line for line in tail]
    return (
        "dbt build failed:\n" + "\n".join(lines)
        + f"\nFull dbt output: {log_path}\n"
        "Every model that finished is committed and the models are written to be re-run: fix the "
        "cause and run the same command again."
    )


def read_summary(paths: PipelinePaths, label: str, days: list[str]) -> RunSummary:
    """Counts for the processed days and the sessions the run wrote."""
    summary = RunSummary(label)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        placeholders = ", ".join("?" for _ in days) or "null"
        cursor = con.execute(
            f"select * exclude (dt) from main.agg_ingest_daily where strftime(dt, '%Y-%m-%d') in ({placeholders})",
            days,
        )
        names = [d[0] for d in cursor.description]
        for row in cursor.fetchall():
            for name, value in zip(names, row):
                summary.stats[name] = summary.stats.get(name, 0) + int(value)
        summary.sessions_written = con.execute("select count(*) from intermediate.int_sessions_rebuilt").fetchone()[0]
    return summary


def refresh_step(paths: PipelinePaths, label: str, days: list[str], run_date: str | None,
                 full_refresh: bool, threads: int | None, skip_export: bool) -> RunSummary:
    """One dbt build plus its export; returns its summary."""
    started = time.monotonic()
    run_dbt_build(paths, run_date, full_refresh, threads)
    summary = read_summary(paths, label, days)
    if not skip_export:
        counts = export_parquet.export(paths, rewrite_all=full_refresh)
        summary.partitions_written = counts["partitions_written"]
    summary.seconds = time.monotonic() - started
    return summary


def plan(paths: PipelinePaths, date: str | None, full_refresh: bool) -> list[str]:
    """The landing days to process, one step each (full refresh: all days in one step)."""
    landed = landed_days(paths.raw_root)
    if not landed:
        raise RefreshError(
            f"No landed raw files under {paths.raw_root}/click_events/dt=YYYY-MM-DD/. Land data first "
            "(scripts/generate_events.py) or point CLICKSTREAM_RAW_ROOT / --raw-root at the landing zone."
        )
    if full_refresh:
        return landed
    if date:
        if date not in landed:
            raise RefreshError(f"No landed files for dt={date} under {paths.raw_root}/click_events/.")
        return [date]
    done = set(processed_days(paths.warehouse))
    return [day for day in landed if day not in done]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=(
            "Refresh the clickstream warehouse from raw files (dbt build with models and tests), "
            "then export changed Parquet partitions and print a summary per day. Without options, "
            "processes every landed day not processed yet, in order."
        )
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--date", metavar="YYYY-MM-DD", help="(re)process this one landing day; refused if it is earlier than the last processed day")
    mode.add_argument("--full-refresh", action="store_true", help="rebuild every table from raw and rewrite every export partition")
    parser.add_argument("--raw-root", help="raw landing zone (default: $CLICKSTREAM_RAW_ROOT or data/raw)")
    parser.add_argument("--warehouse", help="DuckDB warehouse file (default: $CLICKSTREAM_WAREHOUSE or data/warehouse/clickstream.duckdb)")
    parser.add_argument("--export-root", help="Parquet export root (default: $CLICKSTREAM_EXPORT_ROOT or data/exports)")
    parser.add_argument("--threads", type=int, help="dbt threads (default: profiles.yml, 2)")
    parser.add_argument("--skip-export", action="store_true", help="do not write Parquet exports (export later with scripts/export_parquet.py)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    paths = PipelinePaths.resolve(args.raw_root, args.warehouse, args.export_root)
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        days = plan(paths, args.date, args.full_refresh)
        if not days:
            print(f"Nothing to do: every landed day under {paths.raw_root} is processed.")
            return 0
        if args.full_refresh:
            steps = [(f"full refresh ({days[0]} .. {days[-1]}, {len(days)} days)", days, None)]
        else:
            steps = [(f"dt={day}", [day], day) for day in days]
        for label, step_days, run_date in steps:
            LOG.info("refreshing %s", label)
            summary = refresh_step(paths, label, step_days, run_date, args.full_refresh, args.threads, args.skip_export)
            print(summary.render(), flush=True)
    except RefreshError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"Done in {time.monotonic() - started:.1f} s. Warehouse: {paths.warehouse}; "
        f"exports: {paths.export_root}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
