"""The record of processed landed files: ``audit.processed_files`` in the warehouse.

After each successful refresh step, `clickstream refresh` records every file that step's dbt
build read (``staging.stg_click_events__files``: the batch's files, those quarantined at file
level included): its path relative to the raw root, landing day, size, modification time, the
SHA-256 of the file check (clickstream/ingest/file_check.py), the run and when. A file's latest
row is its state.

Before a refresh starts, the landing zone is compared with that record (``compare()``):

- a landed file with no record is *new*: its landing day is processed (again) by this refresh;
- a recorded file whose size changed, or whose modification time changed and whose SHA-256 no
  longer matches, *changed*: landed files are immutable, so the refresh refuses to run and names
  it (a silent re-read would change results already published);
- a recorded file no longer landed is *missing*: a warning (its rows stay; a full refresh from
  raw would lose them).

A warehouse built before this record existed has no ``audit.processed_files``: its processed
landing days (agg_ingest_daily) count as processed whole, and the next successful step starts
the record.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from clickstream.ingest import file_check
from clickstream.paths import PipelinePaths
from clickstream.pipeline.audit import utc_now
from clickstream.pipeline.warehouse import connect_duckdb, open_warehouse

LOG = logging.getLogger("clickstream.processed_files")

REGISTRY_DDL = """
create schema if not exists audit;
create table if not exists audit.processed_files (
    file_path varchar not null,
    dt date not null,
    file_name varchar not null,
    size_bytes bigint,
    mtime_ns bigint,
    sha256 varchar,
    run_id varchar not null,
    processed_at timestamp not null
);
"""
HASH_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class ProcessedFile:
    """The latest record of one processed landed file."""

    file_path: str  # relative to the raw root: click_events/dt=YYYY-MM-DD/<name>
    size_bytes: int | None
    mtime_ns: int | None
    sha256: str | None
    processed_at: datetime  # UTC


@dataclass
class LandingChanges:
    """The landing zone compared with the record of processed files."""

    new: list[str] = field(default_factory=list)  # relative paths, sorted
    changed: list[str] = field(default_factory=list)  # "<path> (what changed)"
    missing: list[str] = field(default_factory=list)  # relative paths of recorded files not landed

    def new_days(self) -> list[str]:
        """The landing days of the new files, sorted."""
        return sorted({landing_day_of(path) for path in self.new})


def landing_day_of(relative_path: str) -> str:
    """The landing day (YYYY-MM-DD) of a path click_events/dt=YYYY-MM-DD/<name>."""
    return relative_path.split("/")[1].removeprefix("dt=")


def closed_since_processed(records: dict[str, ProcessedFile] | None, day: str, grace_minutes: int) -> bool:
    """Whether landing day `day` was last processed while it was still landing (before its end, UTC
    midnight, plus grace_minutes) and is complete now: the error-level quality thresholds, which
    judge only complete days (macro last_complete_landing_day()), have not judged it yet."""
    times = [record.processed_at for path, record in (records or {}).items() if landing_day_of(path) == day]
    end = datetime.fromisoformat(day) + timedelta(days=1, minutes=grace_minutes)
    return bool(times) and max(times) < end <= utc_now()


def processed_files(warehouse: Path) -> dict[str, ProcessedFile] | None:
    """The latest record of each processed file, by relative path; None when the warehouse does not
    exist or has no record yet (new, or built by an older version)."""
    if not warehouse.exists():
        return None
    with connect_duckdb(warehouse, read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'audit' and table_name = 'processed_files'"
        ).fetchall()[0][0]
        if not exists:
            return None
        rows = con.execute(
            "select file_path, size_bytes, mtime_ns, sha256, processed_at from audit.processed_files "
            "qualify row_number() over (partition by file_path order by processed_at desc, run_id desc) = 1"
        ).fetchall()
    return {row[0]: ProcessedFile(*row) for row in rows}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def change_of(path: Path, record: ProcessedFile) -> str | None:
    """What changed in a processed file since it was recorded, or None. Size first (a stat); the
    content is hashed again only when the modification time moved."""
    try:
        stat = path.stat()
    except OSError as error:
        return f"cannot be read any more: {error.strerror or error}"
    if record.size_bytes is not None and stat.st_size != record.size_bytes:
        return f"size {record.size_bytes} -> {stat.st_size} bytes"
    if record.mtime_ns is None or stat.st_mtime_ns == record.mtime_ns or record.sha256 is None:
        return None
    try:
        digest = file_sha256(path)
    except OSError as error:
        return f"cannot be read any more: {error.strerror or error}"
    return None if digest == record.sha256 else f"content changed (SHA-256 {record.sha256[:12]}... -> {digest[:12]}...)"


def compare(raw_root: Path, records: dict[str, ProcessedFile] | None, processed_days: list[str]) -> LandingChanges:
    """The landing zone against the record (see the module docstring). Without a record, the files
    of the processed days count as processed, unchanged."""
    changes = LandingChanges()
    landed = {entry.relative_to(raw_root).as_posix(): entry for entry in file_check.landed_entries(raw_root)}
    done_days = set(processed_days)
    for relative, entry in landed.items():
        record = records.get(relative) if records is not None else None
        if record is None:
            if records is not None or landing_day_of(relative) not in done_days:
                changes.new.append(relative)
            continue
        if entry.is_file():
            change = change_of(entry, record)
            if change:
                changes.changed.append(f"{entry} ({change})")
    if records is not None:
        changes.missing = sorted(path for path in records if path not in landed)
    return changes


def record_batch(paths: PipelinePaths, target: str, run_id: str, full_refresh: bool = False) -> int:
    """Record every file the last dbt build read (staging.stg_click_events__files of `target`) as
    processed by run `run_id`, with its size and modification time now and the SHA-256 of its file
    check (hashed again if the file's size is no longer the checked one); returns how many. After a
    full refresh, the record is what it read, and only that."""
    with open_warehouse(target, paths.warehouse) as wh:
        if not wh.table_exists("staging", "stg_click_events__files"):
            return 0
        rows = wh.query("select relative_path, cast(dt as string), file_name from staging.stg_click_events__files")
    checks = file_check.read_log(file_check.check_log_path(paths))
    now = utc_now()
    values = []
    for relative, dt, file_name in sorted(rows):
        try:
            stat = (paths.raw_root / relative).stat()
            size, mtime = stat.st_size, stat.st_mtime_ns
        except OSError:
            size, mtime = None, None
        check = checks.get(relative) or {}
        sha256 = check.get("sha256")
        if sha256 is not None and size is not None and check.get("size_bytes") != size:
            sha256 = file_sha256(paths.raw_root / relative)
        values.append((relative, date.fromisoformat(dt), file_name, size, mtime, sha256, run_id, now))
    with connect_duckdb(paths.warehouse, read_only=False) as con:
        con.execute(REGISTRY_DDL)
        con.execute("begin")
        if full_refresh:
            con.execute("delete from audit.processed_files")
        if values:
            con.executemany("insert into audit.processed_files values (?, ?, ?, ?, ?, ?, ?, ?)", values)
        con.execute("commit")
    LOG.debug("recorded %d processed files for run %s", len(values), run_id)
    return len(values)


def listed(items: list[str], limit: int = 5) -> str:
    """The first few items, and how many more."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
