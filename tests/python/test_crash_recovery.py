"""Crash recovery: `clickstream refresh` (and `clickstream export`) SIGKILLed, with every process
they started, at many moments of real runs — during dbt's start-up and build, in the seconds
between the build and the export, during the export, right after it — and simply run again,
ends with every public table and every exported file equal to an uninterrupted run's.

The kills hit the real processes (a process group, as an OOM kill or a machine that dies would);
nothing in the product knows it is being tested. Moments are picked two ways: at seeded offsets
spread over a run's measured duration, and on what a run does that can be watched from outside
(the dbt build's log written = the build committed; the export's staging directory appearing; the
export's state file written).
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Pipeline, exported_files

from clickstream.pipeline import export as export_parquet

pytestmark = pytest.mark.slow

DAYS = ("2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04")
MIN_KILLS = 20


def command(pipeline: Pipeline, *args: str) -> list[str]:
    paths = pipeline.paths
    return [
        sys.executable,
        "-m",
        "clickstream",
        *args,
        "--warehouse",
        str(paths.warehouse),
        "--export-root",
        str(paths.export_root),
    ]


def refresh_command(pipeline: Pipeline) -> list[str]:
    return [*command(pipeline, "refresh", "--raw-root", str(pipeline.paths.raw_root)), "--skip-freshness"]


def start(cmd: list[str]) -> subprocess.Popen:
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def run_and_kill(cmd: list[str], trigger: Callable[[float], bool], timeout: float = 300) -> bool:
    """Start cmd and SIGKILL its whole process group as soon as trigger(seconds since start) is
    true; True if it was killed, False if it ended first (then it must have succeeded)."""
    process = start(cmd)
    started = time.monotonic()
    while process.poll() is None:
        elapsed = time.monotonic() - started
        if trigger(elapsed):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return True
        assert elapsed < timeout, f"{cmd} ran for more than {timeout} s"
        time.sleep(0.01)
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert process.returncode == 0, f"{cmd} failed when not killed:\n{stderr}"
    return False


def never(_elapsed: float) -> bool:
    return False


def after(seconds: float) -> Callable[[float], bool]:
    return lambda elapsed: elapsed >= seconds


def on_change(path: Path) -> Callable[[float], bool]:
    """True once the file at path is (re)written after the call."""
    before = mtime(path)
    return lambda _elapsed: mtime(path) != before


def on_exists(path: Path) -> Callable[[float], bool]:
    return lambda _elapsed: path.exists()


def land_sample(raw_root: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "clickstream",
            "generate",
            "--start-date",
            DAYS[0],
            "--days",
            str(len(DAYS)),
            "--events-per-day",
            "200",
            "--users",
            "40",
            "--seed",
            "7",
            "--raw-root",
            str(raw_root),
            "--quiet",
        ],
        check=True,
    )


def test_refreshes_and_exports_killed_at_many_moments_end_equal_to_an_uninterrupted_run(
    make_pipeline, tmp_path: Path
) -> None:
    full_raw = tmp_path / "raw"
    land_sample(full_raw)

    reference = make_pipeline("reference", full_raw)
    # an uninterrupted run, timing its builds (start-up, parsing, models, tests of one day each)
    reference_log = reference.paths.warehouse.parent / "last_dbt_build.log"
    builds: list[float] = [0.0]
    last_seen = [mtime(reference_log)]

    def time_builds(elapsed: float) -> bool:
        if mtime(reference_log) != last_seen[0]:
            last_seen[0] = mtime(reference_log)
            builds.append(elapsed)
        return False

    assert not run_and_kill(refresh_command(reference), time_builds)
    # the shortest time from a run's (or the previous build's) start to a build committed: a
    # kill before it always lands before that day is processed
    build_seconds = min(later - earlier for earlier, later in itertools.pairwise(builds))

    # the same days land one by one; after each, refreshes are killed until one gets through
    crashed = make_pipeline("crashed")
    build_log = crashed.paths.warehouse.parent / "last_dbt_build.log"
    staging = crashed.paths.export_root / ".staging"
    state = crashed.paths.export_root / export_parquet.STATE_FILE
    rng = random.Random(20261202)
    outcomes: list[tuple[str, str, bool]] = []

    def attempt(cmd: list[str], label: str, trigger: Callable[[float], bool], day: str) -> None:
        outcomes.append((day, label, run_and_kill(cmd, trigger)))

    for day in DAYS:
        shutil.copytree(full_raw / "click_events" / f"dt={day}", crashed.paths.raw_root / "click_events" / f"dt={day}")
        # seeded moments of the day's run (dbt start-up, parsing, models, tests, export)
        for _ in range(4):
            offset = rng.uniform(0.3, 0.9 * build_seconds)
            attempt(refresh_command(crashed), f"{offset:.1f} s", after(offset), day)
        # just after the day's build committed, before its export (the day is processed now) ...
        attempt(refresh_command(crashed), "build committed", on_change(build_log), day)
        # ... then the refresh with nothing new to process that exports what was left: killed
        # during that export, and again just after it recorded what it finished
        attempt(refresh_command(crashed), "exporting", on_exists(staging), day)
        attempt(refresh_command(crashed), "export recorded", on_change(state), day)
    # the export command killed too: while it starts, and during a full rewrite
    attempt([*command(crashed, "export"), "--all"], "export --all starting", after(1.0), "all")
    attempt([*command(crashed, "export"), "--all"], "export --all writing", on_exists(staging), "all")
    kills = sum(killed for _, _, killed in outcomes)
    assert kills >= MIN_KILLS, f"only {kills} runs were killed before they ended: {outcomes}"

    # simply run again
    assert not run_and_kill(refresh_command(crashed), never)

    assert crashed.snapshot() == reference.snapshot()
    reference_files = exported_files(reference.paths.export_root)
    assert reference_files
    assert exported_files(crashed.paths.export_root).keys() == reference_files.keys()
    assert exported_files(crashed.paths.export_root) == reference_files
