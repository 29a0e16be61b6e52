"""File-level quarantine: a landed raw file that cannot be read as a whole (corrupt, truncated or
non-gzip .jsonl.gz, an empty .gz, a directory or FIFO named like a raw file) is listed in
main.quarantined_files with its reason and skipped whole, and the rest of its day is processed:
every other public table is exactly what a landing zone without those files gives. Real files,
the real refresh (dbt + DuckDB). On Spark: test_spark_equality.py lands the same bad files
(land_bad_files) in its landing zone, so its Spark refreshes quarantine them too (every table equal
to DuckDB's, quarantined_files and the file counters included)."""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import os
import socket
import tempfile
from pathlib import Path

import pytest
from conftest import COMPARED_TABLES, Pipeline, event

from clickstream.ingest import file_check
from clickstream.paths import PROJECT_ROOT, PipelinePaths

DAY1, DAY2 = "2024-03-01", "2024-03-02"
# Counters of agg_ingest_daily that count the landed files, so differ from a zone without the bad ones.
FILE_COUNTERS = ("file_count", "files_quarantined")
EXPECTED_DAY1 = {"truncated.jsonl.gz": "truncated_gzip", "empty.jsonl.gz": "empty_gzip"}
EXPECTED_DAY2 = {
    "corrupt.jsonl.gz": "corrupt_gzip",
    "plain-text.jsonl.gz": "not_gzip",
    "folder.jsonl": "not_a_regular_file",
    "pipe.jsonl": "not_a_regular_file",
}
# Between the two days' counts of quarantined files: DAY1 passes the error threshold, DAY2 does not.
ERROR_COUNT = 3


def lines(prefix: str, day: str, count: int, users: int = 4) -> list[bytes]:
    """count valid events of day, spread over users, 3 minutes apart (sessions of several events)."""
    return [
        event(
            f"{prefix}-{i:04d}",
            f"u{i % users}",
            f"{day}T{8 + i // 20:02d}:{(3 * i) % 60:02d}:00Z",
            page_url=f"/p{i % 7}",
        )
        for i in range(count)
    ]


def gzipped(payload: list[bytes]) -> bytes:
    return gzip.compress(b"\n".join(payload) + b"\n", mtime=0)


def land_good_files(pipeline: Pipeline) -> None:
    """The readable files of both days, the same in every zone of this module; DAY2 holds the
    corrected copy of DAY1's truncated file, landed under another name."""
    pipeline.land(DAY1, "a.jsonl", [*lines("a", DAY1, 40), b"not json", b""])
    pipeline.land(DAY1, "b.jsonl.gz", lines("b", DAY1, 30), compress=True)
    pipeline.land(DAY1, "empty.jsonl", [])  # an empty .jsonl is a valid, empty file
    pipeline.land(DAY2, "c.jsonl", lines("c", DAY2, 25))
    folder = pipeline.paths.raw_root / "click_events" / f"dt={DAY2}"
    (folder / "truncated-fixed.jsonl.gz").write_bytes(gzipped(lines("t", DAY1, 300)))


def land_bad_files(pipeline: Pipeline, day1_dt: str = DAY1, day2_dt: str = DAY2) -> None:
    """The files that cannot be read as a whole (their events would all be valid): EXPECTED_DAY1's
    on day1_dt, EXPECTED_DAY2's on day2_dt (this module's days unless told; the folders exist)."""
    day1 = pipeline.paths.raw_root / "click_events" / f"dt={day1_dt}"
    day2 = pipeline.paths.raw_root / "click_events" / f"dt={day2_dt}"
    whole = gzipped(lines("t", DAY1, 300))  # also landed, complete, on DAY2 (land_good_files)
    (day1 / "truncated.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (day1 / "empty.jsonl.gz").write_bytes(b"")
    corrupt = bytearray(gzipped(lines("k", DAY2, 300)))
    middle = len(corrupt) // 2
    corrupt[middle : middle + 16] = bytes(b ^ 0xFF for b in corrupt[middle : middle + 16])
    (day2 / "corrupt.jsonl.gz").write_bytes(bytes(corrupt))
    (day2 / "plain-text.jsonl.gz").write_bytes(b"\n".join(lines("n", DAY2, 5)) + b"\n")
    (day2 / "folder.jsonl").mkdir()
    os.mkfifo(day2 / "pipe.jsonl")


def refresh(pipeline: Pipeline, *args: str) -> tuple[int, str, str]:
    """Run `clickstream refresh` (no export, no freshness); returns exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = pipeline.refresh("--skip-export", *args)
    return code, out.getvalue(), err.getvalue()


def tables_without_file_counters(pipeline: Pipeline) -> dict[str, list[tuple]]:
    """Every public table but quarantined_files, in key order; agg_ingest_daily without the
    counters of landed files."""
    snapshot = pipeline.snapshot()
    del snapshot["quarantined_files"]
    columns = [c for (c,) in pipeline.query("select column_name from (describe main.agg_ingest_daily)")]
    keep = ", ".join(c for c in columns if c not in FILE_COUNTERS)
    snapshot["agg_ingest_daily"] = pipeline.query(f"select {keep} from main.agg_ingest_daily order by dt")
    return snapshot


@pytest.fixture(scope="module")
def zones(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The zone with the bad files, refreshed day by day with the error threshold at ERROR_COUNT
    files (DAY1 passes with a warning, DAY2 fails it), and the zone without them (full refresh)."""
    base = tmp_path_factory.mktemp("file_quarantine")

    def make(name: str) -> Pipeline:
        return Pipeline(PipelinePaths(base / name / "raw", base / name / "wh" / "w.duckdb", base / name / "exports"))

    with_bad, clean = make("with_bad"), make("clean")
    land_good_files(with_bad)
    land_bad_files(with_bad)
    land_good_files(clean)
    threshold = ["--vars", f"{{file_quarantine_error_count: {ERROR_COUNT}}}"]
    day1 = refresh(with_bad, "--date", DAY1, *threshold)
    assert day1[0] == 0, (with_bad.paths.warehouse.parent / "last_dbt_build.log").read_text()[-5000:]
    day2 = refresh(with_bad, *threshold)
    failing_rows = with_bad.query(
        "select cast(dt as varchar), count_value, threshold_var "
        "from quality_failures.agg_ingest_daily__files_quarantined_above_file_quarantine_error_count"
    )
    assert refresh(clean, "--full-refresh")[0] == 0
    return {"with_bad": with_bad, "clean": clean, "day1": day1, "day2": day2, "failing_rows": failing_rows}


def test_each_unreadable_file_is_quarantined_at_file_level_with_its_reason(zones: dict) -> None:
    rows = zones["with_bad"].query(
        "select file_name, cast(dt as varchar), quarantine_reason, file_type, size_bytes, sha256, quarantine_detail, "
        "file_path from main.quarantined_files order by file_path"
    )
    by_name = {row[0]: row for row in rows}
    expected = {**EXPECTED_DAY1, **EXPECTED_DAY2}
    assert {name: row[2] for name, row in by_name.items()} == expected
    assert {name: row[1] for name, row in by_name.items()} == {
        name: DAY1 if name in EXPECTED_DAY1 else DAY2 for name in expected
    }
    assert by_name["folder.jsonl"][3] == "directory" and by_name["pipe.jsonl"][3] == "fifo"
    raw = zones["with_bad"].paths.raw_root
    for name, row in by_name.items():
        assert row[7] == f"click_events/dt={row[1]}/{name}"
        assert row[6], name  # the reader's message
        if row[3] == "regular":  # size and checksum of the bytes as landed
            data = (raw / row[7]).read_bytes()
            assert row[4] == len(data) and row[5] == hashlib.sha256(data).hexdigest(), name
        else:
            assert row[4] is None and row[5] is None, name
    assert "ends inside gzip member 1" in by_name["truncated.jsonl.gz"][6]


def test_the_refresh_exits_0_and_warns_naming_each_quarantined_file(zones: dict) -> None:
    code, output, _ = zones["day1"]
    assert code == 0
    raw = zones["with_bad"].paths.raw_root
    warnings = output.split("quality warnings:")[1]
    assert "2 files quarantined at file level" in warnings
    for name, reason in EXPECTED_DAY1.items():
        assert f"{raw}/click_events/dt={DAY1}/{name} ({reason})" in warnings
    assert "file_quarantine_warn_count" in warnings  # the warn threshold's test names its var


def test_every_other_table_equals_a_landing_zone_without_the_bad_files(zones: dict) -> None:
    """Nothing of a quarantined file is read (not the readable prefix of the truncated gzip), and
    the rest of its day is processed as if it had not landed."""
    with_bad, clean = zones["with_bad"], zones["clean"]
    assert set(COMPARED_TABLES) >= {"quarantined_files", "agg_ingest_daily", "fct_events"}
    assert tables_without_file_counters(with_bad) == tables_without_file_counters(clean)
    assert clean.query("select count(*) from main.quarantined_files") == [(0,)]
    counts = with_bad.query(
        "select cast(dt as varchar), file_count, files_quarantined from main.agg_ingest_daily order by dt"
    )
    assert counts == [(DAY1, 5, 2), (DAY2, 6, 4)]
    assert clean.query("select file_count, files_quarantined from main.agg_ingest_daily order by dt") == [
        (3, 0),
        (2, 0),
    ]


def test_a_later_day_is_processed_and_a_corrected_copy_landed_under_another_name_is_read(zones: dict) -> None:
    pipeline = zones["with_bad"]
    assert [d for (d,) in pipeline.query("select cast(dt as varchar) from main.agg_ingest_daily order by dt")] == [
        DAY1,
        DAY2,
    ]
    copy = pipeline.query(
        "select cast(dt as varchar), file_name, count(*) from main.fct_events where event_id like 't-%' group by all"
    )
    assert copy == [(DAY2, "truncated-fixed.jsonl.gz", 300)]
    assert pipeline.query("select count(*) from main.fct_events where event_id like 'k-%' or event_id like 'n-%'") == [
        (0,)
    ]
    assert pipeline.query("select count(*) from main.quarantined_events where file_name like '%.gz'") == [(0,)]


def test_the_error_threshold_fails_the_refresh_with_a_message_naming_its_var(zones: dict) -> None:
    """DAY2 has more files quarantined than file_quarantine_error_count: the refresh fails and
    says which test (named after the var) failed and where its rows are; the models are
    committed (the day is recorded, as for every quality threshold)."""
    code, _, err = zones["day2"]
    assert code == 1
    assert "agg_ingest_daily__files_quarantined_above_file_quarantine_error_count" in err, err[-3000:]
    assert "failing rows" in err and "threshold" in err
    assert zones["failing_rows"] == [(DAY2, 4, "file_quarantine_error_count")]


def test_plain_dbt_build_refuses_a_batch_file_without_a_check_record(make_pipeline, tmp_path: Path) -> None:
    pipeline = make_pipeline("unchecked")
    pipeline.land(DAY1, "a.jsonl", lines("a", DAY1, 3))
    pipeline.paths.warehouse.parent.mkdir(parents=True)
    result = pipeline.dbt("run", "--select", "stg_click_events__files", work_dir=tmp_path / "dbt")
    assert result.returncode != 0
    assert "have no file check record" in result.stdout and "clickstream check-files" in result.stdout, result.stdout[
        -3000:
    ]
    assert "a.jsonl" in result.stdout


def test_check_files_records_each_landed_entry_once(make_pipeline, capsys: pytest.CaptureFixture[str]) -> None:
    pipeline = make_pipeline("cli")
    pipeline.land(DAY1, "a.jsonl", lines("a", DAY1, 3))
    (pipeline.paths.raw_root / "click_events" / f"dt={DAY1}" / "bad.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00")
    (pipeline.paths.raw_root / "click_events" / f"dt={DAY1}" / "ignored.txt").write_bytes(b"x")
    args = ["--raw-root", str(pipeline.paths.raw_root), "--warehouse", str(pipeline.paths.warehouse)]
    assert file_check.main(args) == 0
    output = capsys.readouterr().out
    assert "checked 2 new file(s), 1 quarantined" in output and "bad.jsonl.gz (truncated_gzip" in output
    assert file_check.main(args) == 0
    assert "checked 0 new file(s)" in capsys.readouterr().out
    log = file_check.check_log_path(pipeline.paths)
    assert log == pipeline.paths.warehouse.parent / "file_checks.jsonl"
    assert sorted(file_check.read_log(log)) == [
        f"click_events/dt={DAY1}/a.jsonl",
        f"click_events/dt={DAY1}/bad.jsonl.gz",
    ]


def test_a_half_written_last_record_is_cut_before_the_next_append(tmp_path: Path) -> None:
    log = tmp_path / "file_checks.jsonl"
    good = file_check.FileCheck("click_events/dt=2024-03-01/a.jsonl", DAY1, "a.jsonl", "regular", None, None, 1, "x")
    log.write_bytes(good.line() + b'{"file_path": "click_events/dt=2024-03-01/b.jsonl", "dt')
    assert list(file_check.read_log(log)) == [good.file_path]
    other = file_check.FileCheck("click_events/dt=2024-03-01/c.jsonl", DAY1, "c.jsonl", "regular", None, None, 1, "y")
    file_check.append_records(log, [other])
    text = log.read_bytes()
    assert text.count(b"\n") == 2 and text.endswith(b"\n") and b"b.jsonl" not in text
    assert list(file_check.read_log(log)) == [good.file_path, other.file_path]


def gzip_member(data: bytes, flags: int = 0, extra: bytes = b"") -> bytes:
    """One gzip member with the given header flags (FEXTRA 4, FNAME 8, FCOMMENT 16, FHCRC 2)."""
    import struct
    import zlib

    header = b"\x1f\x8b\x08" + bytes([flags]) + b"\x00\x00\x00\x00\x00\xff"
    if flags & 4:
        header += struct.pack("<H", len(extra)) + extra
    if flags & 8:
        header += b"name.jsonl\x00"
    if flags & 16:
        header += b"a comment\x00"
    if flags & 2:
        header += struct.pack("<H", zlib.crc32(header) & 0xFFFF)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    return header + deflate.compress(data) + deflate.flush() + struct.pack("<II", zlib.crc32(data), len(data))


def test_the_check_accepts_what_every_reader_reads_and_nothing_else(tmp_path: Path) -> None:
    """The gzip rules, on real files: several members, FNAME / FEXTRA headers and an empty member
    are fine; a header CRC or comment (DuckDB cannot read them), a wrong CRC (DuckDB would read
    the bytes without noticing), bytes after the last member (zero padding too), a partial
    header; a symlink is the file it points to, a dangling one is unreadable, a socket is not a
    regular file. Every reason given is a row of the seed, and every row of the seed is given."""
    day = tmp_path / "click_events" / f"dt={DAY1}"
    day.mkdir(parents=True)
    body = b'{"event_id": "e1"}\n'
    member = gzip_member(body)
    bad_crc = bytearray(member)
    bad_crc[-8] ^= 0xFF
    files = {
        "two-members.jsonl.gz": (member + gzip_member(body), None),
        "fname-fextra.jsonl.gz": (gzip_member(body, 8) + gzip_member(body, 4, b"ab\x02\x00hi"), None),
        "empty-member.jsonl.gz": (gzip_member(b""), None),
        "header-crc.jsonl.gz": (gzip_member(body, 2), "unsupported_gzip"),
        "comment.jsonl.gz": (gzip_member(body, 16), "unsupported_gzip"),
        "bad-crc.jsonl.gz": (bytes(bad_crc), "corrupt_gzip"),
        "zero-padded.jsonl.gz": (member + b"\x00" * 8, "corrupt_gzip"),
        "trailing-text.jsonl.gz": (member + b"xyz", "corrupt_gzip"),
        "partial-header.jsonl.gz": (b"\x1f\x8b\x08", "truncated_gzip"),
        "partial-second-member.jsonl.gz": (member + member[:30], "truncated_gzip"),
        "one-byte.jsonl.gz": (b"x", "not_gzip"),
        "binary.jsonl": (member, None),  # a plain file's bytes are the lines' business
    }
    for name, (data, _) in files.items():
        (day / name).write_bytes(data)
    (day / "link.jsonl").symlink_to(day / "binary.jsonl")
    (day / "dangling.jsonl").symlink_to(day / "nowhere")
    # AF_UNIX paths are limited to ~107 bytes: bind in a short directory, then move the socket in.
    short_dir = Path(tempfile.mkdtemp(prefix="cs-", dir="/tmp"))
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(short_dir / "s"))
        os.rename(short_dir / "s", day / "sock.jsonl")
        short_dir.rmdir()
        checks = {p.name: file_check.check_file(p, tmp_path) for p in file_check.landed_entries(tmp_path)}
    expected = {name: reason for name, (_, reason) in files.items()}
    expected |= {"link.jsonl": None, "dangling.jsonl": "unreadable", "sock.jsonl": "not_a_regular_file"}
    assert {name: check.quarantine_reason for name, check in checks.items()} == expected
    assert checks["link.jsonl"].sha256 == checks["binary.jsonl"].sha256 == hashlib.sha256(member).hexdigest()
    assert checks["sock.jsonl"].file_type == "socket" and checks["dangling.jsonl"].file_type == "missing"
    with (PROJECT_ROOT / "seeds" / "file_quarantine_reasons.csv").open() as seed:
        seeded = [row["reason"] for row in csv.DictReader(seed)]
    given = {check.quarantine_reason for check in checks.values()} - {None} | {"empty_gzip"}
    assert seeded == list(file_check.REASONS) and set(seeded) == given


def test_the_html_report_lists_the_quarantined_files(zones: dict, tmp_path: Path) -> None:
    from clickstream.report import html as report

    pipeline = zones["with_bad"]
    page = report.write_report(pipeline.paths.warehouse, tmp_path / "report.html").read_text()
    section = page.split('id="section-quarantined-files"')[1].split("</section>")[0]
    for name, reason in {**EXPECTED_DAY1, **EXPECTED_DAY2}.items():
        assert f"<td>{name}</td><td>{reason}</td>" in section
    assert "files quarantined<b>6</b>" in page
