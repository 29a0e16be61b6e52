"""The pandas peer (scripts/pandas_peer.py) does the pipeline's work: on a generated sample plus
hand-written edge cases, it gives exactly the pipeline's sessions, events and quarantine reasons.
This is what makes the benchmark's speed-up a comparison of the same work."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas_peer
import pytest
from conftest import EDGE_DAY, Pipeline, edge_case_lines, event

from clickstream.ingest import generate as generate_events

START, DAYS = "2024-03-01", 3


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pipeline, Path]:
    from clickstream.paths import PipelinePaths

    base = tmp_path_factory.mktemp("peer")
    raw = base / "raw"
    assert (
        generate_events.main(
            [
                "--start-date",
                START,
                "--days",
                str(DAYS),
                "--events-per-day",
                "3000",
                "--seed",
                "11",
                "--raw-root",
                str(raw),
                "--quiet",
            ]
        )
        == 0
    )
    pipeline = Pipeline(PipelinePaths(raw, base / "warehouse" / "w.duckdb", base / "exports"))
    pipeline.land(EDGE_DAY, "zz_edge_cases.jsonl", edge_case_lines())
    # a later file of the same day re-sends an event with another time: the earlier copy wins
    pipeline.land(EDGE_DAY, "zz_edge_cases_later.jsonl", [event("edge-gap-3", "edge_u1", "2024-03-02T10:50:00Z")])
    assert pipeline.refresh("--full-refresh") == 0
    peer_out = base / "peer"
    assert pandas_peer.main(["--raw-root", str(raw), "--output-dir", str(peer_out)]) == 0
    return pipeline, peer_out


def peer_rows(peer_out: Path, table: str, columns: str) -> set[tuple]:
    with duckdb.connect() as con:
        return set(
            con.execute(
                f"select {columns} from read_parquet('{peer_out}/{table}/*/*.parquet', hive_partitioning = true)"
            ).fetchall()
        )


def pipeline_rows(pipeline: Pipeline, table: str, columns: str) -> set[tuple]:
    return set(pipeline.query(f"select {columns} from main.{table}"))


def test_same_sessions(outputs) -> None:
    pipeline, peer_out = outputs
    columns = "session_id, user_id, session_start, session_end, event_count"
    expected = pipeline_rows(pipeline, "fct_sessions", columns)
    assert len(expected) > 1000
    assert peer_rows(peer_out, "fct_sessions", columns) == expected


def test_same_session_attributes(outputs) -> None:
    pipeline, peer_out = outputs
    columns = (
        "session_id, session_date, duration_seconds, page_view_count, click_count, landing_page, "
        "exit_page, is_bounce, has_purchase, first_dt, last_dt"
    )
    assert peer_rows(peer_out, "fct_sessions", columns) == pipeline_rows(pipeline, "fct_sessions", columns)


def test_same_events_and_their_sessions(outputs) -> None:
    pipeline, peer_out = outputs
    columns = "event_id, user_id, event_type, event_ts, event_date, session_id, page_url, dt, file_name, line_number"
    expected = pipeline_rows(pipeline, "fct_events", columns)
    assert peer_rows(peer_out, "fct_events", columns) == expected


def test_same_quarantine_reasons(outputs) -> None:
    pipeline, peer_out = outputs
    columns = "dt, file_name, line_number, quarantine_reason"
    expected = pipeline_rows(pipeline, "quarantined_events", columns)
    assert {row[3] for row in expected} == set(pandas_peer.REASONS)
    assert peer_rows(peer_out, "quarantined_events", columns) == expected


def test_edge_cases_are_decided_as_the_rules_say(outputs) -> None:
    _, peer_out = outputs
    sessions = {
        (row[0], row[1])
        for row in peer_rows(peer_out, "fct_sessions", "user_id, event_count")
        if row[0].startswith("edge_")
    }
    assert ("edge_u1", 2) in sessions and ("edge_u1", 1) in sessions  # exactly 30 min joins, +1 us splits
    with duckdb.connect() as con:
        [(first,)] = con.execute(
            f"select first_event from (select session_id, arg_min(event_id, (event_ts, event_id)) as first_event "
            f"from read_parquet('{peer_out}/fct_events/*/*.parquet') where user_id = 'edge_u2' group by session_id)"
        ).fetchall()
    assert first == "edge-tie-a"
    reasons = {
        line: reason
        for line, reason, file_name in peer_rows(
            peer_out, "quarantined_events", "line_number, quarantine_reason, file_name"
        )
        if file_name == "zz_edge_cases.jsonl"
    }
    assert [reasons[n] for n in range(11, 21)] == [
        "invalid_timestamp",
        "invalid_timestamp",
        "invalid_timestamp",
        "invalid_timestamp",
        "invalid_field",
        "invalid_timestamp",
        "invalid_field",
        "invalid_field",
        "unknown_event_type",
        "future_event",
    ]
    assert reasons[22] == "too_late" and 21 not in reasons and 23 not in reasons
    assert [reasons[n] for n in (24, 25, 26)] == ["malformed_json"] * 3


def test_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        pandas_peer.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in (
        "--raw-root",
        "--output-dir",
        "--event-types",
        "--session-timeout-minutes",
        "--clock-skew-minutes",
        "--late-arrival-days",
    ):
        assert option in text
