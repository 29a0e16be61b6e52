"""The freshness benchmark (#18): what a small batch costs, and how fresh the tables are end to end.

Two parts, both by default (`make bench-freshness`):

- **Batch-size curve** (`--part curve`): a warehouse holding --history-days x
  --history-events-per-day generated events, landing days up to yesterday (one full refresh),
  then, each time from a copy of that warehouse, one batch of each size (--batch-sizes, default
  1k, 3.5k - five minutes at 1M events a day -, 10k, 100k, 1M) landed as today's first files and
  one plain `clickstream refresh`; and one refresh with nothing new. For each: seconds end to end, dbt's run phase, the export, the fixed part
  (everything else: start-up, dbt parse, summary queries); then a least-squares line, seconds =
  fixed + per-event cost x events. Targets (#18): 1k events <= 6 s, 3.5k <= 8 s, nothing new <= 3 s.
- **End to end** (`--part end-to-end`): a local tansu broker; a publisher sending --rate events/s
  for --seconds (each event's event_ts is its publish time); `clickstream kafka land
  --roll-seconds 30 --dt-from-timestamp`; `clickstream refresh --follow --every 60s`. An event is
  fresh when the refresh that first processed its file ended (audit.processed_files): latency =
  that time - publish time, p50 / p95 / max over every event (its session is in fct_sessions
  from the same refresh). Target p95 <= 120 s. Also the follower's batches (files, events,
  seconds, lag).

Prints the tables and writes the numbers as JSON (--json, default <work dir>/bench_freshness.json).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from benchmark import GB, BenchmarkError, checked, refresh_breakdown, run_measured

from clickstream.paths import PROJECT_ROOT

LOG = logging.getLogger("clickstream.bench_freshness")
BATCH_SIZES = (1_000, 3_500, 10_000, 100_000, 1_000_000)
TARGET_SECONDS = {1_000: 6.0, 3_500: 8.0}
TARGET_NOTHING_NEW_SECONDS = 3.0
TARGET_P95_SECONDS = 120.0


def clickstream(*args: str) -> list[str]:
    return [sys.executable, "-m", "clickstream", *args]


def paths_args(work: Path) -> list[str]:
    return [
        "--raw-root",
        str(work / "raw"),
        "--warehouse",
        str(work / "warehouse" / "clickstream.duckdb"),
        "--export-root",
        str(work / "exports"),
    ]


# --------------------------------------------------------------------------------------------
# batch-size curve
# --------------------------------------------------------------------------------------------


def land_batch(raw_root: Path, day: str, events: int, seed: int, scratch: Path) -> int:
    """Generate `events` events of the day before `day` and land them as files of landing day
    `day` (moved in complete, as a lander does); returns the files landed. The batch lands on the
    current day, still landing, as a live lander's would: its events happened yesterday, so none
    is in the future."""
    shutil.rmtree(scratch, ignore_errors=True)
    event_day = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
    command = clickstream(
        "generate", "--start-date", event_day, "--days", "1", "--events-per-day", str(events), "--seed", str(seed)
    )
    subprocess.run([*command, "--raw-root", str(scratch), "--quiet"], check=True, cwd=PROJECT_ROOT)
    target = raw_root / "click_events" / f"dt={day}"
    target.mkdir(parents=True, exist_ok=True)
    files = sorted((scratch / "click_events" / f"dt={event_day}").iterdir())
    for path in files:
        shutil.move(path, target / f"batch_{seed}_{path.name}")
    shutil.rmtree(scratch, ignore_errors=True)
    return len(files)


def measured_refresh(work: Path, name: str, interval: float, *extra: str) -> dict[str, Any]:
    log_stem = work / "logs" / name
    run = checked(
        run_measured(clickstream("refresh", *paths_args(work), *extra), log_stem, interval), f"refresh {name}", log_stem
    )
    warehouse = work / "warehouse" / "clickstream.duckdb"
    nothing = "Nothing to do" in run.stdout
    breakdown = {} if nothing else refresh_breakdown(run, warehouse)
    return {
        "seconds": round(run.seconds, 3),
        "dbt_run_seconds": breakdown.get("dbt_run_seconds", 0.0),
        "export_seconds": breakdown.get("export_seconds", 0.0),
        "fixed_seconds": breakdown.get("fixed_overhead_seconds", round(run.seconds, 3)),
        "dbt_parse_and_setup_seconds": breakdown.get("dbt_parse_and_setup_seconds"),
        "peak_rss_bytes": run.peak_rss_bytes,
        "other_cpu_seconds": round(run.other_cpu_seconds, 3),
    }


def valid_events(work: Path) -> int:
    with duckdb.connect(str(work / "warehouse" / "clickstream.duckdb"), read_only=True) as con:
        return con.execute("select count(*) from main.fct_events").fetchone()[0]


def line_fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares seconds = fixed + slope x events; returns (fixed, slope)."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0
    return mean_y - slope * mean_x, slope


def batch_curve(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """The history (landing days up to yesterday) in one full refresh; then, from a copy of that
    warehouse each time, one batch of each size landed on today and a plain refresh."""
    raw = work / "raw"
    today = datetime.now(UTC).date()
    start = (today - timedelta(days=args.history_days)).isoformat()
    history_stamp = work / "history.json"
    wanted = {"days": args.history_days, "events_per_day": args.history_events_per_day, "start": start}
    if not (history_stamp.exists() and json.loads(history_stamp.read_text()) == wanted):
        shutil.rmtree(raw, ignore_errors=True)
        LOG.info("generating the history: %d days x %d events", args.history_days, args.history_events_per_day)
        subprocess.run(
            clickstream(
                *("generate", "--start-date", start, "--days", str(args.history_days)),
                *("--events-per-day", str(args.history_events_per_day), "--raw-root", str(raw), "--quiet"),
            ),
            check=True,
            cwd=PROJECT_ROOT,
        )
        history_stamp.write_text(json.dumps(wanted))
    batch_dir = raw / "click_events" / f"dt={today.isoformat()}"
    for folder in (raw / "click_events").glob("dt=*"):
        if folder.name > f"dt={(today - timedelta(days=1)).isoformat()}":
            shutil.rmtree(folder)  # landed by an earlier run, or generated past yesterday
    for name in ("warehouse", "warehouse_history", "exports", "exports_history"):
        shutil.rmtree(work / name, ignore_errors=True)
    LOG.info("full refresh of the history")
    history = measured_refresh(work, "history_full_refresh", args.sample_interval, "--full-refresh")
    history["valid_events"] = valid_events(work)
    LOG.info("history: %d events in %.1f s", history["valid_events"], history["seconds"])
    shutil.copytree(work / "warehouse", work / "warehouse_history")
    # the exports as the history left them, hard-linked (the export replaces files by renames)
    shutil.copytree(work / "exports", work / "exports_history", copy_function=os.link)
    batches = []
    for index, size in enumerate(args.batch_sizes):
        shutil.rmtree(batch_dir, ignore_errors=True)
        for name in ("warehouse", "exports"):
            shutil.rmtree(work / name)
        shutil.copytree(work / "warehouse_history", work / "warehouse")
        shutil.copytree(work / "exports_history", work / "exports", copy_function=os.link)
        before = valid_events(work)
        files = land_batch(raw, today.isoformat(), size, 1000 + index, work / "scratch")
        figures = measured_refresh(work, f"batch_{size}", args.sample_interval)
        figures.update(
            batch_events=size, dt=today.isoformat(), files=files, valid_events_added=valid_events(work) - before
        )
        batches.append(figures)
        LOG.info("batch of %d events: %.1f s", size, figures["seconds"])
    nothing_new = measured_refresh(work, "nothing_new", args.sample_interval)
    nothing_freshness_skipped = measured_refresh(
        work, "nothing_new_skip_freshness", args.sample_interval, "--skip-freshness"
    )
    fixed, slope = line_fit([(b["batch_events"], b["seconds"]) for b in batches])
    return {
        "history": history,
        "batches": batches,
        "nothing_new": nothing_new,
        "nothing_new_skip_freshness": nothing_freshness_skipped,
        "fit_fixed_seconds": round(fixed, 3),
        "fit_seconds_per_1k_events": round(slope * 1000, 4),
    }


# --------------------------------------------------------------------------------------------
# end to end
# --------------------------------------------------------------------------------------------


def publish_steadily(bootstrap: str, topic: str, rate: float, seconds: float, users: int) -> int:
    """Publish valid page views at `rate` events/s for `seconds`, keyed by user_id, each stamped
    with its publish time (event_ts); returns how many."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "acks": "all"})
    sent = 0
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        due = int(elapsed * rate) + 1
        while sent < due:
            user = f"fresh_u{sent % users}"
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            body = {
                "event_id": uuid.uuid4().hex,
                "user_id": user,
                "event_type": "page_view" if sent % 5 else "click",
                "event_ts": now,
                "page_url": f"https://shop.example.com/p/{sent % 97}",
            }
            producer.produce(topic, json.dumps(body).encode(), key=user.encode())
            sent += 1
        producer.poll(0)
        time.sleep(0.01)
    producer.flush(30)
    return sent


def end_to_end(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from confluent_kafka.admin import AdminClient

    from clickstream.ingest.kafka_config import ensure_topic
    from clickstream.local.broker import TansuBroker

    for name in ("raw", "warehouse", "exports", "logs"):
        shutil.rmtree(work / name, ignore_errors=True)
    (work / "logs").mkdir(parents=True)
    broker = TansuBroker(log_path=work / "logs" / "tansu.log").start()
    topic = f"fresh_{os.getpid()}"
    ensure_topic(AdminClient({"bootstrap.servers": broker.bootstrap}), topic, 8)
    config = work / "kafka.conf"
    config.write_text("session.timeout.ms=6000\nheartbeat.interval.ms=1000\n", encoding="utf-8")
    env = {**os.environ, "DO_NOT_TRACK": "1", "PYTHONUNBUFFERED": "1"}
    lander_command = [
        *("kafka", "land", "--bootstrap-servers", broker.bootstrap, "--topic", topic, "--group-id", f"{topic}_lander"),
        *("--raw-root", str(work / "raw"), "--kafka-config", str(config)),
        *("--roll-seconds", str(args.roll_seconds), "--dt-from-timestamp"),
    ]
    follower_log = work / "logs" / "follower.log"
    follower_command = ["refresh", *paths_args(work), "--follow", "--every", f"{args.every}s"]
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name, command in (("lander", lander_command), ("follower", follower_command)):
            with open(work / "logs" / f"{name}.log", "w") as log:
                processes[name] = subprocess.Popen(
                    clickstream(*command), cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                )
        LOG.info("publishing %.0f events/s for %.0f s", args.rate, args.seconds)
        published = publish_steadily(broker.bootstrap, topic, args.rate, args.seconds, args.users)
        time.sleep(args.roll_seconds + 5)  # the lander rolls its last files
        stop(processes.pop("lander"))
        landed = {path.relative_to(work / "raw").as_posix() for path in (work / "raw").rglob("*.jsonl*")}
        LOG.info(
            "%d events published, %d files landed; waiting for the follower to process them", published, len(landed)
        )
        deadline = time.monotonic() + 2 * args.every + 900
        seen = follower_log.read_text().count("Done in ")
        while time.monotonic() < deadline:
            time.sleep(2)
            done = follower_log.read_text().count("Done in ")
            if done == seen:
                continue
            seen = done
            time.sleep(1)  # the follower is back to waiting for its next tick: read the record now
            if landed <= processed_paths(work / "warehouse" / "clickstream.duckdb"):
                break
        else:
            raise BenchmarkError(f"the follower did not process every landed file in time; its log: {follower_log}")
        stop(processes.pop("follower"))
        return {
            "published": published,
            "files_landed": len(landed),
            **latencies(work / "warehouse" / "clickstream.duckdb"),
        }
    finally:
        for process in processes.values():
            process.kill()
            process.wait()
        broker.stop()


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=300)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def processed_paths(warehouse: Path) -> set[str]:
    """The files audit.processed_files records (empty when the warehouse cannot be read now)."""
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return {row[0] for row in con.execute("select file_path from audit.processed_files").fetchall()}
    except duckdb.Error:
        return set()


def latencies(warehouse: Path) -> dict[str, Any]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        [(events, p50, p95, worst)] = con.execute(
            """
            with first_processed as (
                select dt, file_name, min(processed_at) as visible_at
                from audit.processed_files group by all
            )
            select
                count(*),
                quantile_cont(epoch(visible_at) - epoch(event_ts), 0.5),
                quantile_cont(epoch(visible_at) - epoch(event_ts), 0.95),
                max(epoch(visible_at) - epoch(event_ts))
            from main.fct_events join first_processed using (dt, file_name)
            where user_id like 'fresh_u%'
            """
        ).fetchall()
        batches = con.execute(
            """
            with first_processed as (
                select dt, file_name, arg_min(run_id, processed_at) as run_id, min(processed_at) as visible_at
                from audit.processed_files group by all
            )
            select
                runs.run_id,
                count(distinct first_processed.file_name) as files,
                count(fct_events.event_id) as events,
                epoch(runs.ended_at) - epoch(runs.started_at) as seconds,
                max(epoch(first_processed.visible_at) - epoch(fct_events.event_ts)) as worst_lag_seconds
            from audit.refresh_runs as runs
            join first_processed using (run_id)
            left join main.fct_events using (dt, file_name)
            group by all order by min(runs.started_at)
            """
        ).fetchall()
    return {
        "events_measured": events,
        "latency_p50_seconds": round(p50, 1) if p50 is not None else None,
        "latency_p95_seconds": round(p95, 1) if p95 is not None else None,
        "latency_max_seconds": round(worst, 1) if worst is not None else None,
        "batches": [
            {
                "run_id": run_id,
                "files": files,
                "events": n,
                "seconds": round(secs, 1),
                "worst_lag_seconds": round(lag or 0, 1),
            }
            for run_id, files, n, secs, lag in batches
        ],
    }


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------


def verdict(value: float | None, target: float) -> str:
    return "n/a" if value is None else ("PASS" if value <= target else "MISS")


def render(report: dict[str, Any]) -> str:
    lines = [f"clickstream freshness benchmark ({report['machine']})"]
    curve = report.get("curve")
    if curve:
        history = curve["history"]
        lines += [
            "",
            f"Batch-size curve on a warehouse of {history['valid_events']:,} events (full refresh {history['seconds']:.1f} s):",
            "| batch events | seconds | dbt run | export | fixed part | dbt parse + set-up | target |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for batch in curve["batches"]:
            target = TARGET_SECONDS.get(batch["batch_events"])
            lines.append(
                f"| {batch['batch_events']:,} | {batch['seconds']:.1f} | {batch['dbt_run_seconds']:.1f} | "
                f"{batch['export_seconds']:.1f} | {batch['fixed_seconds']:.1f} | {batch['dbt_parse_and_setup_seconds'] or 0:.1f} | "
                + (f"<= {target:.0f} s: {verdict(batch['seconds'], target)}" if target else "")
                + " |"
            )
        nothing = curve["nothing_new"]["seconds"]
        lines += [
            f"| nothing new | {nothing:.1f} | | | | | <= {TARGET_NOTHING_NEW_SECONDS:.0f} s: "
            f"{verdict(nothing, TARGET_NOTHING_NEW_SECONDS)} |",
            f"| nothing new, --skip-freshness | {curve['nothing_new_skip_freshness']['seconds']:.1f} | | | | | |",
            "",
            f"Line fit: seconds = {curve['fit_fixed_seconds']:.1f} + {curve['fit_seconds_per_1k_events']:.3f} x "
            "(batch events / 1000)",
        ]
    e2e = report.get("end_to_end")
    if e2e:
        p95 = e2e["latency_p95_seconds"]
        lines += [
            "",
            f"End to end: {e2e['published']:,} events published at {report['settings']['rate']:.0f}/s for "
            f"{report['settings']['seconds']:.0f} s, lander rolling every {report['settings']['roll_seconds']:.0f} s, "
            f"refresh --follow --every {report['settings']['every']:.0f}s; {e2e['events_measured']:,} events measured",
            f"latency publish -> fct_events (and its session in fct_sessions): p50 {e2e['latency_p50_seconds']} s, "
            f"p95 {p95} s, max {e2e['latency_max_seconds']} s; p95 <= {TARGET_P95_SECONDS:.0f} s: "
            f"{verdict(p95, TARGET_P95_SECONDS)}",
            "| batch (run) | files | events | seconds | worst lag (s) |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {b['run_id'][:8]} | {b['files']} | {b['events']:,} | {b['seconds']:.1f} | {b['worst_lag_seconds']:.1f} |"
            for b in e2e["batches"]
        ]
    return "\n".join(lines)


def sizes_arg(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of whole numbers") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError("give at least two batch sizes, each at least 1")
    return sizes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench_freshness.py", description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--part", choices=("both", "curve", "end-to-end"), default="both", help="which part to run (default: both)")
    add("--work-dir", type=Path, help="where the data goes (default: a new temporary directory, removed at the end)")
    add("--history-days", type=int, default=10, help="landing days in the curve's warehouse (default: 10)")
    add("--history-events-per-day", type=int, default=1_000_000, help="events per history day (default: 1000000)")
    add(
        "--batch-sizes",
        type=sizes_arg,
        default=BATCH_SIZES,
        help="comma-separated batch sizes (default: 1000,3500,10000,100000,1000000)",
    )
    add("--rate", type=float, default=2000.0, help="end to end: events published per second (default: 2000)")
    add("--seconds", type=float, default=300.0, help="end to end: how long to publish (default: 300)")
    add("--users", type=int, default=5000, help="end to end: distinct users (default: 5000)")
    add("--roll-seconds", type=float, default=30.0, help="end to end: the lander's --roll-seconds (default: 30)")
    add("--every", type=float, default=60.0, help="end to end: the follower's --every, in seconds (default: 60)")
    add("--sample-interval-ms", type=float, default=50.0, help="RSS sampling period (default: 50)")
    add(
        "--json",
        type=Path,
        help="where to write the JSON report (default: bench_freshness.json in the work directory, or beside the temporary one)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.sample_interval = args.sample_interval_ms / 1000
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    temporary = args.work_dir is None
    work = Path(tempfile.mkdtemp(prefix="clickstream-freshness-")) if temporary else args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "machine": f"{os.cpu_count()} cpus, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / GB:.0f} GB",
        "settings": {key: value for key, value in vars(args).items() if key not in ("work_dir", "json")},
    }
    try:
        if args.part in ("both", "curve"):
            report["curve"] = batch_curve(args, work / "curve")
        if args.part in ("both", "end-to-end"):
            report["end_to_end"] = end_to_end(args, work / "end_to_end")
    except (BenchmarkError, subprocess.CalledProcessError) as error:
        print(f"bench_freshness: error: {error}", file=sys.stderr)
        return 1
    finally:
        json_path = args.json or (work.parent if temporary else work) / "bench_freshness.json"
        json_path.write_text(json.dumps(report, indent=2, default=str))
        if temporary:
            shutil.rmtree(work, ignore_errors=True)
    print(render(report))
    print(f"JSON report: {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
