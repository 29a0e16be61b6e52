"""Tests for `clickstream generate` (clickstream/ingest/generate.py, the synthetic click-event lander).

Every run is tiny (a few thousand events per day) and goes to tmp_path; the
script is loaded from its path so the tests work from any current directory.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import re
import subprocess
import sys
import zlib
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from clickstream.ingest import generate as ge

START = "2024-03-30"  # the runs cross a month end
FILE_RE = re.compile(r"^click_events\+(\d+)\+(\d{10})\.jsonl(\.gz)?$")
EVENT_TYPES = {
    "page_view",
    "click",
    "scroll",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "checkout",
    "purchase",
    "sign_up",
    "login",
}
TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?")
REQUIRED = ("event_id", "user_id", "event_type")


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------


def run(root: Path, *extra: str, days: int = 3, events: int = 2000, manifest: Path | None = None) -> int:
    argv = [
        "--start-date",
        START,
        "--days",
        str(days),
        "--events-per-day",
        str(events),
        "--raw-root",
        str(root),
        "--quiet",
        *extra,
    ]
    if manifest is not None:
        argv += ["--manifest", str(manifest)]
    return ge.main(argv)


def landed_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "click_events").rglob("*") if p.is_file())


def file_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in landed_files(root)}


def raw_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def file_lines(path: Path) -> list[bytes]:
    """The records of a file, without their LF or CRLF terminator."""
    data = raw_bytes(path)
    assert data.endswith(b"\n"), path
    lines = data.split(b"\n")[:-1]
    if lines and all(line.endswith(b"\r") for line in lines):
        lines = [line[:-1] for line in lines]
    return lines


def parse_ts(value: Any) -> datetime:
    """The instant of an allowed event_ts form (raises ValueError otherwise)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value)
    if not isinstance(value, str) or not TS_RE.fullmatch(value):
        raise ValueError(value)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def classify(line: bytes, dt: date) -> tuple[str, dict[str, Any] | None]:
    """What the pipeline should make of one line (noise kind or 'valid')."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_utf8", None
    if text == "":
        return "blank_line", None
    if text.strip() == "":
        return "whitespace_line", None
    try:
        obj = json.loads(text)
    except ValueError:
        return "malformed_json", None
    if not isinstance(obj, dict):
        return "malformed_json", None
    for key in REQUIRED:
        if not isinstance(obj.get(key), str) or not obj[key].strip():
            return "invalid_required_field", obj
    if obj.get("event_ts") in (None, ""):
        return "invalid_required_field", obj
    if obj["event_type"] not in EVENT_TYPES:
        return "unknown_event_type", obj
    try:
        ts = parse_ts(obj["event_ts"])
    except ValueError:
        return "invalid_timestamp", obj
    if ts.date() > dt:
        return "future_event", obj
    return "valid", obj


def scan(root: Path) -> list[dict[str, Any]]:
    """One record per landed line: dt, file, partition, offset, kind, obj, raw."""
    records = []
    for path in landed_files(root):
        dt = date.fromisoformat(path.parent.name.removeprefix("dt="))
        match = FILE_RE.match(path.name)
        assert match, path.name
        partition, start = int(match.group(1)), int(match.group(2))
        for i, line in enumerate(file_lines(path)):
            kind, obj = classify(line, dt)
            records.append(
                {
                    "dt": dt,
                    "file": path.name,
                    "partition": partition,
                    "offset": start + i,
                    "kind": kind,
                    "obj": obj,
                    "raw": line,
                }
            )
    return records


def partition_of(user_id: str, partitions: int) -> int:
    return zlib.crc32(user_id.encode("utf-8")) % partitions


# ----------------------------------------------------------------------------
# fixtures: one small default-shaped run and one noisy run, shared
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    base = tmp_path_factory.mktemp("small")
    manifest = base / "manifest.json"
    assert (
        run(
            base / "raw",
            "--partitions",
            "3",
            "--max-records-per-file",
            "250",
            "--gzip-every-nth-day",
            "2",
            "--crlf-every-nth-file",
            "4",
            days=4,
            events=2000,
            manifest=manifest,
        )
        == 0
    )
    return base / "raw", json.loads(manifest.read_text())


@pytest.fixture(scope="module")
def noisy_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], list[dict[str, Any]]]:
    base = tmp_path_factory.mktemp("noisy")
    manifest = base / "manifest.json"
    assert (
        run(
            base / "raw",
            "--noise-scale",
            "4",
            "--late-rate",
            "0.05",
            "--too-late-rate",
            "0.01",
            days=4,
            events=4000,
            manifest=manifest,
        )
        == 0
    )
    root = base / "raw"
    return root, json.loads(manifest.read_text()), scan(root)


# ----------------------------------------------------------------------------
# determinism
# ----------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_different_bytes(tmp_path: Path) -> None:
    args = (
        "--partitions",
        "3",
        "--max-records-per-file",
        "300",
        "--gzip-every-nth-day",
        "2",
        "--crlf-every-nth-file",
        "3",
    )
    assert run(tmp_path / "a", *args, "--seed", "7") == 0
    assert run(tmp_path / "b", *args, "--seed", "7") == 0
    assert run(tmp_path / "c", *args, "--seed", "8") == 0
    first, again, other = (file_hashes(tmp_path / n) for n in "abc")
    assert first and any(name.endswith(".gz") for name in first)
    assert first == again
    assert first != other
    assert set(first.values()).isdisjoint(other.values())


def test_subprocess_run_uses_env_raw_root_and_matches_in_process_bytes(tmp_path: Path) -> None:
    """Runs from another cwd with another hash seed: same bytes as main()."""
    args = ["--start-date", START, "--days", "2", "--events-per-day", "1500", "--seed", "3"]
    env = dict(os.environ, CLICKSTREAM_RAW_ROOT=str(tmp_path / "env_root"), PYTHONHASHSEED="12345")
    done = subprocess.run(
        [sys.executable, "-m", "clickstream", "generate", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "landed 2 day(s)" in done.stdout and len(done.stdout.strip().splitlines()) == 1
    assert "dt=2024-03-30" in done.stderr  # per-day progress is logged
    assert ge.main([*args, "--raw-root", str(tmp_path / "in_process"), "--quiet"]) == 0
    assert file_hashes(tmp_path / "env_root") == file_hashes(tmp_path / "in_process")


# ----------------------------------------------------------------------------
# layout, naming, offsets, partitions, compression, line endings
# ----------------------------------------------------------------------------


def test_layout_has_only_requested_dt_dirs_and_kafka_connect_file_names(small_run: tuple[Path, dict[str, Any]]) -> None:
    root, _ = small_run
    assert [p.name for p in root.iterdir()] == ["click_events"]
    dirs = sorted(p.name for p in (root / "click_events").iterdir())
    assert dirs == ["dt=2024-03-30", "dt=2024-03-31", "dt=2024-04-01", "dt=2024-04-02"]
    for d in (root / "click_events").iterdir():
        assert d.is_dir()
        for f in d.iterdir():
            assert f.is_file() and FILE_RE.match(f.name), f  # no temp files left


def test_offsets_are_contiguous_per_partition_across_files_and_days(small_run: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = small_run
    next_offset: dict[int, int] = defaultdict(int)
    files_per_partition_day: Counter[tuple[str, int]] = Counter()
    for path in landed_files(root):  # dt= sorts by date, offsets are zero padded
        match = FILE_RE.match(path.name)
        assert match
        partition, start = int(match.group(1)), int(match.group(2))
        assert start == next_offset[partition], path
        n_lines = len(file_lines(path))
        assert 1 <= n_lines <= 250
        next_offset[partition] = start + n_lines
        files_per_partition_day[(path.parent.name, partition)] += 1
    assert sorted(next_offset) == [0, 1, 2]
    assert [next_offset[p] for p in range(3)] == manifest["partition_end_offsets"]
    assert max(files_per_partition_day.values()) > 1  # files roll within a day


def test_each_users_events_always_land_in_the_users_crc32_partition(small_run: tuple[Path, dict[str, Any]]) -> None:
    root, _ = small_run
    seen = 0
    for record in scan(root):
        obj = record["obj"]
        if obj is not None and re.fullmatch(r"u_\d+", str(obj.get("user_id"))):
            assert record["partition"] == partition_of(obj["user_id"], 3), record
            seen += 1
    assert seen > 7000


def test_original_events_stay_in_user_partition_when_partitions_have_one_file_a_day(
    noisy_run: tuple[Path, dict[str, Any], list[dict[str, Any]]],
) -> None:
    """With one file per partition and day, only 'duplicate_other_file' copies
    may sit in another partition; every event_id's original is in place."""
    _, manifest, records = noisy_run
    by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        if record["kind"] == "valid":
            by_id[record["obj"]["event_id"]].append(record)
    misplaced = 0
    for copies in by_id.values():
        home = [r for r in copies if r["partition"] == partition_of(r["obj"]["user_id"], 4)]
        assert home, copies
        misplaced += len(copies) - len(home)
    assert 0 < misplaced <= manifest["totals"]["noise"]["duplicate_other_file"]


def test_gzip_days_decompress_with_zero_mtime_and_other_days_are_plain(small_run: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = small_run
    for path in landed_files(root):
        day_index = (date.fromisoformat(path.parent.name[3:]) - date.fromisoformat(START)).days
        should_gzip = (day_index + 1) % 2 == 0
        assert path.name.endswith(".gz") == should_gzip, path
        data = path.read_bytes()
        if should_gzip:
            assert data[:2] == b"\x1f\x8b" and data[4:8] == b"\0\0\0\0"  # mtime 0
            assert gzip.decompress(data).endswith(b"\n")
        else:
            assert data[:1] != b"\x1f"
    assert [d["gzip"] for d in manifest["days"].values()] == [False, True, False, True]


def test_crlf_files_exist_when_enabled_and_all_others_are_pure_lf(
    small_run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    root, _ = small_run
    kinds = []
    for path in landed_files(root):
        data = raw_bytes(path)
        if data.count(b"\r\n") == data.count(b"\n"):
            kinds.append("crlf")
        else:
            assert b"\r" not in data, path
            kinds.append("lf")
    assert kinds.count("crlf") == len(kinds) // 4 and kinds.count("lf") > 0
    assert run(tmp_path / "never", "--crlf-every-nth-file", "0", days=1, events=500) == 0
    assert all(b"\r" not in raw_bytes(p) for p in landed_files(tmp_path / "never"))


# ----------------------------------------------------------------------------
# content
# ----------------------------------------------------------------------------


def test_valid_lines_follow_the_event_contract(small_run: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = small_run
    records = scan(root)
    valid = [r for r in records if r["kind"] == "valid"]
    forms: Counter[str] = Counter()
    extra_fields: dict[str, list[str]] = {}  # event_id -> extra keys
    for record in valid:
        obj = record["obj"]
        assert list(obj)[:9] == [
            "event_id",
            "user_id",
            "event_type",
            "event_ts",
            "page_url",
            "referrer",
            "user_agent",
            "ip",
            "properties",
        ]
        if len(obj) > 9:
            extra_fields[obj["event_id"]] = list(obj)[9:]
        assert re.fullmatch(r"u_\d{6}", obj["user_id"])
        assert obj["page_url"].startswith("https://shop.example.com/")
        assert isinstance(obj["referrer"], str) and isinstance(obj["user_agent"], str)
        assert isinstance(obj["properties"], dict)
        assert ":" in obj["ip"] or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", obj["ip"])
        # compact JSON, exactly as json.dumps would write it (so edits are faithful)
        assert json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() == record["raw"]
        ts = obj["event_ts"]
        if isinstance(ts, int):
            forms["epoch_ms"] += 1
        elif ts.endswith("Z"):
            forms["space" if " " in ts else "z_fraction" if "." in ts else "z_no_fraction"] += 1
        elif re.search(r"[+-]\d{2}:\d{2}$", ts):
            forms["offset"] += 1
        else:
            forms["no_zone"] += 1
    assert set(forms) == {"epoch_ms", "space", "z_fraction", "z_no_fraction", "offset", "no_zone"}
    assert forms["z_fraction"] > 0.8 * len(valid)
    types = Counter(r["obj"]["event_type"] for r in valid)
    assert set(types) == EVENT_TYPES
    assert types["page_view"] > types["click"] > types["purchase"]
    assert len(extra_fields) == manifest["totals"]["valid_with_extra_field"] > 0
    assert {"app_version", "schema_version"} <= {k for keys in extra_fields.values() for k in keys}
    assert any("utm_source=" in r["obj"]["page_url"] for r in valid)
    assert any("bot" in r["obj"]["user_agent"].lower() for r in valid)
    assert any(r["obj"]["properties"].get("currency") for r in valid)
    assert any(ord(c) > 127 for r in valid for c in r["obj"]["properties"].get("query", ""))


def test_sessions_have_short_gaps_near_30_minute_gaps_and_cross_midnight(
    small_run: tuple[Path, dict[str, Any]],
) -> None:
    root, _ = small_run
    times: dict[str, list[datetime]] = defaultdict(list)
    for record in scan(root):
        if record["kind"] == "valid":
            times[record["obj"]["user_id"]].append(parse_ts(record["obj"]["event_ts"]))
    gaps = []
    for user_times in times.values():
        user_times.sort()
        gaps += [(b - a).total_seconds() for a, b in itertools.pairwise(user_times)]
    assert sum(g < 300 for g in gaps) > 0.5 * len(gaps)
    assert any(1700 < g < 1800 for g in gaps) and any(1800 < g < 1900 for g in gaps)
    crossing = [
        t
        for t in times.values()
        if any(a.date() != b.date() and (b - a).total_seconds() < 300 for a, b in itertools.pairwise(t))
    ]
    assert crossing


def test_noise_kinds_match_manifest_and_requested_rates(
    noisy_run: tuple[Path, dict[str, Any], list[dict[str, Any]]],
) -> None:
    _, manifest, records = noisy_run
    totals = manifest["totals"]
    found = Counter(r["kind"] for r in records)
    for kind in (
        "blank_line",
        "whitespace_line",
        "malformed_json",
        "invalid_utf8",
        "invalid_required_field",
        "invalid_timestamp",
        "unknown_event_type",
        "future_event",
    ):
        assert found[kind] == totals["noise"][kind] > 0, kind
    rates = manifest["arguments"]["noise_rates"]
    for kind, rate in rates.items():
        if kind == "duplicate_later_day":  # no earlier day to copy from on day one
            continue
        assert rate == pytest.approx(ge.DEFAULT_NOISE_RATES[kind] * 4)
        assert totals["noise"][kind] / totals["valid"] == pytest.approx(rate, rel=0.2), kind
    assert found["valid"] == totals["valid"] + sum(
        totals["noise"][k]
        for k in ("duplicate_same_file", "duplicate_other_file", "duplicate_later_day", "duplicate_conflicting_payload")
    )
    assert sum(totals["noise"].values()) == totals["noise_total"]
    assert totals["lines"] == len(records) == totals["valid"] + totals["noise_total"]


def test_duplicates_repeat_event_ids_in_same_file_other_file_later_day_and_with_new_payload(
    noisy_run: tuple[Path, dict[str, Any], list[dict[str, Any]]],
) -> None:
    _, manifest, records = noisy_run
    by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        if record["kind"] == "valid":
            by_id[record["obj"]["event_id"]].append(record)
    exact = conflicting = 0
    where: Counter[str] = Counter()
    for copies in by_id.values():
        payloads = {r["raw"] for r in copies}
        exact += len(copies) - len(payloads)
        conflicting += len(payloads) - 1
        for a, b in itertools.pairwise(copies):
            where[
                "same_file"
                if (a["dt"], a["file"]) == (b["dt"], b["file"])
                else "same_day"
                if a["dt"] == b["dt"]
                else "later_day"
            ] += 1
    noise = manifest["totals"]["noise"]
    assert exact == (noise["duplicate_same_file"] + noise["duplicate_other_file"] + noise["duplicate_later_day"])
    assert conflicting == noise["duplicate_conflicting_payload"] > 0
    assert min(where.values()) > 0 and len(where) == 3
    for copies in by_id.values():
        if len({r["raw"] for r in copies}) > 1:
            differing = {k for r in copies for k, v in r["obj"].items() if v != copies[0]["obj"][k]}
            assert differing == {"page_url"}


def test_invalid_utf8_lines_are_the_only_undecodable_lines(
    noisy_run: tuple[Path, dict[str, Any], list[dict[str, Any]]],
) -> None:
    _, manifest, records = noisy_run
    bad = [r["raw"] for r in records if r["kind"] == "invalid_utf8"]
    assert len(bad) == manifest["totals"]["noise"]["invalid_utf8"] > 0
    for raw in bad:  # still line-shaped JSON once decoded leniently
        assert raw.startswith(b"{") and raw.endswith(b"}")
        json.loads(raw.decode("utf-8", "replace"))


def test_late_events_land_one_to_three_days_after_their_event_day_and_few_too_late(
    noisy_run: tuple[Path, dict[str, Any], list[dict[str, Any]]],
) -> None:
    _, manifest, records = noisy_run
    lags: Counter[int] = Counter()
    seen: set[str] = set()
    for record in records:
        if record["kind"] == "valid" and record["obj"]["event_id"] not in seen:
            seen.add(record["obj"]["event_id"])
            lags[(record["dt"] - parse_ts(record["obj"]["event_ts"]).date()).days] += 1
    total = sum(lags.values())
    assert min(lags) == 0 and max(lags) <= ge.MAX_LATE_DAYS
    late = sum(n for lag, n in lags.items() if 1 <= lag <= 3)
    too_late = sum(n for lag, n in lags.items() if lag > 3)
    assert 0.03 < late / total < 0.12  # 5 % of sessions late + midnight spill-over
    assert 0 < too_late / total < 0.03
    assert too_late == manifest["totals"]["too_late"]
    assert late == manifest["totals"]["late_1_to_3_days"]
    first_day = min(r["dt"] for r in records)
    assert any(
        lag > 0
        for r in records
        if r["dt"] == first_day and r["kind"] == "valid"
        for lag in [(r["dt"] - parse_ts(r["obj"]["event_ts"]).date()).days]
    )


def events_per_gap_session(root: Path) -> float:
    """Valid events per session, a session ending at a gap of more than 30 minutes per user."""
    times: dict[str, list[datetime]] = defaultdict(list)
    for record in scan(root):
        if record["kind"] == "valid":
            times[record["obj"]["user_id"]].append(parse_ts(record["obj"]["event_ts"]))
    events = sessions = 0
    for user_times in times.values():
        user_times.sort()
        events += len(user_times)
        sessions += 1 + sum((b - a).total_seconds() > 1800 for a, b in itertools.pairwise(user_times))
    return events / sessions


def test_session_events_mean_gives_a_session_heavy_shape(tmp_path: Path) -> None:
    """The benchmark's second data shape: short sessions (--session-events-mean 0.5), many users."""
    assert run(tmp_path / "usual", "--noise-scale", "0", days=1, events=4000) == 0
    assert (
        run(
            tmp_path / "heavy",
            "--noise-scale",
            "0",
            "--session-events-mean",
            "0.5",
            "--users",
            "1000",
            days=1,
            events=4000,
        )
        == 0
    )
    usual, heavy = events_per_gap_session(tmp_path / "usual"), events_per_gap_session(tmp_path / "heavy")
    assert usual > 4 and heavy < 2.2, (usual, heavy)


def test_noise_scale_zero_gives_only_valid_unique_lines(tmp_path: Path) -> None:
    assert run(tmp_path / "raw", "--noise-scale", "0", days=2, events=1500) == 0
    records = scan(tmp_path / "raw")
    assert {r["kind"] for r in records} == {"valid"}
    assert len({r["obj"]["event_id"] for r in records}) == len(records)


# ----------------------------------------------------------------------------
# command line
# ----------------------------------------------------------------------------


def test_overwrite_refuses_with_exit_2_and_message_without_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "raw"
    assert run(root, days=2, events=500) == 0
    before = file_hashes(root)
    capsys.readouterr()
    assert run(root, "--seed", "9", days=1, events=500) == 2
    err = capsys.readouterr().err
    assert "--overwrite" in err and "dt=2024-03-30" in err
    assert file_hashes(root) == before


def test_overwrite_replaces_only_the_files_of_the_generated_days(tmp_path: Path) -> None:
    root = tmp_path / "raw"
    assert run(root, days=2, events=500) == 0
    topic = root / "click_events"
    (topic / "dt=2024-03-30" / "stray.jsonl").write_text("{}\n")
    (topic / "dt=2024-04-05").mkdir()
    (topic / "dt=2024-04-05" / "keep.jsonl").write_text("{}\n")
    day2_before = {k: v for k, v in file_hashes(root).items() if "dt=2024-03-31" in k}
    # (a warehouse of its own: the default one may have processed these days, which --overwrite refuses)
    no_warehouse = str(tmp_path / "warehouse" / "clickstream.duckdb")
    assert run(root, "--seed", "9", "--overwrite", "--warehouse", no_warehouse, days=1, events=500) == 0
    assert run(tmp_path / "fresh", "--seed", "9", days=1, events=500) == 0
    after = file_hashes(root)
    assert {k: v for k, v in after.items() if "dt=2024-03-30" in k} == file_hashes(tmp_path / "fresh")
    assert {k: v for k, v in after.items() if "dt=2024-03-31" in k} == day2_before
    assert (topic / "dt=2024-04-05" / "keep.jsonl").exists()


def test_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert ge.main(["--help"]) == 0
    out = capsys.readouterr().out
    for option in (
        "--start-date",
        "--days",
        "--events-per-day",
        "--seed",
        "--raw-root",
        "--partitions",
        "--max-records-per-file",
        "--gzip-every-nth-day",
        "--crlf-every-nth-file",
        "--noise-scale",
        "--noise-rate",
        "--session-events-mean",
        "--overwrite",
        "--warehouse",
        "--manifest",
        "CLICKSTREAM_RAW_ROOT",
        "CLICKSTREAM_WAREHOUSE",
        *ge.NOISE_KINDS,
    ):
        assert option in out, option


def test_bad_arguments_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ge.main(["--days", "1"]) == 2  # --start-date missing
    assert ge.main(["--start-date", "2024-02-30", "--raw-root", str(tmp_path)]) == 2
    assert ge.main(["--start-date", START, "--noise-rate", "nope=0.1", "--raw-root", str(tmp_path)]) == 2
    assert ge.main(["--start-date", START, "--session-events-mean", "0", "--raw-root", str(tmp_path)]) == 2
    assert (
        ge.main(
            [
                "--start-date",
                START,
                "--raw-root",
                str(tmp_path),
                "--manifest",
                str(tmp_path / "click_events" / "m.json"),
            ]
        )
        == 2
    )
    assert not (tmp_path / "click_events").exists()
    capsys.readouterr()
