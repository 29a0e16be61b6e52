"""The benchmark's DuckDB floor (scripts/duckdb_floor.py) really does the peer's job on good lines:
first landed copy wins, a gap over the timeout starts a session, md5 session ids, Parquet by
event date; bad lines are skipped (it is a floor, not a product path), and a missing landing zone
is a clear error."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import duckdb_floor
from conftest import event


def land(raw_root: Path, dt: str, name: str, lines: list[bytes]) -> None:
    folder = raw_root / "click_events" / f"dt={dt}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"\n".join(lines) + b"\n")


def session_id(user_id: str, first_event_id: str) -> str:
    return hashlib.md5(f"{user_id}\x1f{first_event_id}".encode()).hexdigest()


def test_floor_deduplicates_sessionizes_and_writes_parquet_by_event_date(tmp_path: Path, capsys) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    land(
        raw,
        "2024-03-01",
        "a.jsonl",
        [
            event("e1", "u1", "2024-03-01T10:00:00Z"),
            event("e2", "u1", "2024-03-01T10:30:00Z"),  # exactly the timeout: same session
            event("e3", "u1", "2024-03-01T11:00:00.000001Z"),  # one microsecond more: a new session
            b"{not json",
            event("e4", "u2", "2024-03-01T23:59:00Z"),
        ],
    )
    # a later copy of e1 with another user: the first landed copy wins
    land(
        raw,
        "2024-03-02",
        "b.jsonl",
        [event("e1", "u9", "2024-03-02T00:05:00Z"), event("e5", "u2", "2024-03-02T00:10:00Z")],
    )

    assert (
        duckdb_floor.main(["--raw-root", str(raw), "--output-dir", str(out), "--memory-limit", "1GB", "--threads", "1"])
        == 0
    )
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (printed["files"], printed["events"], printed["sessions"]) == (2, 5, 3)

    rows = duckdb.sql(
        f"select event_id, user_id, session_id, cast(event_date as varchar) from read_parquet('{out}/*/*.parquet', "
        "hive_partitioning = true) order by event_id"
    ).fetchall()
    assert rows == [
        ("e1", "u1", session_id("u1", "e1"), "2024-03-01"),
        ("e2", "u1", session_id("u1", "e1"), "2024-03-01"),
        ("e3", "u1", session_id("u1", "e3"), "2024-03-01"),
        ("e4", "u2", session_id("u2", "e4"), "2024-03-01"),
        ("e5", "u2", session_id("u2", "e4"), "2024-03-02"),  # 11 minutes later, across midnight
    ]
    assert sorted(p.name for p in out.iterdir()) == ["event_date=2024-03-01", "event_date=2024-03-02"]


def test_floor_without_raw_files_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert duckdb_floor.main(["--raw-root", str(tmp_path / "nothing"), "--output-dir", str(tmp_path / "out")]) == 1
    assert "no raw files under" in capsys.readouterr().err
