"""scripts/bench_freshness.py runs end to end on a tiny setting and reports every figure, so the
freshness benchmark never rots: the batch-size curve (refreshes of new batches on a small
history, nothing new) and the end-to-end latency through a real local broker, the lander and
`refresh --follow`. No timing is asserted: the benchmark measures, tests do not."""

from __future__ import annotations

import json

import bench_freshness
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.benchmark, pytest.mark.kafka]


def test_the_curve_and_the_end_to_end_latency_are_reported(tmp_path, capsys) -> None:
    json_path = tmp_path / "report.json"
    arguments = [
        *("--work-dir", str(tmp_path / "work"), "--json", str(json_path)),
        *("--history-days", "2", "--history-events-per-day", "500", "--batch-sizes", "50,400"),
        *("--rate", "100", "--seconds", "6", "--users", "20", "--roll-seconds", "3", "--every", "4"),
    ]
    assert bench_freshness.main(arguments) == 0
    report = json.loads(json_path.read_text())
    curve = report["curve"]
    assert [batch["batch_events"] for batch in curve["batches"]] == [50, 400]
    for batch in curve["batches"]:
        assert batch["seconds"] > 0 and batch["valid_events_added"] > 0 and batch["dbt_run_seconds"] > 0
    assert curve["nothing_new"]["seconds"] > 0 and curve["history"]["valid_events"] > 900
    assert isinstance(curve["fit_fixed_seconds"], float)
    e2e = report["end_to_end"]
    assert e2e["published"] >= 500 and e2e["events_measured"] == e2e["published"]
    assert 0 < e2e["latency_p50_seconds"] <= e2e["latency_p95_seconds"] <= e2e["latency_max_seconds"]
    assert sum(batch["events"] for batch in e2e["batches"]) == e2e["published"]
    printed = capsys.readouterr().out
    assert "Batch-size curve" in printed and "latency publish -> fct_events" in printed
