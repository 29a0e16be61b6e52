"""Results do not depend on the schedule (#18): one landing zone - a small noisy generated sample
plus the hand-written edge cases - refreshed one file at a time and in random groups of files
(several seeds) gives the public tables and the exported bytes of one full refresh (day by day:
test_generated_sample_invariants.py and test_incremental_sessions.py). The schedules bring files
whose names sort before files already processed for their day (the first landed copy of an event
moves) and files for days older than the last processed one (the refresh replays the later days)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from conftest import EDGE_DAY, Pipeline, edge_case_lines, event, exported_files

from clickstream.ingest import generate as generate_events
from clickstream.paths import PipelinePaths

pytestmark = [pytest.mark.slow, pytest.mark.second_lane]


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Pipeline]:
    """The landing zone's files (2 days of generated noisy events, 2 files a day, and 2 edge-case
    files on the second day) and its full refresh."""
    base = tmp_path_factory.mktemp("zone")
    raw = base / "raw"
    arguments = [
        "--start-date",
        "2024-03-01",
        "--days",
        "2",
        "--events-per-day",
        "400",
        "--seed",
        "5",
        "--partitions",
        "2",
    ]
    assert generate_events.main([*arguments, "--raw-root", str(raw), "--quiet"]) == 0
    full = Pipeline(PipelinePaths(raw, base / "full" / "w.duckdb", base / "full" / "exports"))
    full.land(EDGE_DAY, "a_edge_cases.jsonl", edge_case_lines())
    # a later-landed copy of an edge event with another time (the earlier copy wins), and its
    # name sorts last: landed first in some schedules, it must lose once the other file lands
    full.land(EDGE_DAY, "zz_edge_cases_later.jsonl", [event("edge-gap-3", "edge_u1", "2024-03-02T10:50:00Z")])
    assert full.refresh("--full-refresh") == 0
    files = sorted((raw / "click_events").glob("dt=*/*.jsonl*"))
    assert len({path.parent for path in files}) == 2 and len(files) >= 6
    return files, full


def refreshed_in_groups(groups: list[list[Path]], source: Path, target: Path) -> Pipeline:
    """Land each group of files (copies) into a new landing zone under target, refreshing after each."""
    scheduled = Pipeline(PipelinePaths(target / "raw", target / "w.duckdb", target / "exports"))
    for group in groups:
        for path in group:
            landed = scheduled.paths.raw_root / path.relative_to(source)
            landed.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, landed)
        assert scheduled.refresh() == 0, f"refresh after landing {[p.name for p in group]}"
    return scheduled


def assert_same_as_full_refresh(scheduled: Pipeline, full: Pipeline) -> None:
    assert scheduled.snapshot() == full.snapshot()
    assert exported_files(scheduled.paths.export_root) == exported_files(full.paths.export_root)


def sorts_before_a_landed_file(groups: list[list[Path]]) -> int:
    """How many files land after a file of the same day whose name sorts after theirs."""
    seen: list[Path] = []
    count = 0
    for group in groups:
        count += sum(any(other.parent == path.parent and other.name > path.name for other in seen) for path in group)
        seen += group
    return count


def lands_after_a_later_day(groups: list[list[Path]]) -> int:
    """How many files land after a file of a later landing day was refreshed."""
    latest = ""
    count = 0
    for group in groups:
        count += sum(path.parent.name < latest for path in group)
        latest = max([latest, *(path.parent.name for path in group)])
    return count


def test_one_file_at_a_time_newest_names_first_and_a_late_file_give_the_full_refresh(zone, tmp_path) -> None:
    files, full = zone
    source = full.paths.raw_root
    by_day: dict[str, list[Path]] = {}
    for path in files:
        by_day.setdefault(path.parent.name, []).append(path)
    # each day's files in reverse name order (every file after the first sorts before the landed
    # ones), except the first day's first file, which lands last: after the later days
    held_back = by_day[min(by_day)][0]
    order = [path for day in sorted(by_day) for path in reversed(by_day[day]) if path != held_back] + [held_back]
    groups = [[path] for path in order]
    assert sorts_before_a_landed_file(groups) >= 3 and lands_after_a_later_day(groups) == 1
    assert_same_as_full_refresh(refreshed_in_groups(groups, source, tmp_path), full)


@pytest.mark.parametrize("seed", [2, 3])
def test_random_groups_of_files_give_the_full_refresh(zone, tmp_path, seed: int) -> None:
    files, full = zone
    rng = random.Random(seed)
    order = rng.sample(files, len(files))  # any order: days and names mixed
    groups = []
    while order:
        size = rng.randint(2, 3)
        groups.append(order[:size])
        order = order[size:]
    assert sorts_before_a_landed_file(groups) > 0 and lands_after_a_later_day(groups) > 0
    assert_same_as_full_refresh(refreshed_in_groups(groups, full.paths.raw_root, tmp_path), full)
