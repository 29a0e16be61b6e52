"""`make run`: land a sample, refresh every landed day, export Parquet, generate dbt docs.

Generates a sample with `clickstream generate` (ending on the current UTC day unless
``--start-date`` is given; never over days that already hold files), runs `clickstream refresh`
for every landed day not processed yet, builds the dbt docs site and the report, and prints where
everything is.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, date, datetime, timedelta

from clickstream.ingest import generate
from clickstream.options import date_arg, int_at_least
from clickstream.paths import PipelinePaths, path_problems
from clickstream.pipeline import docs, refresh
from clickstream.pipeline.lock import WarehouseLock, WarehouseLocked
from clickstream.report import html as report

LOG = logging.getLogger("clickstream.run_sample")


def build_parser(prog: str = "clickstream sample") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Land a sample click stream, refresh the warehouse day by day, export Parquet and build the docs.",
    )
    parser.add_argument(
        "--start-date",
        type=date_arg,
        default=None,
        metavar="YYYY-MM-DD",
        help="first landing day of the sample (default: the sample ends on the current UTC day); "
        "the same start date, days, size and seed give the same bytes",
    )
    parser.add_argument("--days", type=int_at_least(1), default=4, help="number of landing days")
    parser.add_argument("--events-per-day", type=int_at_least(1), default=100_000, help="events generated per day")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (same seed, same bytes)")
    return parser


def sample_start(today: date, days: int) -> date:
    """The first landing day of a sample of `days` days that ends on `today`."""
    return today - timedelta(days=days - 1)


def main(argv: list[str] | None = None, prog: str = "clickstream sample") -> int:
    args = build_parser(prog).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    paths = PipelinePaths.resolve()
    problems = path_problems(paths, "raw_root", "warehouse", "export_root")
    if problems:
        print(f"error: {'; '.join(problems)}.", file=sys.stderr)
        return 2
    # The whole sample (generate, refresh, docs, report) runs under one warehouse lock, passed on.
    try:
        lock = WarehouseLock(paths.warehouse, prog).acquire()
    except WarehouseLocked as busy:
        print(f"error: {busy}", file=sys.stderr)
        return 2
    try:
        return run_sample(args, paths, lock)
    finally:
        lock.release()


def run_sample(args: argparse.Namespace, paths: PipelinePaths, lock: WarehouseLock) -> int:
    """The sample's work, holding the warehouse lock (given to the refresh and to dbt docs)."""
    start = args.start_date or sample_start(datetime.now(UTC).date(), args.days)
    wanted = [(start + timedelta(days=i)).isoformat() for i in range(args.days)]
    # Any entry in a wanted day's folder counts (not only raw files: a note, a symlink...), as the
    # generator's own refusal does; the sample never asks the generator to overwrite.
    topic_dir = paths.raw_root / generate.TOPIC
    already = [day for day in wanted if generate.holds_files(topic_dir / f"dt={day}")]
    if already:
        # Landed files are never overwritten: refresh what is there instead of generating.
        LOG.info(
            "landing days %s .. %s already hold files under %s: not generating a sample over them "
            "(pass another --start-date, or point CLICKSTREAM_RAW_ROOT at an empty landing zone)",
            already[0],
            already[-1],
            paths.raw_root,
        )
    else:
        code = generate.main(
            [
                "--start-date",
                start.isoformat(),
                "--days",
                str(args.days),
                "--events-per-day",
                str(args.events_per_day),
                "--seed",
                str(args.seed),
                "--raw-root",
                str(paths.raw_root),
            ]
        )
        if code != 0:
            return code
    code = refresh.main([], lock=lock)
    if code != 0:
        return code
    try:
        docs_page = docs.generate_docs(paths, lock.pass_fds())
    except docs.DocsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    report_path = report.write_report(paths.warehouse, export_root=paths.export_root)
    print(
        "\nOutputs\n"
        f"  raw landing zone : {paths.raw_root}/click_events/dt=YYYY-MM-DD/\n"
        f"  warehouse        : {paths.warehouse}  (tables main.fct_events, main.fct_sessions, main.quarantined_events,\n"
        "                     main.duplicate_events, main.fct_page_views, main.agg_daily_clicks, main.agg_daily_traffic,\n"
        "                     main.agg_daily_funnel, main.dim_users, main.agg_ingest_daily; audit.refresh_runs)\n"
        f"  Parquet exports  : {paths.export_root}/<table>/<date column>=YYYY-MM-DD/data_0.parquet\n"
        f"  dbt docs         : open {docs_page} in a browser (self-contained), or `clickstream docs --serve`\n"
        f"  report           : open {report_path} in a browser (self-contained HTML, charts; `clickstream report`)\n"
        "Query it:  .venv/bin/python -c \"import duckdb; print(duckdb.connect('"
        f"{paths.warehouse}', read_only=True).sql('from main.agg_ingest_daily'))\""
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
