"""Each validation and deduplication rule of the raw landing contract, pinned on small
fixture files that go through the real refresh (dbt + DuckDB)."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from conftest import Pipeline, event

DT = "2024-01-10"
MAIN_FILE = "click_events+0+0000000000.jsonl"

# (line bytes, expected outcome): 'valid', 'blank', 'duplicate' or a quarantine reason.
MAIN_LINES: list[tuple[bytes, str]] = [
    (event("e1", "u1", "2024-01-10T10:00:00Z", page_url="/first-copy-in-c-file"), "duplicate"),
    (b"", "blank"),
    (b"   \t ", "blank"),
    (b'{"event_id": "bad-\xff-bytes", "user_id": "u1"}', "invalid_encoding"),
    (b"not json at all", "malformed_json"),
    (b"[1, 2, 3]", "malformed_json"),
    (b'{"event_id": "e7", "user_id": "u1"', "malformed_json"),
    (
        json.dumps({"user_id": "u1", "event_type": "click", "event_ts": "2024-01-10T10:00:00Z"}).encode(),
        "invalid_field",
    ),
    (
        json.dumps(
            {"event_id": 123, "user_id": "u1", "event_type": "click", "event_ts": "2024-01-10T10:00:00Z"}
        ).encode(),
        "invalid_field",
    ),
    (event("e10", None, "2024-01-10T10:00:00Z"), "invalid_field"),
    (event("e11", "u1", "2024-01-10T10:00:00Z", event_type="  "), "invalid_field"),
    (json.dumps({"event_id": "e12", "user_id": "u1", "event_type": "click"}).encode(), "invalid_field"),
    (event("e13", "u1", ""), "invalid_field"),
    (event("e14", "u1", None), "invalid_field"),
    (event("e15", "u1", "2024-02-30T10:00:00Z"), "invalid_timestamp"),
    (event("e16", "u1", "2024-01-10T25:00:00"), "invalid_timestamp"),
    (event("e17", "u1", "yesterday"), "invalid_timestamp"),
    (event("e18", "u1", 1.5), "invalid_timestamp"),
    (event("e19", "u1", "2024-01-10T10:00:00+24:00"), "invalid_timestamp"),
    (event("e20", "u1", "2024-01-10T10:00:00Z", event_type="PAGE_VIEW"), "unknown_event_type"),
    (event("e21", "u1", "not a time", event_type="hover"), "invalid_timestamp"),
    (event("e22", "u1", "2024-01-11T00:10:00.000001Z"), "future_event"),
    (event("e23", "u1", "2024-01-11T00:10:00Z"), "valid"),
    (event("e24", "u1", "2024-01-06T23:59:59.999999Z"), "too_late"),
    (event("e25", "u1", "2024-01-07T00:00:00Z"), "valid"),
    (event("e26", "u1", 1704880800000), "valid"),
    (event("e27", "u1", "2024-01-11T01:30:00+02:00"), "valid"),
    (event("e28", "u1", "2024-01-10 12:00:00.5"), "valid"),
    (event("e1", "u1", "2024-01-10T10:05:00Z", page_url="/second-copy-in-c-file"), "duplicate"),
    (event("e30", "u1", "2024-01-10T13:00:00Z", app_version="1.2.3"), "valid"),
    (event("e31", "u1", "2024-01-10T13:01:00Z", properties={"blob": "x" * 1_000_000}), "valid"),
    (event("e32", "u1", "2024-01-10T13:02:00Z", event_type="Click"), "unknown_event_type"),
    (event("", "u1", "2024-01-10T13:03:00Z"), "invalid_field"),
    (event("e50", "u2", "2024-01-10T14:00:00Z", page_url="/kept"), "valid"),
    (event("e50", "u2", "2024-01-10T14:30:00Z", page_url="/dropped"), "duplicate"),
    (b"\xc3\x28 a second line that is not UTF-8", "invalid_encoding"),
    (event("e60", "u2", "2024-01-10T15:00:00Z"), "valid"),  # after two rejected lines: numbered 37
]


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    from clickstream.paths import PipelinePaths

    base = tmp_path_factory.mktemp("rules")
    pipeline = Pipeline(PipelinePaths(base / "raw", base / "warehouse" / "w.duckdb", base / "exports"))
    pipeline.land(DT, MAIN_FILE, [line for line, _ in MAIN_LINES])
    # 'b.jsonl' sorts before 'click_events+...': its copy of e1 is the one landed first.
    pipeline.land(
        DT,
        "b.jsonl",
        [event("e40", "u3", "2024-01-10T09:00:00Z"), event("e1", "u1", "2024-01-10T10:00:00Z", page_url="/from-b")],
        newline=b"\r\n",
    )
    pipeline.land(
        DT,
        "click_events+1+0000000000.jsonl.gz",
        [
            event("e26", "u1", 1704880800000, page_url="/gz-copy"),
            b"\xff\xfe",
            event("e41", "u3", "2024-01-10T09:10:00Z"),
        ],
        compress=True,
    )
    pipeline.land(DT, "empty.jsonl", [])
    assert pipeline.refresh() == 0
    return pipeline


def test_each_line_of_the_main_file_gets_the_expected_outcome(refreshed: Pipeline) -> None:
    quarantined = dict(
        refreshed.query(
            "select line_number, quarantine_reason from main.quarantined_events where file_name = ?", [MAIN_FILE]
        )
    )
    valid = {
        row[0] for row in refreshed.query("select line_number from main.fct_events where file_name = ?", [MAIN_FILE])
    }
    duplicates = {
        row[0]
        for row in refreshed.query("select line_number from main.duplicate_events where file_name = ?", [MAIN_FILE])
    }
    for number, (_, expected) in enumerate(MAIN_LINES, start=1):
        if expected == "valid":
            assert number in valid, f"line {number} should be a valid event"
        elif expected == "duplicate":
            assert number in duplicates, f"line {number} should be a duplicate"
        elif expected == "blank":
            assert number not in valid | duplicates | set(quarantined), f"blank line {number} must be skipped"
        else:
            assert quarantined.get(number) == expected, f"line {number}: {quarantined.get(number)} != {expected}"
    assert len(quarantined) == sum(1 for _, o in MAIN_LINES if o not in ("valid", "duplicate", "blank"))


def test_landing_day_counts_reconcile_every_line(refreshed: Pipeline) -> None:
    [(lines_read, blank, quarantined, duplicates, valid, files)] = refreshed.query(
        "select lines_read, blank_lines, quarantined_lines, duplicate_lines, valid_events, file_count "
        "from main.agg_ingest_daily where dt = ?",
        [date.fromisoformat(DT)],
    )
    assert files == 4
    assert lines_read == len(MAIN_LINES) + 2 + 3
    assert blank == 2
    assert duplicates == 4  # e1 twice and e50 once in the main file, e26 in the gz file
    assert lines_read == blank + quarantined + duplicates + valid
    assert valid == refreshed.query("select count(*) from main.fct_events")[0][0]


def test_first_landed_copy_wins_by_file_name_then_line(refreshed: Pipeline) -> None:
    rows = dict(
        refreshed.query(
            "select event_id, file_name || ':' || line_number || ':' || coalesce(page_url, '') from main.fct_events where event_id in ('e1', 'e50', 'e26')"
        )
    )
    assert rows["e1"] == "b.jsonl:2:/from-b"
    assert rows["e50"] == f"{MAIN_FILE}:34:/kept"
    assert rows["e26"].startswith(f"{MAIN_FILE}:26:")
    kept = refreshed.query(
        "select kept_file_name, kept_line_number from main.duplicate_events where event_id = 'e1' order by line_number"
    )
    assert kept == [("b.jsonl", 2), ("b.jsonl", 2)]


def test_timestamps_are_parsed_to_utc(refreshed: Pipeline) -> None:
    ts = dict(refreshed.query("select event_id, event_ts from main.fct_events"))
    assert ts["e26"] == datetime(2024, 1, 10, 10, 0)  # epoch milliseconds
    assert ts["e27"] == datetime(2024, 1, 10, 23, 30)  # +02:00 offset crossing midnight
    assert ts["e28"] == datetime(2024, 1, 10, 12, 0, 0, 500000)  # space, fraction, no zone = UTC
    assert ts["e23"] == datetime(2024, 1, 11, 0, 10)  # exactly end of day + clock skew is valid
    assert ts["e25"] == datetime(2024, 1, 7)  # exactly landing day - 3 days is valid
    dates = dict(refreshed.query("select event_id, event_date from main.fct_events"))
    assert dates["e27"] == date(2024, 1, 10)


def test_gzip_crlf_and_empty_files_are_read(refreshed: Pipeline) -> None:
    rows = dict(
        refreshed.query(
            "select event_id, file_name || ':' || line_number from main.fct_events where event_id in ('e40', 'e41')"
        )
    )
    assert rows == {"e40": "b.jsonl:1", "e41": "click_events+1+0000000000.jsonl.gz:3"}
    assert refreshed.query("select quarantine_reason from main.quarantined_events where file_name like '%.gz'") == [
        ("invalid_encoding",)
    ]
    # CRLF: no stray carriage return in the parsed values
    assert refreshed.query("select page_url from main.fct_events where event_id = 'e1'") == [("/from-b",)]


def test_extra_fields_are_kept_and_a_1mb_line_is_valid(refreshed: Pipeline) -> None:
    [(extra,)] = refreshed.query("select extra_fields from main.fct_events where event_id = 'e30'")
    assert json.loads(extra) == {"app_version": "1.2.3"}
    [(size,)] = refreshed.query("select length(properties ->> '$.blob') from main.fct_events where event_id = 'e31'")
    assert size == 1_000_000


def test_quarantine_rows_keep_raw_text_and_detail(refreshed: Pipeline) -> None:
    rows = {
        r[0]: r[1:]
        for r in refreshed.query(
            "select line_number, raw_line, quarantine_detail from main.quarantined_events where file_name = ?",
            [MAIN_FILE],
        )
    }
    assert rows[5][0] == "not json at all"
    assert rows[4][0] is None and "UTF-8" in rows[4][1]  # invalid bytes: no text, a reason
    assert "event_id" in rows[8][1]
    assert all(detail for _, detail in rows.values())


def test_raw_text_of_valid_lines_is_not_kept_in_the_warehouse(refreshed: Pipeline) -> None:
    # The raw lines are a view over the files (read once per run), never a stored table.
    assert refreshed.query(
        "select table_type from information_schema.tables where table_name = 'stg_click_events__lines'"
    ) == [("VIEW",)]
    stored_text_columns = refreshed.query(
        "select table_schema || '.' || table_name || '.' || column_name from information_schema.columns "
        "where column_name in ('line_text', 'raw_line') and table_name != 'stg_click_events__lines'"
    )
    assert sorted(c for (c,) in stored_text_columns) == [
        "intermediate.int_click_events_validated.raw_line",
        "main.quarantined_events.raw_line",
    ]
    [(kept,)] = refreshed.query(
        "select count(*) from intermediate.int_click_events_validated where raw_line is not null and not is_quarantined"
    )
    assert kept == 0


def test_line_numbers_do_not_depend_on_how_files_are_grouped_into_scans(
    refreshed: Pipeline, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The default groups give each of these few files its own scan; one scan for every file
    # numbers the rows of a later file from the rows of the files before it (b.jsonl, then the
    # main file with its two unreadable lines, then the gzip file with its own).
    from clickstream.paths import PipelinePaths

    base = tmp_path_factory.mktemp("one_scan")
    one_scan = Pipeline(PipelinePaths(refreshed.paths.raw_root, base / "w.duckdb", base / "exports"))
    assert one_scan.refresh("--vars", "{raw_read_scans: 1}") == 0
    reads = one_scan.query(
        "select file_name, read_group, group_position, group_row_offset, "
        "[line.line_number for line in unreadable_lines] "
        "from staging.stg_click_events__file_reads order by group_position"
    )
    assert reads == [
        ("b.jsonl", 0, 1, 0, []),
        (MAIN_FILE, 0, 2, 2, [4, 36]),
        ("click_events+1+0000000000.jsonl.gz", 0, 3, 2 + len(MAIN_LINES) - 2, [2]),
    ]
    assert one_scan.snapshot() == refreshed.snapshot()
    for table in ("quarantined_events", "duplicate_events"):
        rows = f"select * from main.{table} order by all"
        assert one_scan.query(rows) == refreshed.query(rows), table
