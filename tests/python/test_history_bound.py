"""A daily run reads only the recent history a batch can touch, yet a session that runs over
several landing days comes out whole and equal to a full refresh (its own module: five daily runs
and a full refresh, so pytest-xdist can run it beside test_incremental_sessions.py)."""

from __future__ import annotations

from datetime import datetime

from conftest import event


def test_a_daily_run_reads_only_recent_history_yet_keeps_multi_day_sessions_whole(make_pipeline) -> None:
    """A daily run reads the stored events from the earliest start of a session it can touch
    (minus the clock skew), not all history: a session running for three and a half days, whose
    first event landed the day before its UTC date (within the clock skew), still comes out
    whole and equal to a full refresh, and the last run's SQL carries the bound."""
    days = ["2024-01-31", "2024-02-01", "2024-02-02", "2024-02-03", "2024-02-04"]
    step = datetime(2024, 2, 1, 0, 20) - datetime(2024, 2, 1)
    stamps = [datetime(2024, 2, 1, 0, 5) + step * i for i in range(3 * 72 + 37)]  # until 2024-02-04T12:05
    daily = make_pipeline("bounded")
    for index, day in enumerate(days):
        # the first event (00:05) lands 5 minutes early, on 2024-01-31; the others on their UTC day
        lines = [
            event(f"long-{i:03d}", "u_long", f"{ts.isoformat()}Z")
            for i, ts in enumerate(stamps)
            if (days[0] if i == 0 else ts.date().isoformat()) == day
        ]
        if day == "2024-02-01":
            lines.append(event("old-1", "u_old", "2024-02-01T09:00:00Z"))  # a user only the late event touches
        if day == "2024-02-04":
            lines.append(event("late-1", "u_old", "2024-02-01T09:10:00Z"))  # 3 days late: joins u_old's session
        daily.land(day, f"click_events+0+{index:010d}.jsonl", lines)
    assert daily.refresh() == 0  # five daily runs, in order
    full = make_pipeline("bounded-full", raw_root=daily.paths.raw_root)
    assert full.refresh("--full-refresh") == 0
    assert daily.snapshot() == full.snapshot()
    assert daily.query("select count(*), count(distinct session_id) from main.fct_events where user_id = 'u_long'") == [
        (253, 1)
    ]
    assert daily.query("select event_count from main.fct_sessions where user_id = 'u_old'") == [(2,)]
    compiled = next(daily.paths.warehouse.parent.rglob("run/**/int_events_sessionized.sql")).read_text()
    # the earliest touched session starts 2024-02-01T00:05; minus the 10-minute skew: 2024-01-31
    assert "dt >= date '2024-01-31'" in compiled
