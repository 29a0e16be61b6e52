"""`clickstream refresh --follow`: keep the warehouse up to date while files land.

Every ``--every`` seconds (default 60) it compares the landing zone with the record of processed
files (clickstream/pipeline/processed_files.py) and the processed days; when there is something
to process it runs one refresh (``clickstream refresh`` with the same options, which takes the
warehouse lock for its duration, prints a summary line per landing day and exports the changed
partitions), and otherwise does nothing. A failed refresh is tried again from the recorded state
(a refresh resumes what an interrupted one left): at the first tick after new files land (or a
landed file changes), or else after a back-off that doubles with each failure in a row
(``--every`` x 2, x 4, ... at most 15 minutes), so a failure the data causes (an error-level
quality test) does not rebuild the same batch every tick, and one that passes (a full disk,
freed) is retried anyway. Its error is printed once until it changes. SIGTERM or Ctrl-C while
waiting stops at once (exit 0); during a refresh, SIGTERM interrupts that refresh as it would
any refresh (recorded as interrupted, finished by the next start) and the follower exits 143,
Ctrl-C exits 130.

With ``clickstream kafka land`` writing the landing zone (files appear complete, under their final
name, by rename: clickstream/ingest/land.py), this is the production loop (docs/operations.md).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from clickstream.paths import PipelinePaths, raw_files
from clickstream.pipeline.warehouse import WarehouseUnavailable

LOG = logging.getLogger("clickstream.follow")
# The longest wait before a failed refresh is retried while nothing new lands.
MAX_RETRY_SECONDS = 15 * 60.0


def landing_fingerprint(raw_root: Path) -> list[tuple[str, int, int]]:
    """The landed raw files with their sizes and modification times: a failed refresh is retried
    at once when this changes."""
    found = []
    for path in raw_files(raw_root):
        try:
            stat = path.stat()
        except OSError:  # removed since listed
            continue
        found.append((str(path), stat.st_size, stat.st_mtime_ns))
    return found


def retry_delay(every: float, failures: int) -> float:
    """How long after the `failures`-th failed refresh in a row the follower retries when nothing
    new has landed: `every` x 2^failures, at most MAX_RETRY_SECONDS (and never less than `every`)."""
    return max(every, min(MAX_RETRY_SECONDS, every * 2 ** min(failures, 30)))


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
    # after a failed refresh: the landing zone it saw, and when to retry if that does not change
    failures, failed_on, retry_at = 0, None, 0.0
    try:
        while not stop.is_set():
            started = time.monotonic()
            try:
                waiting = work_waiting()
            except (WarehouseUnavailable, duckdb.Error) as error:  # another command holds the warehouse
                LOG.info("warehouse busy (%s); checking again in %g s", str(error).splitlines()[0], every)
                waiting = False
            landed = landing_fingerprint(paths.raw_root) if waiting else None
            if waiting and failures:
                if landed != failed_on:
                    LOG.info("files landed since the failed refresh: retrying it")
                elif started >= retry_at:
                    LOG.info("nothing new landed since the failed refresh: retrying it after its back-off")
                else:
                    LOG.info("the last refresh failed and nothing new landed: retrying in %.0f s", retry_at - started)
                    waiting = False
            if waiting:
                running = True
                code = run_refresh()
                running = False
                if code == 128 + signal.SIGTERM:
                    return code
                error = None if code == 0 else f"exit {code}"
                failures = failures + 1 if error else 0
                if error:
                    delay = retry_delay(every, failures)
                    failed_on, retry_at = landed, time.monotonic() + delay
                    if error != last_error:
                        print(
                            f"follow: the refresh failed ({error}); trying again when new files land, or in "
                            f"{delay:g} s (the wait doubles with each failure in a row, "
                            f"at most {MAX_RETRY_SECONDS:g} s)",
                            flush=True,
                        )
                last_error = error
            stop.wait(max(0.0, every - (time.monotonic() - started)))
    except KeyboardInterrupt:
        print("follow: stopped (Ctrl-C)", flush=True)
        return 130 if running else 0
    finally:
        signal.signal(signal.SIGTERM, previous)
    print("follow: stopped", flush=True)
    return 0
