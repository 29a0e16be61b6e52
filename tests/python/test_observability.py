"""Run audit, quality thresholds (warn / error, failing rows stored) and freshness: what a
refresh records and prints, on real runs."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Pipeline, event
from test_incremental_sessions import DAY1, DAY2, land_two_days

from clickstream.paths import lander_temporary_name
from clickstream.pipeline.contract import project_manifest
from clickstream.pipeline.dbt_process import dbt_command
from clickstream.pipeline.refresh import landing_freshness


def noisy_day(pipeline: Pipeline, dt: str, valid: int, bad: int, duplicates: int = 0, prefix: str = "") -> None:
    lines = [event(f"{prefix}{dt}-{i}", f"u{i % 7}", f"{dt}T{10 + i % 10:02d}:{i % 60:02d}:00Z") for i in range(valid)]
    lines += [b"not json"] * bad
    lines += [
        event(f"{prefix}{dt}-{i}", f"u{i % 7}", f"{dt}T{10 + i % 10:02d}:{i % 60:02d}:00Z") for i in range(duplicates)
    ]
    pipeline.land(dt, "a.jsonl", lines)


def test_a_successful_run_is_audited_per_run_day_and_dbt_node(make_pipeline) -> None:
    pipeline = make_pipeline("audit")
    land_two_days(pipeline)
    assert pipeline.refresh() == 0
    runs = pipeline.query(
        "select status, mode, landing_days, versions, seconds, ended_at >= started_at from audit.refresh_runs"
    )
    assert len(runs) == 1
    status, mode, days, versions, seconds, ordered = runs[0]
    assert (status, mode, days, ordered) == ("success", "pending_days", f"{DAY1},{DAY2}", True)
    assert {"python", "duckdb", "dbt-core", "dbt-duckdb"} <= set(json.loads(versions)) and seconds > 0
    audited = pipeline.query(
        "select dt, lines_read, valid_events, duplicate_lines from audit.refresh_run_days order by dt"
    )
    assert audited == pipeline.query(
        "select dt, lines_read, valid_events, duplicate_lines from main.agg_ingest_daily order by dt"
    )
    # day 2 bridges u4's two sessions (2 deleted... one kept id, one gone) and renames u5's session
    [(inserted, updated, deleted)] = pipeline.query(
        "select sessions_inserted, sessions_updated, sessions_deleted from audit.refresh_run_days where dt = ?",
        [date.fromisoformat(DAY2)],
    )
    assert deleted >= 2 and inserted >= 1 and updated >= 1
    nodes = dict(
        pipeline.query(
            "select node_id, status from audit.refresh_run_steps where step = ? and node_id like 'model.%'",
            [f"dbt build dt={DAY2}"],
        )
    )
    assert nodes["model.clickstream.fct_sessions"] == "success"
    assert pipeline.query("select count(*) from audit.refresh_run_steps where step like 'export%'")[0][0] == 2
    assert pipeline.refresh() == 0
    assert pipeline.query("select status from audit.refresh_runs order by started_at") == [
        ("success",),
        ("nothing_to_do",),
    ]


def test_refresh_runs_the_dbt_unit_tests_only_when_asked(make_pipeline) -> None:
    pipeline = make_pipeline("unit_tests")
    land_two_days(pipeline)

    def tests_run(step: str) -> dict[str, set[str]]:
        rows = pipeline.query(
            "select split_part(node_id, '.', 1), status from audit.refresh_run_steps where step = ? "
            "and (node_id like 'test.%' or node_id like 'unit_test.%')",
            [step],
        )
        return {kind: {status for k, status in rows if k == kind} for kind in {k for k, _ in rows}}

    assert pipeline.refresh("--date", DAY1) == 0
    assert tests_run(f"dbt build dt={DAY1}").keys() == {"test"}  # data tests only
    assert pipeline.refresh("--date", DAY2, "--unit-tests") == 0
    assert tests_run(f"dbt build dt={DAY2}") == {"test": {"pass"}, "unit_test": {"pass"}}
    ran = pipeline.query(
        "select count(distinct node_id) from audit.refresh_run_steps where step = ? and node_id like 'unit_test.%'",
        [f"dbt build dt={DAY2}"],
    )[0][0]
    assert ran == len(project_manifest()["unit_tests"]) >= 19  # every unit test of the project ran


def test_a_failed_run_is_audited_with_its_error(make_pipeline) -> None:
    pipeline = make_pipeline("audit_failed")
    land_two_days(pipeline)
    assert pipeline.refresh("--date", DAY1, env={"CLICKSTREAM_FAIL_MODEL": "fct_events"}) == 1
    [(status, error)] = pipeline.query("select status, error_message from audit.refresh_runs")
    assert status == "failed" and "Injected failure in fct_events" in error
    assert pipeline.query(
        "select status from audit.refresh_run_steps where node_id = 'model.clickstream.fct_events'"
    ) == [("error",)]


def test_an_error_level_quality_threshold_fails_the_refresh_and_stores_failing_rows(make_pipeline, capsys) -> None:
    pipeline = make_pipeline("quality_error")
    noisy_day(pipeline, "2024-02-01", valid=60, bad=40)  # 40 % quarantined
    assert pipeline.refresh("--vars", "{quality_min_lines: 10}") == 1
    err = capsys.readouterr().err
    assert "agg_ingest_daily__quarantine_rate_error" in err
    assert '"quality_failures"."agg_ingest_daily__quarantine_rate_error"' in err
    assert "This batch brought 1 new file(s) to 2024-02-01: click_events/dt=2024-02-01/a.jsonl" in err
    rows = pipeline.query(
        "select dt, numerator_value, denominator_value from quality_failures.agg_ingest_daily__quarantine_rate_error"
    )
    assert rows == [(date(2024, 2, 1), 40, 100)]


def test_a_small_day_is_not_judged_by_rate_thresholds(make_pipeline) -> None:
    pipeline = make_pipeline("quality_small")
    noisy_day(pipeline, "2024-02-01", valid=6, bad=4)  # 40 %, but only 10 lines < quality_min_lines (1000)
    assert pipeline.refresh() == 0


def test_a_warning_level_threshold_is_printed_but_does_not_fail(make_pipeline, capsys) -> None:
    pipeline = make_pipeline("quality_warn")
    noisy_day(pipeline, "2024-02-01", valid=90, bad=0, duplicates=10)  # 10 % duplicates: warn, not error
    assert pipeline.refresh("--vars", "{quality_min_lines: 10}") == 0
    out = capsys.readouterr().out
    assert "quality warnings:" in out and "agg_ingest_daily__duplicate_rate_warn" in out


def test_a_day_far_below_its_trailing_week_is_a_volume_anomaly(make_pipeline, capsys) -> None:
    pipeline = make_pipeline("volume")
    for day in range(1, 5):
        noisy_day(pipeline, f"2024-02-0{day}", valid=100, bad=0)
    assert pipeline.refresh("--full-refresh") == 0  # the trailing week, in one build
    noisy_day(pipeline, "2024-02-05", valid=5, bad=0, prefix="late-")
    assert pipeline.refresh() == 1
    err = capsys.readouterr().err
    assert "agg_ingest_daily__volume_drop_error" in err
    assert pipeline.query("select dt from quality_failures.agg_ingest_daily__volume_drop_error") == [
        (date(2024, 2, 5),)
    ]


def test_freshness_is_checked_and_printed_and_stale_files_are_an_error(make_pipeline, capsys) -> None:
    pipeline = make_pipeline("freshness")
    noisy_day(pipeline, "2024-02-01", valid=5, bad=0)
    assert pipeline.refresh(freshness=True) == 0
    assert "freshness: raw.click_events pass" in capsys.readouterr().out
    stale = time.time() - 60 * 3600
    for path in pipeline.paths.raw_root.rglob("*.jsonl"):
        os.utime(path, (stale, stale))
    assert pipeline.refresh("--date", "2024-02-01", freshness=True) == 0
    assert "freshness: raw.click_events error" in capsys.readouterr().out
    [(freshness,)] = pipeline.query("select freshness from audit.refresh_runs order by started_at desc limit 1")
    built = json.loads(freshness)["raw.click_events"]
    assert built["status"] == "error"
    # With nothing new, no dbt starts: the refresh judges the landing zone the same way.
    latest = "select status, freshness from audit.refresh_runs order by started_at desc limit 1"
    assert pipeline.refresh(freshness=True) == 0
    output = capsys.readouterr().out
    assert "Nothing to do" in output and "freshness: raw.click_events error (newest landed file 2.5 days old)" in output
    [(status, freshness)] = pipeline.query(latest)
    said = json.loads(freshness)["raw.click_events"]
    assert status == "nothing_to_do" and said["status"] == "error"
    assert abs(said["age_hours"] - built["age_hours"]) < 0.1
    thresholds = {"raw_freshness_warn_after_hours": 59, "raw_freshness_error_after_hours": 61}
    assert pipeline.refresh("--vars", json.dumps(thresholds), freshness=True) == 0
    assert "freshness: raw.click_events warn" in capsys.readouterr().out


@pytest.mark.parametrize(("hours_old", "status"), [(1, "pass"), (30, "warn"), (55, "error")])
def test_the_refresh_judges_freshness_as_dbt_source_freshness_does(
    make_pipeline, tmp_path: Path, hours_old: int, status: str
) -> None:
    """The refresh applies the source's freshness rule itself (landing_freshness); the real
    `dbt source freshness --target landing` gives the same status and newest file. The newest of
    two landed files decides; files the refresh does not read count for neither."""
    pipeline = make_pipeline(f"freshness-{status}")
    newest = time.time() - hours_old * 3600
    for name, mtime in (("old.jsonl", newest - 3 * 86400), ("new.jsonl.gz", newest)):
        path = pipeline.land("2024-02-01", name, [b"{}"])
        os.utime(path, (mtime, mtime))
    # newer than both, and not landed raw files: a lander's temporary, another extension, a day
    # folder that is no calendar date (the refresh reads none of them: paths.raw_files)
    pipeline.land("2024-02-02", lander_temporary_name("click_events+0+0000000009.jsonl", 4242), [b"{}"])
    pipeline.land("2024-02-02", "copy.jsonl.bak", [b"{}"])
    pipeline.land("2024-02-30", "a.jsonl", [b"{}"])
    dbt = dbt_command(pipeline.paths, ["source", "freshness"], "landing", tmp_path / "target", tmp_path / "logs")
    dbt.env["CLICKSTREAM_RAW_ROOT"] = str(pipeline.paths.raw_root)
    result = dbt.run()
    assert result.returncode == (1 if status == "error" else 0), result.stdout[-3000:]
    [source] = json.loads((tmp_path / "target" / "sources.json").read_text())["results"]
    ours = landing_freshness(pipeline.paths)["raw.click_events"]
    assert (ours["status"], source["status"]) == (status, status)
    newest_file = datetime.fromtimestamp(newest, UTC)
    for said in (ours["max_loaded_at"], source["max_loaded_at"]):
        assert abs(datetime.fromisoformat(said).replace(tzinfo=UTC) - newest_file) < timedelta(seconds=1), said
    assert abs(ours["age_hours"] - hours_old) < 0.05
