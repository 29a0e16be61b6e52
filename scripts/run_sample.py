"""`make run`: land a sample, refresh every landed day, export Parquet, generate dbt docs.

Generates a sample with scripts/generate_events.py (unless those days are already landed),
runs scripts/refresh.py for every landed day not processed yet, builds the dbt docs site, and
prints where everything is.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate_events  # noqa: E402
import refresh  # noqa: E402
import report  # noqa: E402
from pipeline_paths import PROJECT_ROOT, PipelinePaths, landed_days  # noqa: E402

LOG = logging.getLogger("clickstream.run_sample")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Land a sample click stream, refresh the warehouse day by day, export Parquet and build the docs.")
    parser.add_argument("--start-date", default="2024-03-01", help="first landing day of the sample (YYYY-MM-DD)")
    parser.add_argument("--days", type=int, default=4, help="number of landing days")
    parser.add_argument("--events-per-day", type=int, default=100_000, help="events generated per day")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (same seed, same bytes)")
    return parser


def generate_docs(paths: PipelinePaths) -> Path:
    """Run `dbt docs generate --static`; returns the self-contained HTML page."""
    dbt = refresh.dbt_executable()
    env = {**os.environ, **paths.environment(), "DO_NOT_TRACK": "1"}
    subprocess.run(
        [dbt, "docs", "generate", "--static", "--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT)],
        cwd=PROJECT_ROOT, env=env, check=True, capture_output=True, text=True,
    )
    return PROJECT_ROOT / "target" / "static_index.html"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    paths = PipelinePaths.resolve()
    start = date.fromisoformat(args.start_date)
    wanted = [(start + timedelta(days=i)).isoformat() for i in range(args.days)]
    if set(wanted) <= set(landed_days(paths.raw_root)):
        LOG.info("sample days %s .. %s already landed under %s", wanted[0], wanted[-1], paths.raw_root)
    else:
        code = generate_events.main([
            "--start-date", args.start_date, "--days", str(args.days),
            "--events-per-day", str(args.events_per_day), "--seed", str(args.seed),
            "--raw-root", str(paths.raw_root), "--overwrite",
        ])
        if code != 0:
            return code
    code = refresh.main([])
    if code != 0:
        return code
    docs = generate_docs(paths)
    report_path = report.write_report(paths.warehouse)
    print(
        "\nOutputs\n"
        f"  raw landing zone : {paths.raw_root}/click_events/dt=YYYY-MM-DD/\n"
        f"  warehouse        : {paths.warehouse}  (tables main.fct_events, main.fct_sessions, main.quarantined_events,\n"
        "                     main.duplicate_events, main.fct_page_views, main.agg_daily_clicks, main.agg_daily_traffic,\n"
        "                     main.agg_daily_funnel, main.dim_users, main.agg_ingest_daily; audit.refresh_runs)\n"
        f"  Parquet exports  : {paths.export_root}/<table>/<date column>=YYYY-MM-DD/data_0.parquet\n"
        f"  dbt docs         : open {docs} in a browser (self-contained), or `make docs` to serve them\n"
        f"  report           : open {report_path} in a browser (self-contained HTML, charts; scripts/report.py)\n"
        "Query it:  .venv/bin/python -c \"import duckdb; print(duckdb.connect('"
        f"{paths.warehouse}', read_only=True).sql('from main.agg_ingest_daily'))\""
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
