"""Benchmark the same refresh on DuckDB and on the local Spark cluster (docs/spark.md).

Generates a landing zone (`clickstream generate`), then times `clickstream refresh` on it with
the DuckDB target and with ``--target spark_cluster``: a full refresh, then one more landing day
refreshed on its own (the daily cost). Prints a table and writes JSON. The cluster must be running
(``clickstream spark start``); its Thrift port is $CLICKSTREAM_SPARK_THRIFT_PORT (default
10000). Both engines build every model and run every data test; exports are skipped (they are
the same work on both: one file per changed partition).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

LOG = logging.getLogger("clickstream.benchmark_engines")
TARGETS = ("dev", "spark_cluster")


def generate(raw_root: Path, start: date, days: int, events_per_day: int, seed: int) -> int:
    """Land `days` days of events; returns the number of raw lines written."""
    manifest = raw_root.parent / f"manifest-{start.isoformat()}.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "clickstream",
            "generate",
            "--start-date",
            start.isoformat(),
            "--days",
            str(days),
            "--events-per-day",
            str(events_per_day),
            "--seed",
            str(seed),
            "--raw-root",
            str(raw_root),
            "--manifest",
            str(manifest),
            "--quiet",
        ],
        check=True,
    )
    return int(json.loads(manifest.read_text())["totals"]["lines"])


def timed_refresh(target: str, raw_root: Path, work: Path, *args: str) -> float:
    """Seconds of one `clickstream refresh` run (it must succeed)."""
    command = [
        sys.executable,
        "-m",
        "clickstream",
        "refresh",
        "--target",
        target,
        "--raw-root",
        str(raw_root),
        "--warehouse",
        str(work / target / "clickstream.duckdb"),
        "--export-root",
        str(work / target / "exports"),
        "--skip-export",
        "--skip-freshness",
        *args,
    ]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"refresh on {target} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    LOG.info("%s %s: %.1f s", target, " ".join(args) or "daily", seconds)
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=2, help="landing days of the full refresh (default: 2)")
    parser.add_argument("--events-per-day", type=int, default=100_000, help="valid events per day (default: 100000)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default: 42)")
    parser.add_argument(
        "--work-dir", type=Path, help="where the landing zone and warehouses go (default: a temporary directory)"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="clickstream-engines-"))
    raw_root = work / "raw"
    start = date(2024, 3, 1)
    lines = generate(raw_root, start, args.days, args.events_per_day, args.seed)
    results: dict[str, dict[str, float]] = {}
    for target in TARGETS:
        results[target] = {"full_refresh_seconds": timed_refresh(target, raw_root, work, "--full-refresh")}
    day_lines = generate(raw_root, start + timedelta(days=args.days), 1, args.events_per_day, args.seed + 1)
    for target in TARGETS:
        results[target]["daily_seconds"] = timed_refresh(target, raw_root, work)
    report = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
        "full_refresh_lines": lines,
        "daily_lines": day_lines,
        "days": args.days,
        "results": {
            t: {
                **r,
                "full_refresh_lines_per_second": lines / r["full_refresh_seconds"],
                "daily_lines_per_second": day_lines / r["daily_seconds"],
            }
            for t, r in results.items()
        },
    }
    print(f"{'target':<15}{'full refresh s':>16}{'lines/s':>12}{'one day s':>12}{'lines/s':>12}")
    for target, r in report["results"].items():
        print(
            f"{target:<15}{r['full_refresh_seconds']:>16.1f}{r['full_refresh_lines_per_second']:>12.0f}"
            f"{r['daily_seconds']:>12.1f}{r['daily_lines_per_second']:>12.0f}"
        )
    print(f"({lines} raw lines over {args.days} days; the daily step: {day_lines} lines; {os.cpu_count()} cores)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
