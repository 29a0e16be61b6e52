"""The benchmark's DuckDB floor (scripts/duckdb_floor.py) does the pipeline's core job with the
pipeline's rules: on a small landing zone with one line per quarantine reason (invalid UTF-8 and an
over-long line among them), blank lines, duplicates in the same file, across files and across
days, gzip and CRLF files, an empty file and a session gap exactly at the timeout and one second
over, its counts per reason, valid events, duplicates and sessions are those of `clickstream
refresh` on the same files (agg_ingest_daily, fct_sessions), and so are its session ids and each
event's file, line number and session (fct_events). A missing landing zone is a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import duckdb_floor
import pytest
from conftest import Pipeline, event

from clickstream.paths import PipelinePaths

MAX_LINE_BYTES = 2048  # small, so that an over-long line is cheap to write


def day_one_lines() -> list[bytes]:
    return [
        event("e1", "u1", "2024-03-01T10:00:00Z"),
        event("e2", "u1", "2024-03-01T10:30:00Z", "click"),  # exactly the timeout after e1: same session
        event("e3", "u1", "2024-03-01T11:00:01Z"),  # one second over: a new session
        b"",  # blank
        b" \t ",  # blank
        b'{"event_id": "bad-\xff", "user_id": "u9", "event_type": "click", "event_ts": "2024-03-01T10:00:00Z"}',
        event("e4", "u2", "2024-03-01T12:00:00Z"),  # after a rejected line: its line number is shifted
        b"{not json",  # malformed_json
        b'{"event_id": "r1", "event_id": "r2", "user_id": "u9", "event_type": "click", "event_ts": 1}',  # repeated key
        event(" ", "u9", "2024-03-01T12:00:00Z"),  # invalid_field: blank event_id
        event("e-bad-ts", "u9", "2024-02-30T12:00:00Z"),  # invalid_timestamp
        event("e-bad-type", "u9", "2024-03-01T12:00:00Z", "Click"),  # unknown_event_type (case-sensitive)
        event("e-future", "u9", "2024-03-02T00:10:00.000001Z"),  # future_event: 1 us after the skew
        event("e-ok-future", "u5", "2024-03-02T00:10:00Z"),  # exactly the end of the skew: valid
        event("e-too-late", "u9", "2024-02-26T23:59:59Z"),  # too_late: 1 s before landing day - 3 days
        event("e1", "u7", "2024-03-01T09:00:00Z"),  # a later copy of e1 in the same file: a duplicate
        event("e-long", "u9", "2024-03-01T12:00:00Z", padding="x" * (MAX_LINE_BYTES + 10)),  # over-long
        event("e5", "u3", 1709290800000, properties={"a": 1}, app_version="1.2"),  # epoch ms, extra field
        event("e6", "u3", "2024-03-01T12:10:00+01:00"),  # an offset: 11:10 UTC, 10 min after e5
        b'{"event_id": "bad2-\xc3\x28", "user_id": "u9", "event_type": "click", "event_ts": 1}',  # invalid UTF-8
        event("e7", "u4", "2024-03-01 13:00:00.5"),  # no zone, space, a fraction
    ]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pipeline, dict, Path]:
    base = tmp_path_factory.mktemp("floor")
    pipeline = Pipeline(PipelinePaths(base / "raw", base / "warehouse" / "w.duckdb", base / "exports"))
    pipeline.land("2024-03-01", "a.jsonl", day_one_lines())
    # the same day, a later file (gzip): a copy of e2 with another time, and ties on event_ts
    pipeline.land(
        "2024-03-01",
        "b.jsonl.gz",
        [
            event("e2", "u1", "2024-03-01T23:00:00Z"),
            event("t-b", "u6", "2024-03-01T15:00:00Z", "click"),
            event("t-a", "u6", "2024-03-01T15:00:00Z"),  # same time: ordered by event_id, t-a first
        ],
        compress=True,
    )
    pipeline.land("2024-03-01", "c.jsonl", [])  # an empty file
    # the next day (CRLF): a copy of e3 (the first landed copy stays), late events joining day one's sessions
    pipeline.land(
        "2024-03-02",
        "a.jsonl",
        [
            event("e3", "u8", "2024-03-02T08:00:00Z"),
            event("e8", "u1", "2024-03-01T11:30:01Z"),  # exactly the timeout after e3: e3's session
            event("e9", "u2", "2024-03-01T12:30:00.000001Z"),  # 1 us over the timeout after e4: a new session
            b"\xfe\xfe",  # invalid UTF-8
            event("e10", "u2", "2024-03-02T00:15:00Z"),
            b"[1, 2]",  # JSON, not an object: malformed_json
            b"",
        ],
        newline=b"\r\n",
    )
    assert pipeline.refresh("--full-refresh", "--vars", json.dumps({"max_line_bytes": MAX_LINE_BYTES})) == 0
    floor_out = base / "floor"
    result = duckdb_floor.run(
        pipeline.paths.raw_root,
        floor_out,
        memory_limit="1GB",
        threads=2,
        timeout_minutes=30,
        max_line_bytes=MAX_LINE_BYTES,
    )
    return pipeline, result, floor_out


def floor_rows(floor_out: Path, table: str, columns: str) -> set[tuple]:
    with duckdb.connect() as con:
        return set(
            con.execute(
                f"select {columns} from read_parquet('{floor_out}/{table}/*/*.parquet', hive_partitioning = true)"
            ).fetchall()
        )


def test_the_same_counts_as_the_pipeline(outputs) -> None:
    pipeline, result, _ = outputs
    reasons = duckdb_floor.REASONS
    [row] = pipeline.query(
        "select sum(lines_read), sum(blank_lines), sum(duplicate_lines), sum(valid_events), "
        + ", ".join(f"sum({reason}_lines)" for reason in reasons)
        + " from main.agg_ingest_daily"
    )
    [(sessions,)] = pipeline.query("select count(*) from main.fct_sessions")
    expected = {
        "lines_read": row[0],
        "blank_lines": row[1],
        "duplicates": row[2],
        "events": row[3],
        "quarantined": dict(zip(reasons, row[4:], strict=True)),
        "sessions": sessions,
    }
    assert {key: result[key] for key in expected} == expected
    # every rule is exercised: each reason, blank lines and duplicates occur
    assert all(count > 0 for count in expected["quarantined"].values()), expected["quarantined"]
    assert expected["quarantined"]["invalid_encoding"] == 3 and expected["quarantined"]["malformed_json"] == 4
    assert (expected["blank_lines"], expected["duplicates"]) == (3, 3)
    assert result["files"] == 4 and result["quarantined_lines"] == sum(expected["quarantined"].values())


def test_the_same_sessions_and_session_ids(outputs) -> None:
    pipeline, _, floor_out = outputs
    columns = "session_id, user_id, session_start, session_end, event_count"
    expected = set(pipeline.query(f"select {columns} from main.fct_sessions"))
    assert floor_rows(floor_out, "sessions", columns) == expected
    by_user = {}
    for _, user, _, _, count in expected:
        by_user.setdefault(user, []).append(count)
    # u1: e1 + e2 (exactly 30 min) | e3 + e8 (exactly 30 min, a day late); u2: e4 | e9 (30 min + 1 us) | e10
    assert sorted(by_user["u1"]) == [2, 2] and sorted(by_user["u2"]) == [1, 1, 1]


def test_the_same_events_lines_and_sessions(outputs) -> None:
    pipeline, _, floor_out = outputs
    columns = "event_id, user_id, event_ts, event_date, session_id, dt, file_name, line_number"
    expected = set(pipeline.query(f"select {columns} from main.fct_events"))
    assert floor_rows(floor_out, "events", columns) == expected
    lines = {event_id: (file_name, line) for event_id, _, _, _, _, _, file_name, line in expected}
    # the first landed copies; line numbers count the lines the reader rejected
    assert lines["e1"] == ("a.jsonl", 1) and lines["e3"] == ("a.jsonl", 3) and lines["e2"] == ("a.jsonl", 2)
    assert lines["e4"] == ("a.jsonl", 7) and lines["e7"] == ("a.jsonl", 21) and lines["e10"] == ("a.jsonl", 5)


def test_floor_without_raw_files_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert duckdb_floor.main(["--raw-root", str(tmp_path / "nothing"), "--output-dir", str(tmp_path / "out")]) == 1
    assert "no raw files under" in capsys.readouterr().err
