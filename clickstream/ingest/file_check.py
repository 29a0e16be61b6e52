"""File-level check of the landed raw files: the step that runs before dbt reads them.

A landed file that cannot be read as a whole (a corrupt, truncated or non-gzip ``.jsonl.gz``, an
empty ``.gz``, a file the process may not read, a directory, FIFO or socket named like a raw
file) is quarantined at file level: dbt lists it in the public table ``quarantined_files``,
skips it whole (a truncated gzip's readable prefix is not read either) and processes the rest of
the day. The reason codes are the seed ``seeds/file_quarantine_reasons.csv``; docs/rules.md
has the rules.

The check is the same for every engine (DuckDB and Spark read gzip differently: DuckDB ignores a
wrong CRC and rejects header comments, Spark reads both), so both engines read exactly the files
it passes. It looks only at a file's type and bytes:

- not a regular file (after following a symlink): ``not_a_regular_file``; cannot be opened or
  read: ``unreadable``;
- ``.jsonl``: any readable regular file passes (its lines are validated one by one by dbt; an
  empty file is an empty file);
- ``.jsonl.gz``: one or more complete gzip members and nothing else; each member is decompressed
  in full (streamed) and its CRC-32 and length are checked. 0 bytes: ``empty_gzip``; no gzip
  magic at the start: ``not_gzip``; the file ends inside a member: ``truncated_gzip``; a member
  with a header CRC or a comment (which DuckDB's reader does not support): ``unsupported_gzip``;
  anything else (bad deflate data, CRC or length mismatch, bytes after the last member,
  including zero padding): ``corrupt_gzip``.

Each file is checked once: one JSON line per file is appended (and fsynced) to
``<warehouse dir>/file_checks.jsonl``, the check log that dbt reads (macros/ingest/file_checks.sql;
never in the landing zone, which holds the landed bytes only). A half-written last line (a killed
run) is cut off before the next append, and dbt ignores it. dbt refuses to read a batch file
without a record: ``clickstream refresh`` checks the days it processes first, and
``clickstream check-files`` checks every landed file (run it before a plain ``dbt build``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import stat
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from clickstream.options import date_arg
from clickstream.paths import (
    RAW_FILE_SUFFIXES,
    PipelinePaths,
    add_path_options,
    landing_day,
    path_problems,
    unread_entries,
    unread_summary,
)

CHECK_LOG_NAME = "file_checks.jsonl"
CHECK_VERSION = 1
CHUNK_BYTES = 1 << 20
MAX_OUTPUT_BYTES = 1 << 24  # decompressed bytes per zlib call (bounded memory on any ratio)
GZIP_MAGIC = b"\x1f\x8b"
FLAG_HCRC, FLAG_COMMENT = 0x02, 0x10
# The reason codes this check gives, each a row of seeds/file_quarantine_reasons.csv (a test
# checks that both agree).
REASONS = (
    "not_a_regular_file",
    "unreadable",
    "empty_gzip",
    "not_gzip",
    "truncated_gzip",
    "corrupt_gzip",
    "unsupported_gzip",
)


@dataclass(frozen=True)
class FileCheck:
    """The check record of one landed entry (one line of the check log)."""

    file_path: str  # relative to the raw root: click_events/dt=YYYY-MM-DD/<name>
    dt: str
    file_name: str
    file_type: str  # regular, directory, fifo, socket, block_device, char_device, other, missing
    quarantine_reason: str | None  # None: the file is read
    quarantine_detail: str | None
    size_bytes: int | None  # None when not a regular file
    sha256: str | None  # None when not read to its end (unreadable, not a regular file)

    def line(self) -> bytes:
        record = {**asdict(self), "check_version": CHECK_VERSION, "checked_at": datetime.now(UTC).isoformat()}
        return (json.dumps(record, sort_keys=False) + "\n").encode("ascii")


class GzipError(Exception):
    """A gzip file that fails the check: reason code and detail."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class GzipVerifier:
    """Streams a .gz file's bytes: every member complete, CRC-32 and length checked by zlib,
    nothing after the last member. feed() the bytes in order, then finish()."""

    def __init__(self) -> None:
        self.size = 0  # bytes of the file fed so far
        self.consumed = 0  # bytes handed to complete member starts and inflaters
        self.content_bytes = 0  # decompressed bytes
        self.members = 0  # members started
        self.header = b""  # the first bytes of a member, kept until its flags can be read
        self.member_start = 0
        self.inflater = None

    def feed(self, data: bytes) -> None:
        self.size += len(data)
        while data:
            if self.inflater is None:
                if not self.header:
                    self.member_start = self.consumed
                take = data[: 4 - len(self.header)]
                self.header += take
                data = data[len(take) :]
                if not self.start_member(final=False):
                    continue  # the header goes on in the next chunk
                header, self.header = self.header, b""
                self.consumed += len(header) - len(self.inflate(header))  # 4 bytes never end a member
            rest = self.inflate(data)
            self.consumed += len(data) - len(rest)
            data = rest

    def start_member(self, final: bool) -> bool:
        """Check a member's first 4 bytes (fewer at the file's end); True when its inflater is
        ready, False while they are not all there."""
        head = self.header
        if len(head) < 4 and not final:
            return False
        if not (GZIP_MAGIC.startswith(head) if len(head) < 2 else head[:2] == GZIP_MAGIC):
            if self.members == 0:
                raise GzipError("not_gzip", "the file does not start with the gzip magic bytes 1f 8b")
            raise GzipError(
                "corrupt_gzip",
                f"the bytes from byte {self.member_start}, after the end of gzip member {self.members}, "
                "are not a gzip member",
            )
        if len(head) < 4:
            raise GzipError("truncated_gzip", f"the file ends inside the header of gzip member {self.members + 1}")
        flags = head[3]
        if flags & (FLAG_HCRC | FLAG_COMMENT):
            features = [name for bit, name in ((FLAG_HCRC, "a header CRC"), (FLAG_COMMENT, "a comment")) if flags & bit]
            raise GzipError(
                "unsupported_gzip",
                f"gzip member {self.members + 1} has {' and '.join(features)} in its header, which DuckDB's "
                "reader does not support",
            )
        self.inflater = zlib.decompressobj(wbits=31)
        self.members += 1
        return True

    def inflate(self, data: bytes) -> bytes:
        """Give data to the current member's inflater; returns the bytes after the member's end
        (b'' when it takes them all)."""
        inflater = self.inflater
        try:
            while data:
                self.content_bytes += len(inflater.decompress(data, MAX_OUTPUT_BYTES))
                if inflater.eof:
                    self.inflater = None
                    return inflater.unused_data
                data = inflater.unconsumed_tail
            # output held back by the MAX_OUTPUT_BYTES bound, with no input left
            while not inflater.eof and (out := inflater.decompress(b"", MAX_OUTPUT_BYTES)):
                self.content_bytes += len(out)
            if inflater.eof:
                self.inflater = None
                return inflater.unused_data
        except zlib.error as error:
            raise GzipError(
                "corrupt_gzip",
                f"gzip member {self.members} (from byte {self.member_start}) cannot be decompressed: {error}",
            ) from None
        return b""

    def finish(self) -> None:
        """Raise GzipError unless the bytes fed were complete gzip members and nothing else."""
        if self.size == 0:
            raise GzipError("empty_gzip", "the file is empty (0 bytes), which is not a gzip file")
        if self.header:
            self.start_member(final=True)  # raises: fewer than 4 bytes of a member at the end
        if self.inflater is not None:
            raise GzipError(
                "truncated_gzip",
                f"the file ends inside gzip member {self.members} (from byte {self.member_start}; "
                f"{self.size} bytes in all, {self.content_bytes} bytes decompressed before the end)",
            )


def file_type(mode: int) -> str:
    for test, name in (
        (stat.S_ISREG, "regular"),
        (stat.S_ISDIR, "directory"),
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISBLK, "block_device"),
        (stat.S_ISCHR, "char_device"),
    ):
        if test(mode):
            return name
    return "other"


def check_file(path: Path, raw_root: Path) -> FileCheck:
    """Check one landed entry (any type) whose name ends in .jsonl or .jsonl.gz."""
    relative = path.relative_to(raw_root).as_posix()
    dt = landing_day(path.parent.name)
    base = {"file_path": relative, "dt": dt, "file_name": path.name}

    def quarantined(kind: str, reason: str, detail: str, size: int | None = None, sha256: str | None = None):
        return FileCheck(**base, file_type=kind, quarantine_reason=reason, quarantine_detail=detail,
                         size_bytes=size, sha256=sha256)  # fmt: skip

    try:
        info = path.stat()  # follows a symlink: a link to a landed file is that file
    except OSError as error:
        kind = "missing" if isinstance(error, FileNotFoundError) else "other"
        return quarantined(kind, "unreadable", f"cannot stat the file: {error.strerror}")
    kind = file_type(info.st_mode)
    if kind != "regular":
        return quarantined(kind, "not_a_regular_file", f"a {kind.replace('_', ' ')}, not a regular file")
    digest = hashlib.sha256()
    verifier = GzipVerifier() if path.name.endswith(".gz") else None
    gzip_error: GzipError | None = None
    size = info.st_size
    try:
        # O_NONBLOCK: never hang on a FIFO put in place after the stat() above
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb", buffering=0) as handle:
            opened = os.fstat(handle.fileno())
            if not stat.S_ISREG(opened.st_mode):
                kind = file_type(opened.st_mode)
                return quarantined(kind, "not_a_regular_file", f"a {kind.replace('_', ' ')}, not a regular file")
            size = 0
            while chunk := handle.read(CHUNK_BYTES):
                size += len(chunk)
                digest.update(chunk)
                if verifier is not None and gzip_error is None:
                    try:
                        verifier.feed(chunk)
                    except GzipError as error:
                        gzip_error = error  # the rest is still read, for the size and the checksum
        if verifier is not None and gzip_error is None:
            verifier.finish()
    except OSError as error:
        return quarantined("regular", "unreadable", f"cannot read the file: {error.strerror}", size)
    except GzipError as error:
        gzip_error = error
    if gzip_error is not None:
        return quarantined("regular", gzip_error.reason, gzip_error.detail, size, digest.hexdigest())
    return FileCheck(
        **base,
        file_type="regular",
        quarantine_reason=None,
        quarantine_detail=None,
        size_bytes=size,
        sha256=digest.hexdigest(),
    )


def check_log_path(paths: PipelinePaths) -> Path:
    """The check log of a warehouse: next to it (dbt's macro file_checks_path() agrees)."""
    return paths.warehouse.parent / CHECK_LOG_NAME


def landed_entries(raw_root: Path, days: list[str] | None = None) -> list[Path]:
    """Every entry (file, directory, FIFO, ...) named *.jsonl or *.jsonl.gz in the landing
    directories click_events/dt=YYYY-MM-DD/ (only those of `days` when given), sorted by path."""
    events_dir = raw_root / "click_events"
    if not events_dir.is_dir():
        return []
    wanted = set(days) if days is not None else None
    entries = []
    for folder in events_dir.iterdir():
        day = landing_day(folder.name)  # dt=2024-02-30 is not a landing day: not read (unread_entries())
        if not day or not folder.is_dir() or (wanted is not None and day not in wanted):
            continue
        entries += [entry for entry in folder.iterdir() if entry.name.endswith(RAW_FILE_SUFFIXES)]
    return sorted(entries)


def read_log(log: Path) -> dict[str, dict]:
    """The check records by file_path (the first record of a path wins, as in dbt); a line that
    is not a complete JSON record (a half-written last line) is ignored."""
    records: dict[str, dict] = {}
    try:
        text = log.read_bytes()
    except FileNotFoundError:
        return records
    for line in text.split(b"\n"):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("file_path"), str):
            records.setdefault(record["file_path"], record)
    return records


def append_records(log: Path, checks: list[FileCheck]) -> None:
    """Append one line per check, each with a single write, then fsync; first cut a half-written
    last line left by a killed run."""
    log.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size:
            tail = os.pread(fd, min(size, CHUNK_BYTES), max(0, size - CHUNK_BYTES))
            if not tail.endswith(b"\n"):
                cut = tail.rfind(b"\n")
                os.ftruncate(fd, (size - len(tail) + cut + 1) if cut >= 0 else (0 if size <= CHUNK_BYTES else size))
        for check in checks:
            os.write(fd, check.line())
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_checked(paths: PipelinePaths, days: list[str] | None = None) -> list[FileCheck]:
    """Check every landed entry (of `days`, else of every day) that has no check record yet and
    record it; returns the new checks. The check log exists afterwards (empty if nothing landed)."""
    log = check_log_path(paths)
    known = read_log(log)
    raw_root = paths.raw_root
    todo = [entry for entry in landed_entries(raw_root, days) if entry.relative_to(raw_root).as_posix() not in known]
    # hashing and inflating release the GIL: a few files at a time (results in path order)
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        new = list(pool.map(lambda entry: check_file(entry, raw_root), todo))
    append_records(log, new)
    return new


def quarantined_files(paths: PipelinePaths, days: list[str]) -> list[dict]:
    """The check records of the files of these landing days that are quarantined, by path."""
    wanted = set(days)
    return [
        record
        for path, record in sorted(read_log(check_log_path(paths)).items())
        if record.get("dt") in wanted and record.get("quarantine_reason")
    ]


def quarantine_warnings(paths: PipelinePaths, days: list[str]) -> list[str]:
    """The refresh's warning line about the files of these days quarantined at file level ([]
    when none): how many, with each file's path and reason."""
    records = quarantined_files(paths, days)
    if not records:
        return []
    listed = ", ".join(f"{paths.raw_root / r['file_path']} ({r['quarantine_reason']})" for r in records)
    noun = "file" if len(records) == 1 else "files"
    return [f"  {len(records)} {noun} quarantined at file level (skipped whole, see main.quarantined_files): {listed}"]


def build_parser(prog: str = "clickstream check-files") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Check the landed raw files that have no check record yet (type, readability, gzip integrity, "
            f"size, sha256) and append their records to <warehouse dir>/{CHECK_LOG_NAME}, the log dbt reads to "
            "skip files quarantined at file level (main.quarantined_files). `clickstream refresh` does this "
            "itself for the days it processes; run this before a plain `dbt build`. Files already checked are "
            "not checked again (landed files never change)."
        ),
    )
    add_path_options(
        parser, raw_root="raw landing zone", warehouse="warehouse file whose directory holds the check log"
    )
    parser.add_argument(
        "--date", type=date_arg, metavar="YYYY-MM-DD", action="append", help="check only this landing day (repeatable)"
    )
    parser.add_argument(
        "--strict-landing-zone",
        action="store_true",
        help="exit 2, before checking anything, when an entry under the raw root will not be read (wrong extension "
        "or folder, bad dt=); by default such entries are listed as a warning",
    )
    return parser


def main(argv: list[str] | None = None, prog: str = "clickstream check-files") -> int:
    args = build_parser(prog).parse_args(argv)
    paths = PipelinePaths.resolve(args.raw_root, args.warehouse)
    days = sorted({day.isoformat() for day in args.date}) if args.date else None
    # Every option is checked before the check log is written.
    problems = path_problems(paths, "raw_root", "warehouse")
    events_dir = paths.raw_root / "click_events"
    if not problems and not events_dir.is_dir():
        problems = [f"no landing zone at {events_dir}/: point --raw-root (or $CLICKSTREAM_RAW_ROOT) at the raw root"]
    missing = [day for day in days or [] if not problems and not landed_entries(paths.raw_root, [day])]
    if missing:
        problems = [f"no landed files for dt={', '.join(missing)} under {events_dir}/: pass a landed day"]
    if problems:
        print(f"error: {'; '.join(problems)}.", file=sys.stderr)
        return 2
    unread = unread_entries(paths.raw_root)
    if unread and args.strict_landing_zone:
        print(f"error (--strict-landing-zone): {unread_summary(paths.raw_root, unread)}", file=sys.stderr)
        return 2
    if unread:
        print(f"warning: {unread_summary(paths.raw_root, unread)}")
    new = ensure_checked(paths, days)
    bad = [check for check in new if check.quarantine_reason]
    print(f"checked {len(new)} new file(s), {len(bad)} quarantined at file level; check log: {check_log_path(paths)}")
    for check in bad:
        print(
            f"  quarantined: {paths.raw_root / check.file_path} ({check.quarantine_reason}: {check.quarantine_detail})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
