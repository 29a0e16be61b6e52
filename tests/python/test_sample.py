"""`clickstream sample` (what `make run` does): where a sample starts, and options checked before
any work. The real runs (a sample ends on the current UTC day unless a start date is given, and
never generates over landing days that already hold files) are test_user_data.py's `make run`
variants."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from clickstream.paths import PipelinePaths
from clickstream.pipeline.sample import sample_start


def run_sample(paths: PipelinePaths, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **paths.environment(), "DO_NOT_TRACK": "1"}
    return subprocess.run(
        [sys.executable, "-m", "clickstream", "sample", *args], env=env, capture_output=True, text=True, timeout=900
    )


def test_a_sample_of_n_days_ends_on_the_given_day() -> None:
    assert sample_start(date(2024, 3, 4), 4) == date(2024, 3, 1)
    assert sample_start(date(2024, 3, 1), 1) == date(2024, 3, 1)


def test_sample_options_are_checked_before_any_work(tmp_path: Path) -> None:
    paths = PipelinePaths(tmp_path / "raw", tmp_path / "wh" / "w.duckdb", tmp_path / "exports")
    for args in (["--start-date", "05/03/2024"], ["--days", "0"]):
        result = run_sample(paths, *args)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert not tmp_path.joinpath("raw").exists() and not tmp_path.joinpath("wh").exists()
