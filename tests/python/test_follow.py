"""`clickstream refresh --follow`: a real follower process refreshes when files land (and not
otherwise), stops on SIGTERM, and, killed with SIGKILL in the middle of a batch then started
again, ends with the tables of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import Pipeline, event, exported_files

from clickstream.paths import PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.second_lane]

DAY1, DAY2, DAY3 = "2024-01-10", "2024-01-11", "2024-01-12"


class Follower:
    """A `clickstream refresh --follow` process in its own process group, its output collected."""

    def __init__(self, pipeline: Pipeline, every: str = "1s", *extra: str) -> None:
        paths = pipeline.paths
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "clickstream",
                "refresh",
                "--follow",
                "--every",
                every,
                "--skip-freshness",
                *extra,
                "--raw-root",
                str(paths.raw_root),
                "--warehouse",
                str(paths.warehouse),
                "--export-root",
                str(paths.export_root),
            ],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            env={**os.environ, "DO_NOT_TRACK": "1"},
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, count: int = 1, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while sum(text in line for line in self.lines) < count:
            if self.process.poll() is not None and not self.reader.is_alive():
                raise AssertionError(f"the follower exited {self.process.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {count} x {text!r} within {timeout} s:\n{self.output()}")
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        os.killpg(self.process.pid, sig)
        code = self.process.wait(timeout)
        self.reader.join(10)
        return code


def land_day(pipeline: Pipeline, day: str, name: str, first: int, count: int) -> None:
    lines = [
        event(f"{day}-{i}", f"u{i % 7}", f"{day}T{8 + i % 12:02d}:{i % 60:02d}:00Z")
        for i in range(first, first + count)
    ]
    pipeline.land(day, name, lines)


def test_follow_refreshes_when_files_land_not_otherwise_and_stops_on_sigterm(make_pipeline) -> None:
    followed = make_pipeline("followed")
    follower = Follower(followed)
    try:
        follower.wait_for("Following")
        land_day(followed, DAY1, "b.jsonl", 0, 50)
        follower.wait_for("Done in")
        # a file for the day just processed, whose name sorts first: the day is processed again
        land_day(followed, DAY1, "a.jsonl", 40, 30)
        follower.wait_for("Done in", count=2)
        land_day(followed, DAY2, "c.jsonl", 0, 20)
        follower.wait_for("Done in", count=3)
        time.sleep(3)  # three more ticks with nothing new: no refresh
        assert sum("Done in" in line for line in follower.lines) == 3
    finally:
        code = follower.stop(signal.SIGTERM)
    assert code == 0, follower.output()
    assert "follow: stopped" in follower.output()
    reference = make_pipeline("reference", raw_root=followed.paths.raw_root)
    assert reference.refresh("--full-refresh") == 0
    assert followed.snapshot() == reference.snapshot()
    assert followed.query("select count(*) from audit.refresh_runs") == [(3,)]


def test_a_follower_killed_in_the_middle_of_a_batch_then_restarted_ends_like_an_uninterrupted_run(
    make_pipeline,
) -> None:
    followed = make_pipeline("killed")
    land_day(followed, DAY1, "a.jsonl", 0, 400)
    land_day(followed, DAY2, "b.jsonl", 0, 400)
    follower = Follower(followed)
    try:
        follower.wait_for("refreshing dt=" + DAY2, timeout=240)
        time.sleep(2.5)  # inside the second day's dbt build
    finally:
        follower.stop(signal.SIGKILL)
    restarted = Follower(followed)
    try:
        restarted.wait_for("Done in")
    finally:
        assert restarted.stop(signal.SIGTERM) == 0, restarted.output()
    reference = make_pipeline("uninterrupted", raw_root=followed.paths.raw_root)
    assert reference.refresh() == 0
    assert followed.snapshot() == reference.snapshot()
    assert exported_files(followed.paths.export_root) == exported_files(reference.paths.export_root)


def test_a_batch_that_fails_on_its_data_is_retried_when_new_files_land_not_at_every_tick(make_pipeline) -> None:
    followed = make_pipeline("failing")
    # a complete past day with 1 valid line of 21: its quarantine rate fails the error threshold
    followed.land(DAY3, "a.jsonl", [event("ok-1", "u1", f"{DAY3}T10:00:00Z"), *[b"not json"] * 20])
    follower = Follower(followed, "5s", "--vars", '{"quality_min_lines": 1}')
    try:
        follower.wait_for("the refresh failed (exit 1); trying again when new files land, or in 10 s")
        follower.wait_for("nothing new landed: retrying in")  # the next tick: not retried
        assert sum("refreshing dt=" in line for line in follower.lines) == 1, follower.output()
        land_day(followed, DAY3, "b.jsonl", 0, 5)
        follower.wait_for("files landed since the failed refresh: retrying it", timeout=30)
        follower.wait_for("error: dbt build failed", count=2)  # the day still fails: a threshold
        assert "after its back-off" not in follower.output()
    finally:
        assert follower.stop(signal.SIGTERM) == 0, follower.output()
