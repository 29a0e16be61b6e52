"""`clickstream sample` (what `make run` does): the sample ends on the current UTC day unless a
start date is given, and it never generates over landing days that already hold files."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import Pipeline, event

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


def test_the_default_sample_ends_on_the_current_utc_day(pipeline: Pipeline) -> None:
    today = datetime.now(UTC).date()
    result = run_sample(pipeline.paths, "--days", "1", "--events-per-day", "300")
    if datetime.now(UTC).date() != today:
        pytest.skip("the UTC day changed during the run")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    days = sorted(p.name for p in (pipeline.paths.raw_root / "click_events").iterdir())
    assert days == [f"dt={today.isoformat()}"]
    assert pipeline.query("select cast(dt as varchar) from main.agg_ingest_daily") == [(today.isoformat(),)]
    assert "Outputs" in result.stdout


def test_the_sample_never_generates_over_landed_files(pipeline: Pipeline) -> None:
    mine = pipeline.land("2024-03-02", "my_events.jsonl", [event("e1", "u1", "2024-03-02T10:00:00Z")])
    before = {p: p.read_bytes() for p in pipeline.paths.raw_root.rglob("*") if p.is_file()}
    result = run_sample(pipeline.paths, "--start-date", "2024-03-01", "--days", "3", "--events-per-day", "300")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    after = {p: p.read_bytes() for p in pipeline.paths.raw_root.rglob("*") if p.is_file()}
    assert after == before, "the user's landing zone must be left exactly as it was"
    assert "already hold files" in result.stderr
    assert mine.read_bytes() == before[mine]
    assert pipeline.query("select count(*) from main.fct_events") == [(1,)]


def test_sample_options_are_checked_before_any_work(tmp_path: Path) -> None:
    paths = PipelinePaths(tmp_path / "raw", tmp_path / "wh" / "w.duckdb", tmp_path / "exports")
    for args in (["--start-date", "05/03/2024"], ["--days", "0"]):
        result = run_sample(paths, *args)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert not tmp_path.joinpath("raw").exists() and not tmp_path.joinpath("wh").exists()
