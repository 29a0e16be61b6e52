"""Sessionization and incremental refresh: exact gaps, ties, midnight, late events that extend
or bridge stored sessions, re-runs, refusals and crash recovery — each compared with a full
refresh of the same raw files."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import pytest
from conftest import Pipeline, event

from clickstream.ingest import file_check

DAY1, DAY2 = "2024-01-10", "2024-01-11"


def session_id(user_id: str, first_event_id: str) -> str:
    return hashlib.md5(f"{user_id}\x1f{first_event_id}".encode()).hexdigest()


def land_two_days(pipeline: Pipeline) -> None:
    pipeline.land(
        DAY1,
        "click_events+0+0000000000.jsonl",
        [
            event("a1", "u1", "2024-01-10T10:00:00Z"),
            event("a2", "u1", "2024-01-10T10:30:00Z", event_type="click"),  # gap exactly 30 min: same session
            event("a3", "u1", "2024-01-10T11:00:00.000001Z"),  # 30 min + 1 µs: new session
            event("tie-b", "u2", "2024-01-10T12:00:00Z"),
            event("tie-a", "u2", "2024-01-10T12:00:00Z"),  # same time: event_id breaks the tie
            event("m1", "u3", "2024-01-10T23:50:00Z"),
            event("b1", "u4", "2024-01-10T10:00:00Z"),
            event("b2", "u4", "2024-01-10T10:50:00Z"),  # 50 min later: a second stored session
            event("x1", "u5", "2024-01-10T15:00:00Z"),
        ],
    )
    pipeline.land(
        DAY2,
        "click_events+0+0000000009.jsonl",
        [
            event("m2", "u3", "2024-01-11T00:15:00Z"),  # continues u3's session across midnight
            event("b3", "u4", "2024-01-10T10:25:00Z"),  # late: bridges u4's two sessions
            event("x0", "u5", "2024-01-10T14:45:00Z", event_type="click"),  # late: becomes u5's first event
            event("a2", "u1", "2024-01-10T18:00:00Z"),  # a later copy of a stored event: duplicate
        ],
    )


def new_pipeline(base, raw_root=None) -> Pipeline:
    from clickstream.paths import PipelinePaths

    return Pipeline(PipelinePaths(raw_root or base / "raw", base / "warehouse" / "w.duckdb", base / "exports"))


@pytest.fixture(scope="module")
def day_by_day(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    pipeline = new_pipeline(tmp_path_factory.mktemp("daily"))
    land_two_days(pipeline)
    assert pipeline.refresh() == 0  # processes both pending days, in order
    return pipeline


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory, day_by_day: Pipeline) -> Pipeline:
    pipeline = new_pipeline(tmp_path_factory.mktemp("full"), raw_root=day_by_day.paths.raw_root)
    assert pipeline.refresh("--full-refresh") == 0
    return pipeline


def test_sessions_follow_the_gap_tie_and_midnight_rules(day_by_day: Pipeline) -> None:
    sessions = {
        r[0]: r[1:]
        for r in day_by_day.query(
            "select session_id, user_id, event_count, session_start, session_end, first_dt, last_dt from main.fct_sessions"
        )
    }
    assert sessions[session_id("u1", "a1")][1] == 2
    assert sessions[session_id("u1", "a3")][1] == 1
    assert sessions[session_id("u2", "tie-a")][1] == 2
    midnight = sessions[session_id("u3", "m1")]
    assert midnight[2:4] == (datetime(2024, 1, 10, 23, 50), datetime(2024, 1, 11, 0, 15))
    assert str(midnight[4]) == DAY1 and str(midnight[5]) == DAY2


def test_late_event_bridges_two_stored_sessions_without_orphans(day_by_day: Pipeline) -> None:
    rows = day_by_day.query("select session_id, event_count from main.fct_sessions where user_id = 'u4'")
    assert rows == [(session_id("u4", "b1"), 3)]
    assert day_by_day.query("select distinct session_id from main.fct_events where user_id = 'u4'") == [rows[0][:1]]


def test_late_first_event_gives_the_session_a_new_id_and_drops_the_old(day_by_day: Pipeline) -> None:
    rows = day_by_day.query("select session_id, event_count, click_count from main.fct_sessions where user_id = 'u5'")
    assert rows == [(session_id("u5", "x0"), 2, 1)]
    ids = {r[0] for r in day_by_day.query("select session_id from main.fct_events where user_id = 'u5'")}
    assert ids == {session_id("u5", "x0")}


def test_events_reference_existing_sessions_and_counts_match(day_by_day: Pipeline) -> None:
    assert day_by_day.query(
        "select count(*) from main.fct_events e anti join main.fct_sessions s using (session_id)"
    ) == [(0,)]
    assert day_by_day.query(
        "select count(*) from main.fct_sessions s where event_count != "
        "(select count(*) from main.fct_events e where e.session_id = s.session_id)"
    ) == [(0,)]


def test_day_by_day_equals_full_refresh(day_by_day: Pipeline, full: Pipeline) -> None:
    assert day_by_day.snapshot() == full.snapshot()


def test_rerunning_the_last_day_changes_nothing(day_by_day: Pipeline) -> None:
    before = day_by_day.snapshot()
    exports_before = {p: p.read_bytes() for p in day_by_day.paths.export_root.rglob("*.parquet")}
    assert day_by_day.refresh("--date", DAY2) == 0
    assert day_by_day.snapshot() == before
    assert {p: p.read_bytes() for p in day_by_day.paths.export_root.rglob("*.parquet")} == exports_before


def test_an_earlier_day_is_refused_with_a_clear_message(day_by_day: Pipeline, capsys) -> None:
    """Refused by the refresh itself before dbt starts (exit 2), naming the command to run."""
    before = day_by_day.snapshot()
    runs = day_by_day.query("select count(*) from audit.refresh_runs")
    assert day_by_day.refresh("--date", DAY1) == 2
    err = capsys.readouterr().err
    assert "earlier than the last processed landing day 2024-01-11" in err
    assert "Rebuild everything from raw instead: clickstream refresh --raw-root" in err
    assert err.rstrip().endswith("--skip-freshness --full-refresh")
    assert "Compilation Error" not in err
    assert day_by_day.snapshot() == before
    assert day_by_day.query("select count(*) from audit.refresh_runs") == runs, "a refused request is not a run"


def test_a_day_after_an_unprocessed_one_is_refused(make_pipeline, capsys) -> None:
    pipeline = make_pipeline("gap")
    land_two_days(pipeline)
    assert pipeline.refresh("--date", DAY2) == 2
    err = capsys.readouterr().err
    assert "2024-01-10 before dt=2024-01-11 are not processed yet" in err
    assert "Process every pending day in order first: clickstream refresh --raw-root" in err
    assert not pipeline.paths.warehouse.exists()


def test_plain_dbt_still_refuses_an_earlier_day_in_the_macro(day_by_day: Pipeline, tmp_path) -> None:
    """refresh_batch_files() keeps the check for plain dbt, which does not go through the CLI."""
    result = day_by_day.dbt(
        "compile", "--select", "stg_click_events__files", "--vars", json.dumps({"run_date": DAY1}), work_dir=tmp_path
    )
    assert result.returncode != 0
    assert "earlier than the last processed landing day 2024-01-11" in result.stdout
    assert "clickstream refresh --full-refresh" in result.stdout


def test_a_run_that_crashes_midway_is_recovered_by_rerunning(make_pipeline, full: Pipeline) -> None:
    pipeline = make_pipeline("crash", raw_root=full.paths.raw_root)
    assert pipeline.refresh("--date", DAY1) == 0
    # fct_events (and everything before it) commits, then fct_sessions fails.
    assert pipeline.refresh("--date", DAY2, env={"CLICKSTREAM_FAIL_MODEL": "fct_sessions"}) == 1
    assert pipeline.query("select count(*) from main.fct_events where dt = ?", [datetime(2024, 1, 11).date()])[0][0] > 0
    assert pipeline.refresh() == 0, "the failed day is still pending and is processed again"
    assert pipeline.snapshot() == full.snapshot()


def test_plain_dbt_build_with_run_date_gives_the_same_tables(make_pipeline, full: Pipeline) -> None:
    pipeline = make_pipeline("plain_dbt", raw_root=full.paths.raw_root)
    pipeline.paths.warehouse.parent.mkdir(parents=True)
    # plain dbt reads only checked files: `clickstream check-files` first (refresh does it itself)
    assert (
        file_check.main(["--raw-root", str(pipeline.paths.raw_root), "--warehouse", str(pipeline.paths.warehouse)]) == 0
    )
    for day in (DAY1, DAY2):
        result = pipeline.dbt(
            "build", "--vars", json.dumps({"run_date": day}), work_dir=pipeline.paths.warehouse.parent
        )
        assert result.returncode == 0, result.stdout[-3000:]
    assert pipeline.snapshot() == full.snapshot()
