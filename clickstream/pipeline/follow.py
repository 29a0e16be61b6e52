"""`clickstream refresh --follow`: keep the warehouse up to date while files land.

Every ``--every`` seconds (default 60) it compares the landing zone with the record of processed
files (clickstream/pipeline/processed_files.py) and the processed days; when there is something
to process it runs one refresh (``clickstream refresh`` with the same options, which takes the
warehouse lock for its duration, prints a summary line per landing day and exports the changed
partitions), and otherwise does nothing. A failed refresh is tried again at the next tick from the
recorded state (a refresh resumes what an interrupted one left); its error is printed once until it
changes. SIGTERM or Ctrl-C while waiting stops at once (exit 0); during a refresh, SIGTERM
interrupts that refresh as it would any refresh (recorded as interrupted, finished by the next
start) and the follower exits 143, Ctrl-C exits 130.

With ``clickstream kafka land`` writing the landing zone (files appear complete, under their final
name, by rename: clickstream/ingest/land.py), this is the production loop (docs/operations.md).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable

import duckdb

from clickstream.paths import PipelinePaths
from clickstream.pipeline.warehouse import WarehouseUnavailable

LOG = logging.getLogger("clickstream.follow")


def follow(paths: PipelinePaths, every: float, work_waiting: Callable[[], bool], run_refresh: Callable[[], int]) -> int:
    """Run `run_refresh` whenever `work_waiting()` (what a refresh would process: refresh.py's
    has_work()), checking every `every` seconds, until SIGTERM or Ctrl-C. Returns the exit code."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    print(
        f"Following {paths.raw_root} every {every:g} s (warehouse {paths.warehouse}); Ctrl-C or SIGTERM stops.",
        flush=True,
    )
    last_error, running = None, False
    try:
        while not stop.is_set():
            started = time.monotonic()
            try:
                waiting = work_waiting()
            except (WarehouseUnavailable, duckdb.Error) as error:  # another command holds the warehouse
                LOG.info("warehouse busy (%s); checking again in %g s", str(error).splitlines()[0], every)
                waiting = False
            if waiting:
                running = True
                code = run_refresh()
                running = False
                if code == 128 + signal.SIGTERM:
                    return code
                error = None if code == 0 else f"exit {code}"
                if error and error != last_error:
                    print(f"follow: the refresh failed ({error}); trying again in {every:g} s", flush=True)
                last_error = error
            stop.wait(max(0.0, every - (time.monotonic() - started)))
    except KeyboardInterrupt:
        print("follow: stopped (Ctrl-C)", flush=True)
        return 130 if running else 0
    finally:
        signal.signal(signal.SIGTERM, previous)
    print("follow: stopped", flush=True)
    return 0
