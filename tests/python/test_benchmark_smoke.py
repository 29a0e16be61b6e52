"""scripts/benchmark.py --smoke runs end to end on both data shapes and reports every figure, so
the benchmark never rots (its --scale run: test_benchmark_scale.py). No timing is asserted:
performance is measured by the benchmark, never by tests."""

from __future__ import annotations

import json
import numbers
from datetime import date, timedelta
from pathlib import Path

import benchmark
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.benchmark]

PARTS = ("lower_bound", "full_refresh", "daily_refresh", "pandas_peer", "duckdb_floor")
SHAPES = ("default", "session-heavy")
TARGETS = ["full_refresh_to_floor", "speedup_over_pandas", "daily_last_day_seconds", "peak_rss_bytes"]


def is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    work = tmp_path_factory.mktemp("bench")
    json_path = work / "report" / "benchmark.json"
    assert benchmark.main(["--smoke", "--work-dir", str(work / "work"), "--json", str(json_path)]) == 0
    return json.loads(json_path.read_text()), work / "work"


def test_both_shapes_run_by_default_with_their_generator_arguments(report) -> None:
    data, _ = report
    assert list(data["shapes"]) == list(SHAPES) == list(benchmark.SHAPES)
    default, heavy = (data["shapes"][name] for name in SHAPES)
    assert default["data"]["shape"] == "default" and default["data"]["generator_arguments"] == []
    users = 5 * (benchmark.SMOKE_EVENTS_PER_DAY // 20)
    assert heavy["data"]["generator_arguments"] == ["--session-events-mean", "0.5", "--users", str(users)]
    # the session-heavy shape has many short sessions: far more sessions per event
    sessions_per_event = {
        name: data["shapes"][name]["full_refresh"]["sessions"] / data["shapes"][name]["full_refresh"]["valid_events"]
        for name in SHAPES
    }
    assert sessions_per_event["session-heavy"] > 2 * sessions_per_event["default"], sessions_per_event


@pytest.mark.parametrize("shape", SHAPES)
def test_every_figure_is_reported_for_each_shape(report, shape: str) -> None:
    data = report[0]["shapes"][shape]
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
    for variant, memory_limit in (("memory_limited", benchmark.duckdb_memory_limit()), ("unlimited", "none")):
        assert floor[variant]["memory_limit"] == memory_limit
        for figure in ("seconds", "statement_seconds", "events_per_second", "peak_rss_bytes", "events", "sessions"):
            assert is_number(floor[variant][figure]) and floor[variant][figure] > 0, (variant, figure)
    assert is_number(data["floor_speedup_over_pandas"]) and is_number(data["full_refresh_to_floor"])
    # the floor applies the pipeline's rules: its counts are the full refresh's
    assert floor["memory_limited"]["quarantined_lines"] == sum(floor["memory_limited"]["quarantined"].values())
    assert (
        floor["memory_limited"]["events"] == full["valid_events"] and floor["unlimited"]["sessions"] == full["sessions"]
    )


def test_kafka_lander_is_measured_once(report) -> None:
    data, _ = report
    kafka = data["kafka_lander"]  # the Kafka lander's throughput, from a real local broker
    assert kafka["messages"] > 0 and is_number(kafka["messages_per_second"]) and kafka["messages_per_second"] > 0


def test_each_part_says_how_many_runs(report) -> None:
    data, _ = report
    for shape in SHAPES:
        for part in PARTS:
            assert data["shapes"][shape][part]["runs"] == 1  # --smoke: one run of each
    for part in PARTS:
        assert data["settings"]["runs"][part] == 1


@pytest.mark.parametrize("shape", SHAPES)
def test_targets_per_shape_daily_target_not_applicable_off_default_size(report, shape: str) -> None:
    targets = report[0]["shapes"][shape]["targets"]
    assert [t["name"] for t in targets] == TARGETS
    assert all(is_number(t["value"]) for t in targets)
    for target in targets:
        if target["name"] == "daily_last_day_seconds":  # 22 s applies at 10 x 1M events only
            assert target["pass"] is None and target["not_applicable"] == "n/a at this size"
        else:
            assert isinstance(target["pass"], bool), target
    # the DuckDB floor's figure beside the speed-up and memory targets
    assert [t["name"] for t in targets if "duckdb_floor_pass" in t] == ["speedup_over_pandas", "peak_rss_bytes"]
    assert all(
        isinstance(t["duckdb_floor_pass"], bool) and is_number(t["duckdb_floor_value"])
        for t in targets
        if "duckdb_floor_pass" in t
    )


def test_daily_target_is_judged_at_the_default_size(report) -> None:
    shape_report = report[0]["shapes"]["default"]
    daily = next(t for t in benchmark.evaluate_targets(shape_report, default_size=True) if "daily" in t["name"])
    assert daily["pass"] == (shape_report["daily_refresh"]["last_day_seconds"] <= 22.0)
    assert "not_applicable" not in daily


def test_table_shows_both_shapes_side_by_side_with_results(report) -> None:
    data, _ = report
    text = benchmark.render(data)
    assert "shape default:" in text and "shape session-heavy:" in text
    summary = text[text.index("shapes side by side:") :]
    header = summary.splitlines()[1].split()
    assert header == ["measure", "default", "session-heavy", "target"]
    assert "n/a at this size" in summary and ("PASS" in summary or "MISS" in summary)


def test_machine_and_versions(report) -> None:
    data, _ = report
    assert (
        data["machine"]["logical_cores"] >= 1 and data["machine"]["memory_bytes"] > 0 and data["machine"]["cpu_model"]
    )
    assert set(data["versions"]) >= {"python", "duckdb", "dbt-core", "dbt-duckdb", "pandas"}


@pytest.mark.parametrize("shape", SHAPES)
def test_the_runs_did_the_same_work(report, shape: str) -> None:
    data = report[0]["shapes"][shape]
    assert data["consistency"]["all_agree"], data["consistency"]
    assert data["consistency"]["peer_sessions"] == data["full_refresh"]["sessions"]
    assert data["consistency"]["floor_vs_full_session_differences"] == 0
    assert data["consistency"]["floor_vs_full_count_differences"] == {}
    assert report[0]["all_agree"]


def test_each_shape_has_its_own_directory_and_bulky_data_is_removed_without_keep(report) -> None:
    _, work = report
    # logs/ at the top holds the Kafka lander's report
    assert sorted(p.name for p in work.iterdir()) == ["default", "logs", "session-heavy"]
    for shape in SHAPES:
        assert sorted(p.name for p in (work / shape).iterdir()) == ["logs"]
        assert (work / shape / "logs" / "full_refresh_1.out").exists()


def test_kept_landing_zone_is_reused_only_for_the_same_shape(tmp_path: Path) -> None:
    args = benchmark.build_parser().parse_args(["--smoke", "--work-dir", str(tmp_path)])
    settings = benchmark.settings_from_args(args)
    default, heavy = settings.for_shape("default"), settings.for_shape("session-heavy")
    assert (default.work_dir, heavy.work_dir) == (tmp_path / "default", tmp_path / "session-heavy")
    # a landing zone stamped for the default shape, copied where the session-heavy one would be
    heavy.work_dir.mkdir()
    stamp = {"arguments": {"shape": "default", "generator_arguments": [], "start_date": "2024-03-01"}}
    (heavy.work_dir / "raw_all.generated.json").write_text(json.dumps(stamp))
    (heavy.work_dir / "raw_all").mkdir()
    data = benchmark.generate(heavy, heavy.work_dir / "raw_all")
    assert data["shape"] == "session-heavy" and data["raw_files"] > 0  # generated again, not reused
    files = {p: p.stat().st_mtime_ns for p in (heavy.work_dir / "raw_all").rglob("*") if p.is_file()}
    # the same shape, size and seed again: the landing zone is reused as it is
    assert benchmark.generate(heavy, heavy.work_dir / "raw_all") == data
    assert files == {p: p.stat().st_mtime_ns for p in (heavy.work_dir / "raw_all").rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--days", "1"], "--days must be at least 2"),
        (["--shapes", "default,wide"], "--shapes: unknown shape 'wide'; the shapes are default, session-heavy"),
        (["--scale", "--shapes", "default"], "--shapes does not apply to --scale"),
        (["--scale", "--days", "3"], "--days does not apply to --scale"),
        (["--scale", "--scale-days", "1"], "--scale-days must be at least 2"),
        (["--scale", "--scale-events-per-day", "0"], "--scale-events-per-day must be at least 1"),
        (["--scale", "--scale-peer-memory-cap-gb", "-1"], "--scale-peer-memory-cap-gb must be 0"),
        (["--work-dir", str(benchmark.PROJECT_ROOT / "data" / "bench")], "is inside"),
    ],
)
def test_bad_arguments_are_refused_before_any_work(arguments: list[str], message: str, capsys) -> None:
    assert benchmark.main(arguments) == 2
    err = capsys.readouterr().err
    assert err.startswith("benchmark: error: ") and message in err and "Traceback" not in err
