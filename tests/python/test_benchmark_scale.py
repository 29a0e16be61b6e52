"""scripts/benchmark.py --scale runs end to end tiny and reports every figure, the pandas peer's
failure under its memory cap included, so the 50M-event scale run never rots. A module of its own,
so pytest-xdist runs it beside the two-shape smoke run (test_benchmark_smoke.py). No timing is
asserted."""

from __future__ import annotations

import json
import numbers
from pathlib import Path

import benchmark
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.benchmark]


def is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def test_scale_runs_end_to_end_tiny_and_reports_the_peer_failure(tmp_path: Path, capsys) -> None:
    json_path = tmp_path / "scale.json"
    arguments = ["--scale", "--scale-days", "2", "--scale-events-per-day", "2000"]
    # a cap far too small for pandas: the peer fails, as it does at 50M events under 8 GB
    arguments += ["--scale-peer-memory-cap-gb", "0.05", "--work-dir", str(tmp_path / "work"), "--json", str(json_path)]
    assert benchmark.main(arguments) == 0
    printed = capsys.readouterr().out
    data = json.loads(json_path.read_text())
    assert "shapes" not in data and "kafka_lander" not in data  # --scale alone, no Kafka by default
    scale = data["scale"]
    assert (scale["days"], scale["events_per_day"]) == (2, 2000)
    assert scale["full_refresh_days"] == ["2024-03-01", "2024-03-02"] and scale["next_day"] == "2024-03-03"
    assert scale["data"]["days"] == 3 and scale["data"]["shape"] == "default"
    first, full, next_day = scale["first_day_full_refresh"], scale["full_refresh"], scale["next_day_refresh"]
    for figures in (first, full, next_day):
        for figure in ("seconds", "events_per_second", "raw_lines_per_second", "peak_rss_bytes", "cpu_seconds"):
            assert is_number(figures[figure]) and figures[figure] > 0, figure
    assert 0 < first["valid_events"] < full["valid_events"]
    assert next_day["dt"] == "2024-03-03" and next_day["valid_events_added"] > 0
    assert next_day["warehouse_after"]["valid_events"] == full["valid_events"] + next_day["valid_events_added"]
    assert scale["full_refresh_to_first_day"] == round(full["seconds"] / first["seconds"], 3)
    assert [t["name"] for t in scale["targets"]] == [
        "full_refresh_peak_rss_bytes",
        "next_day_peak_rss_bytes",
        "full_refresh_to_first_day",
    ]
    assert all(isinstance(t["pass"], bool) and is_number(t["value"]) for t in scale["targets"])
    peer = scale["pandas_peer"]
    assert peer["status"] == "failed" and peer["memory_cap_bytes"] == 50_000_000 and peer["error"]
    assert "speedup_over_pandas" not in scale
    assert "2 days / first day alone" in printed and "pandas peer: failed under its 0.05 GB" in printed
    # bulky data removed, logs kept
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["scale"]
    assert sorted(p.name for p in (tmp_path / "work" / "scale").iterdir()) == ["logs"]


def test_scale_peer_not_run_with_a_zero_cap(tmp_path: Path) -> None:
    args = benchmark.build_parser().parse_args(
        ["--scale", "--scale-peer-memory-cap-gb", "0", "--work-dir", str(tmp_path)]
    )
    settings = benchmark.settings_from_args(args)
    assert benchmark.capped_pandas_peer(settings, tmp_path / "raw") == {
        "status": "not run",
        "reason": "--scale-peer-memory-cap-gb 0",
        "memory_cap_bytes": 0,
    }


def test_scale_sizes_default_to_5_days_of_10m_and_smoke_makes_them_tiny(tmp_path: Path) -> None:
    def settings(*arguments: str) -> benchmark.Settings:
        return benchmark.settings_from_args(
            benchmark.build_parser().parse_args([*arguments, "--work-dir", str(tmp_path)])
        )

    assert (settings("--scale").scale_days, settings("--scale").scale_events_per_day) == (5, 10_000_000)
    smoke = settings("--scale", "--smoke")
    assert (smoke.scale_days, smoke.scale_events_per_day) == (2, 2000)
    assert settings("--shapes", "session-heavy,default,session-heavy").shapes == ("session-heavy", "default")
