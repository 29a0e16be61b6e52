"""The landing zone is accounted for: every entry under the raw root that no refresh reads is
listed (with its reason) before dbt runs, counted in agg_ingest_daily.unread_entries when it is in
a landing day's folder, shown by the report and recorded in the audit; --strict-landing-zone
makes any of them an error before anything runs. dbt reads exactly the raw files it read before."""

from __future__ import annotations

import contextlib
import io
import os
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
from conftest import Pipeline, event

from clickstream.ingest import file_check
from clickstream.paths import PipelinePaths, UnreadEntry, landed_days, lander_temporary_name, unread_entries
from clickstream.report import html as report

DAY = "2024-03-05"
# Each unread entry (path under the raw root), its reason and the landing day it is counted on.
UNREAD = [
    ("click_events/2024-03-05/x.jsonl", "not_in_day_folder", None),  # no dt=
    ("click_events/dt=2024-02-30/x.jsonl", "bad_dt", None),  # not a calendar date
    ("click_events/dt=2024-03-05/UPPER.JSONL", "wrong_extension", DAY),  # case
    ("click_events/dt=2024-03-05/events.ndjson", "wrong_extension", DAY),
    ("click_events/dt=2024-03-05/more_events.json", "wrong_extension", DAY),
    ("click_events/dt=2024-03-05/nested/x.jsonl", "nested", DAY),  # one level too deep
    ("click_events/top.jsonl", "not_in_day_folder", None),  # directly in click_events/
    ("dt=2024-03-05/x.jsonl", "outside_click_events", None),  # no click_events/ level
]


def land_landing_zone(pipeline: Pipeline) -> None:
    pipeline.land(DAY, "a.jsonl", [event(f"ok-{i}", "u1", f"{DAY}T10:0{i}:00Z") for i in range(3)])
    for index, (relative, _, _) in enumerate(UNREAD):
        path = pipeline.paths.raw_root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(event(f"unread-{index}", "u2", f"{DAY}T11:00:00Z") + b"\n")


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pipeline, str]:
    """One refresh of a landing day whose zone holds every kind of unread entry; its stdout."""
    base = tmp_path_factory.mktemp("landing_zone")
    pipeline = Pipeline(PipelinePaths(base / "raw", base / "warehouse" / "clickstream.duckdb", base / "exports"))
    land_landing_zone(pipeline)
    out = io.StringIO()  # (capsys is function-scoped)
    with contextlib.redirect_stdout(out):
        assert pipeline.refresh() == 0
    return pipeline, out.getvalue()


def test_every_unread_entry_is_found_with_its_reason(tmp_path: Path) -> None:
    pipeline = Pipeline(PipelinePaths(tmp_path / "raw", tmp_path / "wh" / "w.duckdb", tmp_path / "exports"))
    land_landing_zone(pipeline)
    os.mkfifo(pipeline.paths.raw_root / "click_events" / f"dt={DAY}" / "fifo.jsonl")  # quarantined, not unread
    (pipeline.paths.raw_root / "click_events" / f"dt={DAY}" / "dir.jsonl" / "inner").mkdir(parents=True)
    (pipeline.paths.raw_root / "click_events" / "dt=2024-03-06").mkdir()  # empty: nothing to read
    # a file the Kafka lander is writing is not an entry yet; another hidden file is
    day_folder = pipeline.paths.raw_root / "click_events" / f"dt={DAY}"
    (day_folder / lander_temporary_name("click_events+0+0000000042.jsonl", 4711)).write_bytes(b"{}\n")
    (day_folder / lander_temporary_name("click_events+1+0000000007.jsonl.gz", 4711)).write_bytes(b"")
    (day_folder / ".notes.tmp").write_bytes(b"x\n")
    hidden = UnreadEntry(f"click_events/dt={DAY}/.notes.tmp", "wrong_extension", DAY)
    expected = sorted([*(UnreadEntry(*entry) for entry in UNREAD), hidden], key=lambda entry: entry.path)
    assert unread_entries(pipeline.paths.raw_root) == expected
    assert landed_days(pipeline.paths.raw_root) == [DAY]  # dt=2024-02-30 is no landing day


def test_the_refresh_warns_about_each_unread_entry_with_its_reason_before_dbt(refreshed) -> None:
    pipeline, out = refreshed
    assert out.index("warning: 8 entries under") < out.index(f"dt={DAY}: lines read")  # before dbt's summary
    warning = out[out.index("warning: 8 entries under") : out.index(f"dt={DAY}: lines read")]
    for relative, reason, _ in UNREAD:
        line = next(line for line in warning.splitlines() if line.startswith(f"  {reason}:"))
        assert relative in line
    assert "UPPER.JSONL (the extension's case: only lower case is read)" in warning
    assert f"dt={DAY}: lines read 3 |" in out and "| unread entries 4 |" in out
    [(listing,)] = pipeline.query("select message from audit.refresh_run_steps where step = 'landing zone'")
    assert listing.splitlines()[1:] == [f"{relative} ({reason})" for relative, reason, _ in UNREAD]


def test_dbt_reads_only_the_raw_files_and_agg_ingest_daily_counts_the_days_unread_entries(refreshed) -> None:
    pipeline, _ = refreshed
    assert pipeline.query("select event_id from main.fct_events order by 1") == [("ok-0",), ("ok-1",), ("ok-2",)]
    assert pipeline.query("select dt, file_count, lines_read, unread_entries from main.agg_ingest_daily") == [
        (date.fromisoformat(DAY), 1, 3, 4)
    ]


def test_the_report_shows_the_unread_entries(refreshed, tmp_path: Path) -> None:
    pipeline, _ = refreshed
    page = report.write_report(
        pipeline.paths.warehouse, tmp_path / "r.html", now=datetime(2024, 3, 6, tzinfo=UTC)
    ).read_text()
    section = page[page.index("Unread entries in the landing zone") :]
    assert f"<td>{DAY}</td><td>4</td>" in section.replace("\n", "")
    for relative, reason, _ in UNREAD:
        assert f"{relative} ({reason})" in section


def test_strict_landing_zone_exits_2_naming_them_before_dbt(refreshed, capsys) -> None:
    pipeline, _ = refreshed
    runs = pipeline.query("select count(*) from audit.refresh_runs")
    assert pipeline.refresh("--strict-landing-zone") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: (--strict-landing-zone) 8 entries under")
    for relative, reason, _ in UNREAD:
        assert relative in err and f"  {reason}:" in err
    assert pipeline.query("select count(*) from audit.refresh_runs") == runs  # nothing ran, nothing recorded


def test_check_files_lists_them_and_refuses_them_when_strict(tmp_path: Path, capsys) -> None:
    pipeline = Pipeline(PipelinePaths(tmp_path / "raw", tmp_path / "wh" / "w.duckdb", tmp_path / "exports"))
    land_landing_zone(pipeline)
    where = ["--raw-root", str(pipeline.paths.raw_root), "--warehouse", str(pipeline.paths.warehouse)]
    assert file_check.main([*where, "--strict-landing-zone"]) == 2
    assert "8 entries under" in capsys.readouterr().err
    assert not file_check.check_log_path(pipeline.paths).exists()  # refused before checking
    assert file_check.main(where) == 0
    out = capsys.readouterr().out
    assert out.startswith("warning: 8 entries under") and "checked 1 new file(s)" in out


def test_a_warehouse_without_the_new_column_is_told_to_full_refresh_before_dbt(tmp_path: Path, capsys) -> None:
    pipeline = Pipeline(PipelinePaths(tmp_path / "raw", tmp_path / "wh" / "w.duckdb", tmp_path / "exports"))
    pipeline.land(DAY, "a.jsonl", [event("e1", "u1", f"{DAY}T10:00:00Z")])
    pipeline.paths.warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(pipeline.paths.warehouse)) as con:  # agg_ingest_daily as an older version built it
        con.execute("create table main.agg_ingest_daily (dt date, file_count bigint, files_quarantined bigint)")
        con.execute("insert into main.agg_ingest_daily values ('2024-03-04', 1, 0)")
    assert pipeline.refresh() == 2
    err = capsys.readouterr().err
    assert "main.agg_ingest_daily had the column(s) unread_entries" in err and "--full-refresh" in err
