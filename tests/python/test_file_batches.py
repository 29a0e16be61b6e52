"""File-level batches: a refresh processes every landed file it has not processed yet, records
each one (audit.processed_files), refuses a processed file that changed, and gives the tables a
full refresh of the same landing zone gives."""

from __future__ import annotations

import contextlib
import io
import json
import os
from datetime import UTC, datetime, time, timedelta

import duckdb
from conftest import Pipeline, event, exported_files

DAY0, DAY1, DAY2 = "2024-01-09", "2024-01-10", "2024-01-11"


def refresh_output(pipeline: Pipeline, *args: str) -> tuple[int, str]:
    """Run `clickstream refresh` and return its exit code and what it printed (stdout + stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = pipeline.refresh(*args)
    return code, out.getvalue() + err.getvalue()


def land_first_day(pipeline: Pipeline) -> None:
    pipeline.land(
        DAY1,
        "click_events+0+0000000000.jsonl",
        [
            event("e1", "u1", f"{DAY1}T10:00:00Z", page_url="/from-b-file"),
            event("e2", "u1", f"{DAY1}T10:05:00Z"),
            event("e3", "u2", f"{DAY1}T11:00:00Z"),
        ],
    )


def test_a_file_landed_for_the_last_processed_day_is_processed_and_moves_the_first_landed_copy(
    make_pipeline,
) -> None:
    incremental = make_pipeline("incremental")
    land_first_day(incremental)
    assert incremental.refresh() == 0
    # Later, a file whose name sorts before the processed one lands for the same day: its copy
    # of e1 is now the first landed copy, as a full refresh of the landing zone would say.
    incremental.land(
        DAY1,
        "a.jsonl",
        [
            event("e1", "u1", f"{DAY1}T10:00:00Z", page_url="/from-a-file"),
            event("e4", "u3", f"{DAY1}T12:00:00Z"),
        ],
    )
    assert incremental.refresh() == 0
    assert incremental.query("select page_url, file_name from main.fct_events where event_id = 'e1'") == [
        ("/from-a-file", "a.jsonl")
    ]
    recorded = incremental.query("select file_name from audit.processed_files order by file_name, processed_at")
    assert recorded == [("a.jsonl",), ("click_events+0+0000000000.jsonl",), ("click_events+0+0000000000.jsonl",)]

    full = make_pipeline("full", raw_root=incremental.paths.raw_root)
    assert full.refresh("--full-refresh") == 0
    assert incremental.snapshot() == full.snapshot()


def test_a_rerun_with_nothing_new_starts_no_dbt_build_and_a_removed_file_is_a_warning(pipeline: Pipeline) -> None:
    land_first_day(pipeline)
    extra = pipeline.land(DAY1, "z.jsonl", [event("e7", "u5", f"{DAY1}T16:00:00Z")])
    assert pipeline.refresh() == 0
    code, output = refresh_output(pipeline)
    assert code == 0
    assert "Nothing to do: every landed file" in output and "no longer in the landing zone" not in output
    [(status, invocations)] = pipeline.query(
        "select status, dbt_invocation_ids from audit.refresh_runs order by started_at desc limit 1"
    )
    assert (status, invocations) == ("nothing_to_do", "")
    extra.unlink()
    code, output = refresh_output(pipeline)
    assert code == 0
    assert "no longer in the landing zone" in output and "z.jsonl" in output and "Nothing to do" in output
    assert pipeline.query("select count(*) from main.fct_events where event_id = 'e7'") == [(1,)]


def test_a_processed_file_that_changed_is_refused_naming_it_and_a_touched_one_is_not(pipeline: Pipeline) -> None:
    land_first_day(pipeline)
    assert pipeline.refresh() == 0
    path = pipeline.paths.raw_root / "click_events" / f"dt={DAY1}" / "click_events+0+0000000000.jsonl"
    body = path.read_bytes()

    def touch() -> None:
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    touch()  # a new modification time, the same bytes: not a change
    code, output = refresh_output(pipeline)
    assert code == 0 and "Nothing to do" in output, output
    before = pipeline.snapshot()
    for changed in (body + event("e9", "u9", f"{DAY1}T13:00:00Z") + b"\n", body.replace(b"u2", b"u7")):
        path.write_bytes(changed)
        touch()
        code, output = refresh_output(pipeline)
        assert code == 2, output
        assert str(path) in output and "never change" in output and "--full-refresh" in output
        assert pipeline.snapshot() == before
    # the explicit rebuild from raw reads the file as it is now, and records it
    assert pipeline.refresh("--full-refresh") == 0
    assert pipeline.query("select count(*) from main.fct_events where user_id = 'u7'") == [(1,)]
    code, output = refresh_output(pipeline)
    assert code == 0 and "Nothing to do" in output


def test_files_landed_late_for_older_days_replay_the_later_days_as_a_full_refresh_would(make_pipeline) -> None:
    incremental = make_pipeline("incremental")
    land_first_day(incremental)
    incremental.land(
        DAY2,
        "click_events+0+0000000001.jsonl",
        [
            event("e5", "u1", f"{DAY1}T23:55:00Z", page_url="/day2-copy"),
            event("e8", "u2", f"{DAY2}T00:10:00Z"),
            event("e9", "u3", f"{DAY0}T23:00:00Z", page_url="/day2-copy"),
        ],
    )
    assert incremental.refresh() == 0
    # Then a file lands late for day 1, with an earlier-landed copy of e5 and an event that joins
    # u2's day-2 session across midnight; later a whole day before both, with a copy of e9.
    late = incremental.land(
        DAY1,
        "late.jsonl",
        [
            event("e5", "u1", f"{DAY1}T23:55:00Z", page_url="/late-copy"),
            event("e6", "u2", f"{DAY1}T23:50:00Z"),
        ],
    )
    code, output = refresh_output(incremental)
    assert code == 0, output
    assert (
        f"1 file(s) landed for the processed day dt={DAY1} since: {late.relative_to(late.parents[2]).as_posix()}"
        in output
    )
    assert f"Processing landing days {DAY1}, {DAY2} again in one batch" in output
    incremental.land(
        DAY0, "click_events+0+0000000002.jsonl", [event("e9", "u3", f"{DAY0}T23:00:00Z", page_url="/day0")]
    )
    code, output = refresh_output(incremental)
    assert code == 0, output
    assert f"dt={DAY0} landed after later days were processed" in output
    assert f"Processing landing days {DAY0}, {DAY1}, {DAY2} again in one batch" in output
    kept = incremental.query("select event_id, page_url, cast(dt as string) from main.fct_events order by event_id")
    assert ("e5", "/late-copy", DAY1) in kept and ("e9", "/day0", DAY0) in kept
    assert incremental.query("select event_id, cast(dt as string) from main.duplicate_events order by 1") == [
        ("e5", DAY2),
        ("e9", DAY2),
    ]
    [(sessions,)] = incremental.query(
        "select count(distinct session_id) from main.fct_events where event_id in ('e6', 'e8')"
    )
    assert sessions == 1
    code, output = refresh_output(incremental)
    assert code == 0 and "Nothing to do" in output, output

    full = make_pipeline("full", raw_root=incremental.paths.raw_root)
    assert full.refresh("--full-refresh") == 0
    assert incremental.snapshot() == full.snapshot()
    assert exported_files(incremental.paths.export_root) == exported_files(full.paths.export_root)


def test_a_late_file_is_refused_when_a_processed_file_of_a_replayed_day_is_gone(pipeline: Pipeline) -> None:
    land_first_day(pipeline)
    gone = pipeline.land(DAY2, "click_events+0+0000000001.jsonl", [event("e5", "u1", f"{DAY2}T09:00:00Z")])
    assert pipeline.refresh() == 0
    gone.unlink()
    pipeline.land(DAY1, "late.jsonl", [event("e6", "u4", f"{DAY1}T15:00:00Z")])
    before = pipeline.snapshot()
    code, output = refresh_output(pipeline)
    assert code == 2, output
    assert gone.relative_to(pipeline.paths.raw_root).as_posix() in output and "--full-refresh" in output
    assert pipeline.snapshot() == before


def test_a_day_still_landing_is_judged_by_the_error_thresholds_only_once_complete(make_pipeline) -> None:
    # A day's first files can have a rate its complete day would not: the error-level thresholds
    # judge only complete days (end of the UTC day + landing_day_grace_minutes), warn-level ones
    # judge at once; the refresh after the day completes builds it once more, judged then.
    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    bad = [b"not json"] * 8
    pipeline = make_pipeline("landing")
    pipeline.land(today.isoformat(), "a.jsonl", [event("t1", "u1", f"{today}T00:00:01Z"), *bad])
    code, output = refresh_output(pipeline, "--vars", json.dumps({"quality_min_lines": 1}))
    assert code == 0, output
    assert "agg_ingest_daily__quarantine_rate_warn" in output

    closing = make_pipeline("closing")
    closing.land(yesterday.isoformat(), "a.jsonl", [event("y1", "u1", f"{yesterday}T12:00:00Z"), *bad])
    # processed while it was still landing: with a grace of two days, yesterday is still landing
    code, output = refresh_output(
        closing, "--vars", json.dumps({"quality_min_lines": 1, "landing_day_grace_minutes": 2880})
    )
    assert code == 0, output
    with duckdb.connect(str(closing.paths.warehouse)) as con:
        con.execute("update audit.processed_files set processed_at = ?", [datetime.combine(yesterday, time(12))])
    code, output = refresh_output(
        closing, "--vars", json.dumps({"quality_min_lines": 1, "landing_day_grace_minutes": 0})
    )
    assert code == 1, output
    assert f"dt={yesterday} was last processed while it was still landing" in output
    assert "agg_ingest_daily__quarantine_rate_error" in output


def test_a_file_landed_between_the_refreshs_check_and_dbt_is_left_for_the_next_refresh(pipeline: Pipeline) -> None:
    # A live lander keeps landing while a refresh runs: a file that appears after the refresh
    # checked its days (file-level quarantine) and before dbt lists the landing zone is not read
    # unchecked, nor an error: the next refresh takes it.
    from clickstream.ingest import file_check
    from clickstream.pipeline import processed_files, refresh

    land_first_day(pipeline)
    file_check.ensure_checked(pipeline.paths, [DAY1])
    pipeline.land(DAY1, "landed_meanwhile.jsonl", [event("m1", "u8", f"{DAY1}T14:00:00Z")])
    refresh.run_dbt_build(pipeline.paths, DAY1, False, None)
    processed_files.record_batch(pipeline.paths, "dev", "a-run")
    assert pipeline.query("select count(*) from main.fct_events where event_id = 'm1'") == [(0,)]
    assert pipeline.refresh() == 0
    assert pipeline.query("select count(*) from main.fct_events where event_id = 'm1'") == [(1,)]


def test_a_large_batch_is_built_with_one_dbt_thread_unless_threads_are_chosen(pipeline: Pipeline, monkeypatch) -> None:
    # threshold 2 KB here (1 GB by default): two concurrent DuckDB statements split the cores and
    # the memory limit, which only small batches gain from
    from clickstream.pipeline.refresh import batch_threads

    monkeypatch.delenv("CLICKSTREAM_DBT_THREADS", raising=False)
    pipeline.land(DAY1, "a.jsonl", [event(f"e{i}", "u1", f"{DAY1}T10:00:00Z") for i in range(30)])
    pipeline.land(DAY2, "a.jsonl", [event("f1", "u1", f"{DAY2}T10:00:00Z")])
    (pipeline.paths.raw_root / "click_events" / f"dt={DAY2}" / "notes.txt").write_bytes(b"x" * 4096)  # unread
    assert batch_threads(pipeline.paths, [DAY1], None, "dev", 2048) == 1
    assert batch_threads(pipeline.paths, [DAY1, DAY2], None, "dev", 2048) == 1
    assert batch_threads(pipeline.paths, [DAY2], None, "dev", 2048) is None  # the profile's 2
    assert batch_threads(pipeline.paths, [DAY1], 2, "dev", 2048) == 2  # --threads
    assert batch_threads(pipeline.paths, [DAY1], None, "spark_cluster", 2048) is None
    monkeypatch.setenv("CLICKSTREAM_DBT_THREADS", "2")
    assert batch_threads(pipeline.paths, [DAY1], None, "dev", 2048) is None
