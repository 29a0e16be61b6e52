"""column_assertions: each model's not_null, accepted_values, unique, row-level expression_is_true
and unique_combination_of_columns tests run as one query in a refresh. Pinned here: it runs
exactly the tests the refresh leaves out, it gives the same verdicts and failure counts as the
tests themselves, and a refresh that fails on it names the failed tests."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import Pipeline
from test_incremental_sessions import DAY1, DAY2, land_two_days

from clickstream.pipeline.contract import dbt_target_path
from clickstream.pipeline.refresh import GROUPED_TESTS, RAW_FILE_TESTS_TAG

GROUPED_PREFIX = "test.clickstream.column_assertions_"


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    from clickstream.paths import PipelinePaths

    base = tmp_path_factory.mktemp("column_assertions")
    pipeline = Pipeline(PipelinePaths(base / "raw", base / "warehouse" / "clickstream.duckdb", base / "exports"))
    land_two_days(pipeline)
    assert pipeline.refresh("--skip-export") == 0
    return pipeline


def run_results(target_path: Path) -> list[dict]:
    return json.loads((target_path / "run_results.json").read_text())["results"]


def grouped_tests_in_manifest(target_path: Path, built: set[str]) -> set[str]:
    """The grouped tests of the nodes built (a refresh whose seeds are unchanged builds none of
    them: seed_state.py)."""
    manifest = json.loads((target_path / "manifest.json").read_text())
    return {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and (node.get("test_metadata") or {}).get("name") in GROUPED_TESTS
        and RAW_FILE_TESTS_TAG not in node["tags"]  # left out of refreshes (test_model_keys.py)
        and node.get("attached_node") in built
    }


def assertions_in(results: list[dict]) -> set[str]:
    """The tests named in the compiled SQL of the column_assertions nodes."""
    names = set()
    for result in results:
        if result["unique_id"].startswith(GROUPED_PREFIX):
            names |= set(re.findall(r"select '([^']+)' as assertion,", result["compiled_code"]))
    return names


def test_a_refresh_runs_every_grouped_column_test_once_inside_column_assertions(refreshed: Pipeline) -> None:
    target_path = dbt_target_path(refreshed.paths)
    results = run_results(target_path)
    expected = grouped_tests_in_manifest(target_path, {result["unique_id"] for result in results})
    assert len(expected) > 200  # the project's not_null, accepted_values, unique, expression and compound-key tests
    ran = {result["unique_id"].split(".")[2] for result in results}
    assert not expected & ran, "a grouped test also ran as its own node"
    assert assertions_in(results) == expected
    grouped_nodes = [r for r in results if r["unique_id"].startswith(GROUPED_PREFIX)]
    assert grouped_nodes and all(r["status"] == "pass" for r in grouped_nodes)


def test_column_assertions_give_the_verdicts_and_counts_of_the_tests_they_group(
    refreshed: Pipeline, tmp_path: Path, make_pipeline
) -> None:
    # a copy of the warehouse with NULLs and unexpected values in a few tested columns
    copy = make_pipeline("corrupted", raw_root=refreshed.paths.raw_root)
    copy.paths.warehouse.parent.mkdir(parents=True)
    copy.paths.warehouse.write_bytes(refreshed.paths.warehouse.read_bytes())
    with duckdb.connect(str(copy.paths.warehouse)) as con:
        con.execute(
            "update main.fct_events set os_family = null where event_id in (select event_id from main.fct_events limit 2)"
        )
        con.execute(
            "update main.fct_sessions set channel = case when session_id < (select median(session_id) from "
            "main.fct_sessions) then 'bogus' else 'weird' end"
        )
        con.execute("update main.agg_ingest_daily set blank_lines = null where dt = ?", [date.fromisoformat(DAY1)])
        # three events sharing one id; a crawler's event outside a bot session; a negative duration
        con.execute(
            "update main.fct_events set event_id = (select min(event_id) from main.fct_events) "
            "where event_id in (select event_id from main.fct_events order by event_id limit 3)"
        )
        con.execute(
            "update main.fct_events set is_bot = false, is_bot_user_agent = true "
            "where event_id in (select event_id from main.fct_events order by event_id desc limit 4)"
        )
        con.execute(
            "update main.fct_sessions set duration_seconds = -1 "
            "where session_id in (select session_id from main.fct_sessions order by session_id limit 5)"
        )
        # two compound keys (table_name, partition_date) held twice
        con.execute(
            "insert into intermediate.int_refresh_changed_partitions select * from "
            "intermediate.int_refresh_changed_partitions order by table_name, partition_date limit 2"
        )
    selection = [f"test_name:{name}" for name in GROUPED_TESTS] + ["test_name:column_assertions"]
    result = copy.dbt("test", "--select", *selection, work_dir=tmp_path / "dbt", env={"CLICKSTREAM_RUN_DATE": ""})
    assert result.returncode == 1, result.stdout[-3000:]
    results = run_results(tmp_path / "dbt" / "target")
    individual = {
        r["unique_id"].split(".")[2]: r["failures"]
        for r in results
        if r["status"] == "fail" and not r["unique_id"].startswith(GROUPED_PREFIX)
    }
    grouped = {}
    with duckdb.connect(str(copy.paths.warehouse), read_only=True) as con:
        for r in results:
            if r["unique_id"].startswith(GROUPED_PREFIX) and r["status"] == "fail":
                grouped |= {name: failures for name, _, _, failures in con.execute(r["compiled_code"]).fetchall()}
    assert individual["not_null_fct_events_os_family"] == 2
    assert individual["unique_fct_events_event_id"] == 1
    assert individual["fct_events__crawler_user_agent_makes_a_bot"] == 4
    assert individual["fct_sessions__duration_not_negative"] == 5
    assert individual["not_null_agg_ingest_daily_blank_lines"] == 1
    assert individual["unique_combination_of_columns_int_refresh_changed_partitions_table_name__partition_date"] == 2
    assert any(name.startswith("accepted_values_fct_sessions_channel") for name in individual)
    assert grouped == individual


def test_a_refresh_failing_on_column_assertions_names_each_failed_column_test(
    refreshed: Pipeline, make_pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = make_pipeline("failing", raw_root=refreshed.paths.raw_root)
    copy.paths.warehouse.parent.mkdir(parents=True)
    copy.paths.warehouse.write_bytes(refreshed.paths.warehouse.read_bytes())
    with duckdb.connect(str(copy.paths.warehouse)) as con:  # a day the re-run of DAY2 does not rewrite
        con.execute("update main.agg_ingest_daily set blank_lines = null where dt = ?", [date.fromisoformat(DAY1)])
    assert copy.refresh("--date", DAY2, "--skip-export") == 1
    err = capsys.readouterr().err
    assert "test.clickstream.column_assertions_agg_ingest_daily_" in err
    assert "    not_null_agg_ingest_daily_blank_lines: 1 failing row in column blank_lines" in err


def test_the_raw_file_key_tests_are_left_out_of_a_refresh_and_pass_when_run(
    refreshed: Pipeline, tmp_path: Path
) -> None:
    """stg_click_events__lines is a view over the raw files: its key tests (tag reads_raw_files)
    would read every raw file again, so a refresh leaves them out; run on their own, they pass."""
    refreshed_ids = {result["unique_id"] for result in run_results(dbt_target_path(refreshed.paths))}
    assert not {uid for uid in refreshed_ids if "stg_click_events__lines" in uid and uid.startswith("test.")}
    result = refreshed.dbt(
        "test", "--select", f"tag:{RAW_FILE_TESTS_TAG}", work_dir=tmp_path / "dbt", env={"CLICKSTREAM_RUN_DATE": ""}
    )
    assert result.returncode == 0, result.stdout[-3000:]
    ran = {r["unique_id"]: r["status"] for r in run_results(tmp_path / "dbt" / "target")}
    assert len(ran) == 5 and set(ran.values()) == {"pass"}, ran
    assert all("stg_click_events__lines" in uid for uid in ran)
