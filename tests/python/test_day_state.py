"""A landing day whose error-level data test failed stays pending (its rows are committed, but
the next plain refresh builds it again and exports it), the failure names the threshold var, its
value and the command that accepts the day; a run that died is closed as interrupted."""

from __future__ import annotations

import contextlib
import io
import shlex
import uuid
from pathlib import Path

import duckdb
import pytest
from conftest import Pipeline
from test_observability import noisy_day

from clickstream.paths import PipelinePaths
from clickstream.pipeline import contract, refresh

DAY = "2024-02-01"
STRICT = "{quality_min_lines: 10}"  # 40 % quarantined > quarantine_rate_error (0.25): the test fails


@pytest.fixture(scope="module")
def failed_day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pipeline, str]:
    """A pipeline whose only landing day failed agg_ingest_daily__quarantine_rate_error; with the
    refresh's stderr."""
    base = tmp_path_factory.mktemp("day_state")
    pipeline = Pipeline(PipelinePaths(base / "raw", base / "warehouse" / "clickstream.duckdb", base / "exports"))
    noisy_day(pipeline, DAY, valid=60, bad=40)
    buffer = io.StringIO()  # (capsys is function-scoped)
    with contextlib.redirect_stderr(buffer):
        assert pipeline.refresh("--vars", STRICT) == 1
    return pipeline, buffer.getvalue()


def exported_days(export_root: Path) -> list[str]:
    return sorted(p.name for p in (export_root / "fct_events").glob("event_date=*"))


def test_a_failed_quality_test_names_its_var_its_value_and_the_command_to_accept_the_day(failed_day) -> None:
    pipeline, err = failed_day
    assert "agg_ingest_daily__quarantine_rate_error" in err
    assert "var quarantine_rate_error = 0.25 (dbt_project.yml), quality_min_lines = 10 (--vars)" in err
    assert "stays pending" in err
    assert f"--date {DAY} --vars '{{quality_min_lines: 10, quarantine_rate_error: 0.5}}'" in err
    # committed but not processed: not exported, and pending
    assert pipeline.query("select cast(dt as string) from main.agg_ingest_daily") == [(DAY,)]
    assert refresh.processed_days(pipeline.paths, "dev") == []
    assert exported_days(pipeline.paths.export_root) == []


def test_the_failed_day_stays_pending_until_accepted_then_it_is_exported(failed_day, capsys) -> None:
    pipeline, err = failed_day
    capsys.readouterr()
    # the next plain refresh builds the day again (it used to say "Nothing to do"), and fails again
    assert pipeline.refresh("--vars", STRICT) == 1
    out, again = capsys.readouterr()
    assert f"dt={DAY} is pending: its last build" in out and "quarantine_rate_error" in out
    assert "Nothing to do" not in out and "quarantine_rate_error = 0.25" in again
    # the printed command accepts it, and exports it
    command = next(line for line in err.splitlines() if line.startswith("To accept"))
    words = shlex.split(command.split(": ", 1)[1])
    assert words[:2] == ["clickstream", "refresh"]
    # a run that died without recording its end is closed as interrupted by the next run
    dead = uuid.uuid4().hex
    with duckdb.connect(str(pipeline.paths.warehouse)) as con:
        con.execute(
            "insert into audit.refresh_runs (run_id, started_at, status, mode) "
            "values (?, now()::timestamp, 'running', 'pending_days')",
            [dead],
        )
    assert refresh.main(words[2:]) == 0
    assert f"dt={DAY}: lines read 100" in capsys.readouterr().out
    assert exported_days(pipeline.paths.export_root) == [f"event_date={DAY}"]
    assert refresh.processed_days(pipeline.paths, "dev") == [DAY]
    assert pipeline.query("select status from audit.refresh_runs where run_id = ?", [dead]) == [("interrupted",)]
    assert pipeline.refresh("--vars", STRICT) == 0
    assert "Nothing to do" in capsys.readouterr().out


def test_a_failed_full_refresh_is_resumed_only_by_a_full_refresh() -> None:
    failed = {DAY: refresh.FailedBuild("r1", "full_refresh", ("test.clickstream.x",))}
    with pytest.raises(refresh.RefusedRequest, match="clickstream refresh --full-refresh"):
        refresh.check_failed_full_refresh(failed, "clickstream refresh", [])
    refresh.check_failed_full_refresh({DAY: refresh.FailedBuild("r1", "date", ("t",))}, "clickstream refresh", [])


def test_each_error_level_threshold_test_names_its_var_from_the_manifest() -> None:
    nodes = contract.project_manifest()["nodes"].values()
    first_var = {
        node["name"]: refresh.test_threshold_vars(node)[0]
        for node in nodes
        if node["resource_type"] == "test"
        and node["config"].get("severity", "").lower() == "error"
        and refresh.test_threshold_vars(node)
    }
    assert first_var == {
        "agg_ingest_daily__quarantine_rate_error": "quarantine_rate_error",
        "agg_ingest_daily__duplicate_rate_error": "duplicate_rate_error",
        "agg_ingest_daily__volume_drop_error": "volume_drop_error_ratio",
        "agg_ingest_daily__files_quarantined_above_file_quarantine_error_count": "file_quarantine_error_count",
        "fct_sessions__sessions_per_user_day_outliers": "max_outlier_users",
    }
