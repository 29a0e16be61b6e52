"""A full disk: a refresh whose warehouse and exports sit on a small filesystem that fills up
(a real tmpfs, mounted for the test: CI runs as root) stops with a message that says the disk is
full and where, without a traceback; once space is freed, the next refresh ends with the same
tables and exports as a run that never ran out of space."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Pipeline, event, exported_files

from clickstream.paths import PipelinePaths

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None,
        reason="mounting a small tmpfs needs root",
    ),
]


@pytest.fixture
def small_disk(tmp_path: Path):
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128m", "tmpfs", str(mount_point)], check=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path, leave_bytes: int) -> Path:
    """Fill the filesystem until about leave_bytes are free; returns the filler file."""
    filler = disk / "filler.bin"
    free = shutil.disk_usage(disk).free
    with open(filler, "ab") as handle:
        chunk = b"\0" * (1 << 20)
        while free - leave_bytes > 0:
            handle.write(chunk[: min(len(chunk), free - leave_bytes)])
            handle.flush()
            free = shutil.disk_usage(disk).free
    return filler


def refresh(pipeline: Pipeline) -> subprocess.CompletedProcess:
    paths = pipeline.paths
    command = [
        *(sys.executable, "-m", "clickstream", "refresh", "--skip-freshness"),
        *("--raw-root", str(paths.raw_root), "--warehouse", str(paths.warehouse)),
        *("--export-root", str(paths.export_root)),
    ]
    return subprocess.run(command, capture_output=True, text=True, env={**os.environ, "DO_NOT_TRACK": "1"})


def land_day(pipeline: Pipeline, day: str, events: int) -> None:
    lines = [event(f"{day}-{i}", f"u{i % 17}", f"{day}T{i % 24:02d}:{i % 60:02d}:00Z") for i in range(events)]
    pipeline.land(day, "a.jsonl", lines)


def test_a_refresh_on_a_full_disk_says_so_and_the_next_one_after_freeing_space_completes(
    make_pipeline, small_disk: Path, tmp_path: Path
) -> None:
    reference = make_pipeline("reference")
    full = Pipeline(PipelinePaths(tmp_path / "raw", small_disk / "warehouse" / "w.duckdb", small_disk / "exports"))
    for pipeline in (reference, full):
        land_day(pipeline, "2024-05-01", 300)
    assert refresh(reference).returncode == 0
    assert refresh(full).returncode == 0
    for pipeline in (reference, full):
        land_day(pipeline, "2024-05-02", 3000)
    assert refresh(reference).returncode == 0

    # the disk fills up: almost nothing left, then a little more (another moment of the run)
    for leave in (64 * 1024, 1024 * 1024):
        filler = fill(small_disk, leave)
        result = refresh(full)
        assert result.returncode != 0, result.stdout
        assert "the disk is full" in result.stderr, result.stderr
        assert str(small_disk) in result.stderr
        assert "Traceback" not in result.stderr + result.stdout
        filler.unlink()

    # space freed: the same command completes, as if the disk had never filled up
    result = refresh(full)
    assert result.returncode == 0, result.stderr
    assert full.snapshot() == reference.snapshot()
    assert exported_files(full.paths.export_root) == exported_files(reference.paths.export_root)
