"""Invariants on a generated multi-day sample (duplicates, late events, every kind of noise):
day by day equals a full refresh, whatever the thread count, and every non-blank raw line is
exactly one of valid event, counted duplicate or quarantined line."""

from __future__ import annotations

import gzip
import re
from datetime import date

import pytest
from conftest import Pipeline, exported_files

from clickstream.ingest import generate as generate_events

pytestmark = pytest.mark.slow

START, DAYS = "2024-05-01", 4


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pipeline]:
    from clickstream.paths import PipelinePaths

    base = tmp_path_factory.mktemp("sample")
    raw = base / "raw"
    assert (
        generate_events.main(
            [
                "--start-date",
                START,
                "--days",
                str(DAYS),
                "--events-per-day",
                "4000",
                "--seed",
                "7",
                "--raw-root",
                str(raw),
                "--max-records-per-file",
                "700",
            ]
        )
        == 0
    )

    def pipeline(name: str) -> Pipeline:
        return Pipeline(PipelinePaths(raw, base / name / "w.duckdb", base / name / "exports"))

    daily, full, single_thread = pipeline("daily"), pipeline("full"), pipeline("single")
    assert daily.refresh() == 0
    assert full.refresh("--full-refresh") == 0
    assert single_thread.refresh("--full-refresh", "--threads", "1") == 0
    return {"daily": daily, "full": full, "single": single_thread}


def non_blank_raw_lines(raw_root) -> set[tuple[date, str, int]]:
    """(dt, file name, line number) of every non-blank line, read straight from the files."""
    lines = set()
    for path in sorted((raw_root / "click_events").glob("dt=*/*.jsonl*")):
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        dt = date.fromisoformat(path.parent.name[3:])
        parts = data.split(b"\n")
        if parts and parts[-1] == b"":
            parts.pop()
        for number, line in enumerate(parts, start=1):
            if line.strip(b" \t\r\n\f"):
                lines.add((dt, path.name, number))
    return lines


def test_sample_has_every_kind_of_noise(sample) -> None:
    [(quarantined, duplicates, blank)] = sample["daily"].query(
        "select sum(quarantined_lines), sum(duplicate_lines), sum(blank_lines) from main.agg_ingest_daily"
    )
    assert quarantined > 0 and duplicates > 0 and blank > 0
    reasons = {r[0] for r in sample["daily"].query("select distinct quarantine_reason from main.quarantined_events")}
    assert {"invalid_encoding", "malformed_json", "invalid_field", "invalid_timestamp", "unknown_event_type"} <= reasons
    assert sample["daily"].query("select count(*) from main.fct_events where event_date < dt")[0][0] > 0, "late events"


def test_day_by_day_equals_full_refresh_row_for_row(sample) -> None:
    assert sample["daily"].snapshot() == sample["full"].snapshot()


def test_thread_count_does_not_change_the_result(sample) -> None:
    assert sample["single"].snapshot() == sample["full"].snapshot()


def test_sessions_and_page_views_built_in_user_buckets_day_by_day_give_the_full_refresh(sample, tmp_path) -> None:
    # events_per_build_bucket 500: each ~4k-event day of the sample is built in about 8 buckets,
    # one statement each (config bucketed_build), as a 50M-event batch is at the default. Day by
    # day covers both paths: the first day creates the tables, later days replace sessions.
    from clickstream.paths import PipelinePaths

    bucketed = Pipeline(PipelinePaths(sample["full"].paths.raw_root, tmp_path / "w.duckdb", tmp_path / "exports"))
    assert bucketed.refresh("--vars", '{"events_per_build_bucket": 500}') == 0
    compiled = (tmp_path / "dbt_target" / "compiled" / "clickstream" / "models").glob("*/*.sql")
    bucket_counts = {
        path.stem: int(found.group(1))
        for path in compiled
        if (found := re.search(r"% (\d+) = getvariable\('clickstream_build_bucket'\)", path.read_text()))
    }
    bucketed_models = {model for model, buckets in bucket_counts.items() if buckets >= 6}
    assert bucketed_models == {"int_events_sessionized", "int_sessions_rebuilt", "fct_page_views"}
    assert bucketed.snapshot() == sample["full"].snapshot()
    assert exported_files(bucketed.paths.export_root) == exported_files(sample["full"].paths.export_root)


def test_every_non_blank_raw_line_is_exactly_one_of_valid_duplicate_quarantined(sample) -> None:
    pipeline = sample["daily"]
    expected = non_blank_raw_lines(pipeline.paths.raw_root)
    outcomes = pipeline.query(
        "select dt, file_name, line_number from main.fct_events "
        "union all select dt, file_name, line_number from main.duplicate_events "
        "union all select dt, file_name, line_number from main.quarantined_events"
    )
    assert len(outcomes) == len(set(outcomes)), "a raw line has more than one outcome"
    assert set(outcomes) == expected
