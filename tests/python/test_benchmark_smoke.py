"""scripts/benchmark.py --smoke runs end to end and reports every figure, so the benchmark never
rots. No timing is asserted: performance is measured by the benchmark, never by tests."""

from __future__ import annotations

import json
import numbers
from datetime import date, timedelta
from pathlib import Path

import benchmark
import pytest

pytestmark = pytest.mark.slow

PARTS = ("lower_bound", "full_refresh", "daily_refresh", "pandas_peer", "duckdb_floor")


def is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    work = tmp_path_factory.mktemp("bench")
    json_path = work / "report" / "benchmark.json"
    assert benchmark.main(["--smoke", "--work-dir", str(work / "work"), "--json", str(json_path)]) == 0
    return json.loads(json_path.read_text()), work / "work"


def test_every_figure_is_reported(report) -> None:
    data, _ = report
    lower, full, daily, peer, floor = (data[part] for part in PARTS)
    for figure in (
        "seconds",
        "events_per_second",
        "raw_lines_per_second",
        "peak_rss_bytes",
        "valid_events",
        "raw_lines",
        "sessions",
    ):
        assert is_number(full[figure]) and full[figure] > 0, figure
    for figure in (
        "wall_seconds",
        "dbt_run_seconds",
        "export_seconds",
        "fixed_overhead_seconds",
        "startup_until_dbt_invocation_seconds",
        "dbt_parse_and_setup_seconds",
        "after_dbt_run_seconds",
        "data_tests_seconds",
        "unit_tests_seconds",
        "dbt_end_to_export_seconds",
        "dbt_source_freshness_seconds",
    ):
        assert is_number(full["breakdown"][figure]), figure
        assert is_number(daily["breakdown_last_day"][figure]), figure
    assert set(full["breakdown"]["models"]) >= {"fct_events", "fct_sessions", "int_events_sessionized"}
    assert all(is_number(seconds) for seconds in full["breakdown"]["models"].values())
    assert [day["dt"] for day in daily["days"]] == [
        (date(2024, 3, 1) + timedelta(days=i)).isoformat() for i in range(benchmark.SMOKE_DAYS)
    ]
    assert all(is_number(day["seconds"]) and day["seconds"] > 0 for day in daily["days"])
    for figure in (
        "second_day_seconds",
        "last_day_seconds",
        "last_to_second_ratio",
        "last_to_steady_state_ratio",
        "total_seconds",
        "peak_rss_bytes",
        "cpu_seconds",
    ):
        assert is_number(daily[figure]) and daily[figure] > 0, figure
    assert is_number(lower["seconds"]) and lower["lines"] == full["raw_lines"]
    assert is_number(peer["seconds"]) and is_number(peer["peak_rss_bytes"]) and is_number(peer["cpu_seconds"])
    assert all(is_number(data[part]["other_cpu_share"]) for part in ("full_refresh", "daily_refresh", "pandas_peer"))
    assert is_number(data["full_refresh_to_lower_bound"]) and is_number(data["speedup_over_pandas"])
    for variant, memory_limit in (("memory_limited", benchmark.pipeline_memory_limit()), ("unlimited", "none")):
        assert floor[variant]["memory_limit"] == memory_limit
        for figure in ("seconds", "statement_seconds", "events_per_second", "peak_rss_bytes", "events", "sessions"):
            assert is_number(floor[variant][figure]) and floor[variant][figure] > 0, (variant, figure)
    assert is_number(data["floor_speedup_over_pandas"]) and is_number(data["full_refresh_to_floor"])
    # the floor applies the pipeline's rules: its counts are the full refresh's
    assert floor["memory_limited"]["quarantined_lines"] == sum(floor["memory_limited"]["quarantined"].values())
    assert (
        floor["memory_limited"]["events"] == full["valid_events"] and floor["unlimited"]["sessions"] == full["sessions"]
    )
    kafka = data["kafka_lander"]  # the Kafka lander's throughput, from a real local broker
    assert kafka["messages"] > 0 and is_number(kafka["messages_per_second"]) and kafka["messages_per_second"] > 0


def test_each_part_says_how_many_runs(report) -> None:
    data, _ = report
    for part in PARTS:
        assert data[part]["runs"] == 1  # --smoke: one run of each
        assert data["settings"]["runs"][part] == 1


def test_targets_machine_and_versions(report) -> None:
    data, _ = report
    assert [t["name"] for t in data["targets"]] == [
        "full_refresh_events_per_second",
        "peak_rss_bytes",
        "daily_last_to_second_ratio",
        "speedup_over_pandas",
    ]
    assert all(isinstance(t["pass"], bool) and is_number(t["value"]) for t in data["targets"])
    # the DuckDB floor's figure beside each target it can reach (all but flatness: it has no daily mode)
    assert [t["name"] for t in data["targets"] if "duckdb_floor_pass" in t] == [
        "full_refresh_events_per_second",
        "peak_rss_bytes",
        "speedup_over_pandas",
    ]
    assert all(
        isinstance(t["duckdb_floor_pass"], bool) and is_number(t["duckdb_floor_value"])
        for t in data["targets"]
        if "duckdb_floor_pass" in t
    )
    assert (
        data["machine"]["logical_cores"] >= 1 and data["machine"]["memory_bytes"] > 0 and data["machine"]["cpu_model"]
    )
    assert set(data["versions"]) >= {"python", "duckdb", "dbt-core", "dbt-duckdb", "pandas"}


def test_the_runs_did_the_same_work(report) -> None:
    data, _ = report
    assert data["consistency"]["all_agree"], data["consistency"]
    assert data["consistency"]["peer_sessions"] == data["full_refresh"]["sessions"]
    assert data["consistency"]["floor_vs_full_session_differences"] == 0
    assert data["consistency"]["floor_vs_full_count_differences"] == {}


def test_bulky_data_is_removed_without_keep(report) -> None:
    _, work = report
    assert sorted(p.name for p in work.iterdir()) == ["logs"]


def test_bad_arguments_are_refused() -> None:
    assert benchmark.main(["--days", "1"]) == 2
    assert benchmark.main(["--work-dir", str(benchmark.PROJECT_ROOT / "data" / "bench")]) == 2
