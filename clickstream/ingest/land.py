"""Land a Kafka topic into the raw landing zone, durably, as a consumer-group member.

Each file holds consecutive records of one partition, one message value per line, exactly the
bytes received, and is named like Kafka Connect's S3 sink::

    <raw root>/click_events/dt=YYYY-MM-DD/click_events+<partition>+<start offset, 10 digits>.jsonl[.gz]

where the start offset is the offset of the file's first line.

Durability: a file is written under a temporary name (``.<name>.<pid>.tmp``, which the pipeline
does not read), flushed, fsynced, linked to its final name (never over an existing file), its
directory fsynced, and only then are the offsets it covers committed (``enable.auto.commit`` is
off; commits are synchronous and explicit). A crash at any point loses nothing: offsets past
the last committed one are read again. Because a file's name is fixed by partition + start
offset and a restart resumes from the committed offset, a range landed but not committed is
found again under the same name: the lander then *adopts* that file (checks the re-read
messages against its lines, line by line, and commits once they all match) instead of writing
a second copy. A file of that name with other content (topic re-created, compacted) stops the
lander with exit code 3 and is never overwritten.

dt: by default the UTC date on which the file was opened (files are rolled at UTC midnight).
``--dt-from-timestamp`` takes the UTC date of each message's Kafka timestamp instead (producer
create time or broker log-append time; a file then never mixes two dates); use it for backfills
and replays, whose producer sets the original landing time.

Messages that are not valid UTF-8 or JSON are landed as they are (the pipeline quarantines
them). Tombstones (null values) are counted and skipped. A value containing a line break (LF or
CR) cannot be one line of a JSON-lines file without changing its bytes, so it is counted, logged
and written exactly as received to its own sidecar file,
``<raw root>/_multiline/click_events/dt=YYYY-MM-DD/click_events+<partition>+<offset>.bin``,
outside the pipeline's glob. Skipped records leave gaps: line i of a file is not necessarily
offset start + i.

Rolls a file after ``--roll-messages`` lines, ``--roll-bytes`` bytes (uncompressed) or
``--roll-seconds`` seconds. On partition revocation the open file is finished and committed
before the partition is given up; on partition loss it is abandoned (deleted, nothing
committed). SIGTERM/SIGINT finish and commit every open file and exit 0.

Test hook: ``CLICKSTREAM_LANDER_FAULT=<point>:<n>`` makes the process SIGKILL itself the n-th time
it reaches ``point`` (``line_written``, ``before_fsync``, ``before_rename``, ``after_rename``,
``after_commit``).
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import re
import signal
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from clickstream.ingest import kafka_config
from clickstream.paths import PipelinePaths, lander_temporary_name

LOG = logging.getLogger("clickstream.land_from_kafka")

TABLE_DIR = "click_events"
MULTILINE_DIR = "_multiline"
FAULT_ENV = "CLICKSTREAM_LANDER_FAULT"
DAY_MS = 86_400_000
EPOCH = date(1970, 1, 1)
GZIP_LEVEL = 6
WRITE_BUFFER = 1 << 20
EXIT_OK, EXIT_USAGE, EXIT_CONFLICT, EXIT_KAFKA, EXIT_IO = 0, 2, 3, 4, 5
NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK}
#: librdkafka settings the lander owns: durability depends on them.
FORCED_SETTINGS = {"enable.auto.commit": False, "enable.auto.offset.store": False, "enable.partition.eof": False}


class LandingConflict(RuntimeError):
    """A landed file's name is taken by different content: the topic no longer matches the files."""


# ----------------------------------------------------------------------------
# options
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    topic: str
    group_id: str
    raw_root: Path
    file_prefix: str = TABLE_DIR
    max_messages: int | None = None
    idle_timeout: float | None = None
    join_timeout: float = 120.0
    roll_bytes: int = 128 * 1024 * 1024
    roll_messages: int = 100_000
    roll_seconds: float = 600.0
    gzip: bool = False
    dt_from_timestamp: bool = False
    batch_size: int = 1000
    log_interval: float = 30.0
    summary_json: Path | None = None


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def _size(text: str) -> int:
    match = re.fullmatch(r"(\d+)\s*([kKmMgG]?)i?[bB]?", text.strip())
    if not match or int(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive size like 1048576, 512K, 64M, got {text!r}")
    return int(match.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[match.group(2).lower()]


def build_parser(prog: str = "clickstream kafka land") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Consume a Kafka topic as a consumer-group member and land it under "
        f"<raw root>/{TABLE_DIR}/dt=YYYY-MM-DD/ as {TABLE_DIR}+<partition>+<start offset>.jsonl[.gz] "
        "files, one message value per line exactly as received; fsync + rename before "
        "committing the offsets a file covers.",
        epilog="Null values (tombstones) are counted and skipped. A value containing a line break "
        f"(LF or CR) is counted and written exactly as received to <raw root>/{MULTILINE_DIR}/"
        f"{TABLE_DIR}/dt=YYYY-MM-DD/{TABLE_DIR}+<partition>+<offset>.bin (not read by the "
        "pipeline). librdkafka settings: --kafka-config and CLICKSTREAM_KAFKA_* (enable.auto.commit "
        "is always false). "
        "Exit codes: 0 done (idle timeout, --max-messages, SIGTERM/SIGINT); 2 usage or "
        "configuration error; 3 a landed file of the same name holds other content (nothing "
        "overwritten, offsets not committed); 4 a fatal Kafka error; 5 an I/O error (disk "
        "full...; nothing more committed). See docs/kafka.md.",
    )
    add = parser.add_argument
    kafka_config.add_client_arguments(parser)
    add("--topic", default="click_events", help="topic to consume (default: click_events)")
    add(
        "--group-id",
        default="clickstream-lander",
        help="consumer group; its committed offsets are where landing resumes (default: clickstream-lander)",
    )
    add("--raw-root", help="raw landing root (default: $CLICKSTREAM_RAW_ROOT, else data/raw)")
    add(
        "--file-prefix",
        default=TABLE_DIR,
        help="file name prefix before +<partition>+<offset> (default: click_events); one raw root "
        "takes one topic per prefix",
    )
    add(
        "--max-messages",
        type=_positive(int),
        metavar="N",
        help="stop after N messages (tombstones included), finish and commit, exit 0",
    )
    add(
        "--idle-timeout",
        type=_positive(float),
        metavar="SECONDS",
        help="stop (finish files, commit, exit 0) after SECONDS with no message received; "
        "default: run until SIGTERM/SIGINT",
    )
    add(
        "--join-timeout",
        type=_positive(float),
        default=Options.join_timeout,
        metavar="SECONDS",
        help="with --idle-timeout: the idle clock starts at the first partition assignment; give up "
        "(exit 0, with a warning) if none comes within SECONDS (default: %(default)g)",
    )
    add(
        "--roll-bytes",
        type=_size,
        default=Options.roll_bytes,
        metavar="SIZE",
        help="roll a file once it holds SIZE bytes of lines, before compression (default: 128M)",
    )
    add(
        "--roll-messages",
        type=_positive(int),
        default=Options.roll_messages,
        metavar="N",
        help=f"roll a file after N lines (default: {Options.roll_messages})",
    )
    add(
        "--roll-seconds",
        type=_positive(float),
        default=Options.roll_seconds,
        metavar="SECONDS",
        help=f"roll a file SECONDS after it was opened (default: {Options.roll_seconds:g})",
    )
    add("--gzip", action="store_true", help="write .jsonl.gz files (gzip, mtime 0) instead of .jsonl")
    add(
        "--dt-from-timestamp",
        action="store_true",
        help="dt = UTC date of each message's Kafka timestamp (create or log-append time) instead "
        "of the UTC date the file is opened; for replays and backfills",
    )
    add(
        "--batch-size",
        type=_positive(int),
        default=Options.batch_size,
        metavar="N",
        help=f"messages per consume() call (default: {Options.batch_size})",
    )
    add(
        "--log-interval",
        type=_positive(float),
        default=Options.log_interval,
        metavar="SECONDS",
        help=f"log progress (messages, files, messages/s) every SECONDS (default: {Options.log_interval:g})",
    )
    add(
        "--summary-json",
        type=Path,
        metavar="PATH",
        help="also write the final summary (counts, offsets, throughput) as JSON to PATH",
    )
    add("--verbose", action="store_true", help="debug logging")
    return parser


# ----------------------------------------------------------------------------
# files
# ----------------------------------------------------------------------------


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(path: Path) -> None:
    """``mkdir -p`` that fsyncs the parent of every directory it creates."""
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir()
        except FileExistsError:
            continue
        fsync_dir(directory.parent)


def read_lines(path: Path) -> list[bytes]:
    """The lines of a landed file (gunzipped), without their LF terminators."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = zlib.decompress(data, 47)
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def dt_of_day(day: int) -> str:
    return (EPOCH + timedelta(days=day)).isoformat()


def utc_day_now() -> int:
    return int(time.time() // 86_400)


@dataclass
class OpenFile:
    """A file being written: lines go to ``tmp``; ``final`` is where it lands."""

    partition: int
    start_offset: int
    day: int
    tmp: Path
    final: Path
    fh: BinaryIO
    packer: Any = None
    buffer: bytearray = field(default_factory=bytearray)
    lines: int = 0
    bytes: int = 0
    last_offset: int = -1
    opened: float = field(default_factory=time.monotonic)

    def write(self, value: bytes, offset: int) -> None:
        self.buffer += value
        self.buffer += b"\n"
        self.lines += 1
        self.bytes += len(value) + 1
        self.last_offset = offset
        if len(self.buffer) >= WRITE_BUFFER:
            self.drain()

    def drain(self) -> None:
        if self.buffer:
            self.fh.write(self.packer.compress(self.buffer) if self.packer else self.buffer)
            self.buffer.clear()

    def finish_writing(self) -> None:
        """Everything written, flushed and fsynced; the handle is closed."""
        self.drain()
        if self.packer is not None:
            self.fh.write(self.packer.flush())
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()

    def abandon(self) -> None:
        try:
            self.fh.close()
        finally:
            self.tmp.unlink(missing_ok=True)


@dataclass
class Adoption:
    """An already landed file whose range is being read again: lines are checked, not written."""

    path: Path
    lines: list[bytes]
    matched: int = 0
    last_offset: int = -1


@dataclass
class PartitionState:
    partition: int
    committed: int | None  # the group's committed offset (next offset to read), None: none yet
    next_offset: int | None = None  # after the last message handled
    safe_offset: int | None = None  # every offset below is durably landed or skipped
    file: OpenFile | None = None
    adoption: Adoption | None = None
    existing: dict[int, Path] = field(default_factory=dict)  # start offset -> landed file
    sidecars: dict[int, Path] = field(default_factory=dict)  # offset -> multiline sidecar
    skip_rest_of_batch: bool = False


@dataclass
class Stats:
    messages: int = 0
    lines: int = 0
    tombstones: int = 0
    multiline: int = 0
    files: int = 0
    files_adopted: int = 0
    bytes: int = 0
    bytes_on_disk: int = 0
    commits: int = 0
    commit_failures: int = 0
    rewinds: int = 0
    no_timestamp: int = 0
    started: float = field(default_factory=time.monotonic)
    first_message: float | None = None  # when the first message arrived
    last_message: float | None = None  # when the last message was handled
    shutdown_seconds: float = 0.0  # finishing the open files at the end

    def seconds(self) -> float:
        return time.monotonic() - self.started

    def busy_seconds(self) -> float:
        """From the first message to the last one handled, plus the final landing: what the
        throughput is measured over (not the group join, not an idle wait)."""
        if self.first_message is None or self.last_message is None:
            return 0.0
        return self.last_message - self.first_message + self.shutdown_seconds

    def as_json(self) -> dict[str, Any]:
        seconds = self.busy_seconds()
        return {
            "messages": self.messages,
            "lines": self.lines,
            "tombstones": self.tombstones,
            "multiline_values": self.multiline,
            "files": self.files,
            "files_adopted": self.files_adopted,
            "bytes": self.bytes,
            "bytes_on_disk": self.bytes_on_disk,
            "commits": self.commits,
            "commit_failures": self.commit_failures,
            "rewinds": self.rewinds,
            "messages_without_timestamp": self.no_timestamp,
            "seconds": round(self.seconds(), 3),
            "busy_seconds": round(seconds, 3),
            "messages_per_second": round(self.messages / seconds, 1) if seconds > 0 else 0.0,
            "mb_per_second": round(self.bytes / seconds / 1e6, 3) if seconds > 0 else 0.0,
        }


class FaultInjector:
    """Kills the process at the n-th passage through a named point (tests only)."""

    def __init__(self, spec: str | None) -> None:
        self.point, self.remaining = None, 0
        if spec:
            point, _, count = spec.partition(":")
            self.point, self.remaining = point, int(count or 1)

    def reached(self, point: str) -> None:
        if point == self.point:
            self.remaining -= 1
            if self.remaining <= 0:
                LOG.warning("fault injection: SIGKILL at %s", point)
                logging.shutdown()
                os.kill(os.getpid(), signal.SIGKILL)


# ----------------------------------------------------------------------------
# the lander
# ----------------------------------------------------------------------------


class Lander:
    """Consumes ``options.topic`` and lands it; one instance per process run."""

    def __init__(self, options: Options, consumer: Any, fault: FaultInjector | None = None) -> None:
        from confluent_kafka import TopicPartition

        self.opt = options
        self.consumer = consumer
        self.fault = fault or FaultInjector(None)
        self.TopicPartition = TopicPartition
        self.topic_dir = options.raw_root / TABLE_DIR
        self.sidecar_dir = options.raw_root / MULTILINE_DIR / TABLE_DIR
        self.name_re = re.compile(rf"^{re.escape(options.file_prefix)}\+(\d+)\+(\d{{10,}})\.jsonl(\.gz)?$")
        self.tmp_re = re.compile(rf"^\.{re.escape(options.file_prefix)}\+(\d+)\+(\d+)\..*\.tmp$")
        self.sidecar_re = re.compile(rf"^{re.escape(options.file_prefix)}\+(\d+)\+(\d{{10,}})\.bin$")
        self.states: dict[int, PartitionState] = {}
        self.stats = Stats()
        self.stop_reason: str | None = None
        self.last_activity = time.monotonic()
        self.assigned = False
        self.last_progress = time.monotonic()
        self.progress_messages = 0
        self.suffix = ".jsonl.gz" if options.gzip else ".jsonl"
        self.today = utc_day_now()

    # -- naming ----------------------------------------------------------------

    def stem(self, partition: int, offset: int) -> str:
        return f"{self.opt.file_prefix}+{partition}+{offset:010d}"

    def dt_dirs(self, root: Path) -> Iterator[Path]:
        try:
            with os.scandir(root) as entries:
                for entry in entries:
                    if entry.name.startswith("dt=") and entry.is_dir(follow_symlinks=False):
                        yield Path(entry.path)
        except FileNotFoundError:
            return

    def scan(self, states: list[PartitionState]) -> None:
        """Index the landed files and sidecars at or after each partition's committed offset and
        remove temporary files left by earlier runs for these partitions."""
        by_partition = {s.partition: s for s in states}
        for directory in self.dt_dirs(self.topic_dir):
            with os.scandir(directory) as entries:
                names = [e.name for e in entries]
            for name in names:
                match = self.name_re.match(name)
                if match:
                    state = by_partition.get(int(match.group(1)))
                    start = int(match.group(2))
                    if state is not None and start >= (state.committed or 0):
                        state.existing.setdefault(start, directory / name)
                    continue
                match = self.tmp_re.match(name)
                if match and int(match.group(1)) in by_partition:
                    LOG.info("removing leftover temporary file %s", directory / name)
                    (directory / name).unlink(missing_ok=True)
        for directory in self.dt_dirs(self.sidecar_dir):
            with os.scandir(directory) as entries:
                for entry in entries:
                    match = self.sidecar_re.match(entry.name)
                    if match and int(match.group(1)) in by_partition:
                        state = by_partition[int(match.group(1))]
                        if int(match.group(2)) >= (state.committed or 0):
                            state.sidecars[int(match.group(2))] = Path(entry.path)
                    elif entry.name.endswith(".tmp") and entry.name.startswith("."):
                        match = self.tmp_re.match(entry.name)
                        if match and int(match.group(1)) in by_partition:
                            Path(entry.path).unlink(missing_ok=True)

    # -- rebalance callbacks ---------------------------------------------------

    def on_assign(self, consumer: Any, partitions: list[Any]) -> None:
        started = time.monotonic()
        ours = [p for p in partitions if p.topic == self.opt.topic]
        committed = {tp.partition: tp.offset for tp in consumer.committed(ours, timeout=30)} if ours else {}
        new_states = []
        for tp in ours:
            offset = committed.get(tp.partition, -1001)
            known = offset if offset is not None and offset >= 0 else None
            state = PartitionState(tp.partition, committed=known, next_offset=known, safe_offset=known)
            self.states[tp.partition] = state
            new_states.append(state)
        self.scan(new_states)
        self.last_activity = time.monotonic()
        self.assigned = True
        if new_states:
            LOG.info(
                "assigned partitions %s of %s; committed offsets %s; already landed files at or "
                "after them: %d (scan %.2f s)",
                [s.partition for s in new_states],
                self.opt.topic,
                {s.partition: s.committed for s in new_states},
                sum(len(s.existing) for s in new_states),
                time.monotonic() - started,
            )

    def on_revoke(self, consumer: Any, partitions: list[Any]) -> None:
        revoked = [p.partition for p in partitions if p.topic == self.opt.topic and p.partition in self.states]
        if not revoked:
            return
        LOG.info("partitions %s revoked: finishing their open files before giving them up", revoked)
        for partition in revoked:
            state = self.states[partition]
            try:
                self.finish_file(state, rewind_on_conflict=False)
                self.commit(state)
            finally:
                self.drop(state)
        self.last_activity = time.monotonic()

    def on_lost(self, consumer: Any, partitions: list[Any]) -> None:
        lost = [p.partition for p in partitions if p.topic == self.opt.topic and p.partition in self.states]
        if lost:
            LOG.warning(
                "partitions %s lost (another member may own them now): abandoning their open files, committing nothing",
                lost,
            )
        for partition in lost:
            self.drop(self.states[partition])

    def drop(self, state: PartitionState) -> None:
        if state.file is not None:
            LOG.info(
                "abandoning open file %s (%d lines); its range will be read again",
                state.file.tmp.name,
                state.file.lines,
            )
            state.file.abandon()
            state.file = None
        self.states.pop(state.partition, None)

    # -- messages --------------------------------------------------------------

    def message_day(self, msg: Any) -> int:
        if self.opt.dt_from_timestamp:
            kind, ts = msg.timestamp()
            if kind != 0 and ts is not None and ts >= 0:  # 0: TIMESTAMP_NOT_AVAILABLE
                return ts // DAY_MS
            self.stats.no_timestamp += 1
        return self.today

    def handle(self, msg: Any) -> None:
        state = self.states.get(msg.partition())
        if state is None or state.skip_rest_of_batch:
            return  # revoked, or rewound: read again from the rewind point
        offset = msg.offset()
        if state.next_offset is not None and offset < state.next_offset:
            LOG.debug("partition %d: offset %d already handled, skipped", state.partition, offset)
            return
        self.stats.messages += 1
        value = msg.value()
        if value is None:
            self.stats.tombstones += 1
            self.skipped(state, offset)
            return
        day = self.message_day(msg)
        if b"\n" in value or b"\r" in value:
            self.stats.multiline += 1
            self.write_sidecar(state, offset, value, day)
            self.skipped(state, offset)
            return
        if state.adoption is not None:
            self.adopt_line(state, value, offset)
            return
        current = state.file
        if current is not None and (current.day != day or (state.existing and offset in state.existing)):
            # a file never spans two dt dates, nor runs into an already landed file
            if not self.finish_file(state):
                return  # rewound: this message is read again
            current = None
        if current is None:
            existing = state.existing.pop(offset, None)
            if existing is not None:
                self.start_adoption(state, existing, value, offset)
                return
            current = self.open_file(state, offset, day)
        current.write(value, offset)
        state.next_offset = offset + 1
        self.stats.lines += 1
        self.stats.bytes += len(value) + 1
        self.fault.reached("line_written")
        if current.lines >= self.opt.roll_messages or current.bytes >= self.opt.roll_bytes:
            self.finish_file(state)

    def skipped(self, state: PartitionState, offset: int) -> None:
        """A tombstone or a sidecar value: covered by the open file, else durable right away."""
        state.next_offset = offset + 1
        if state.file is None and state.adoption is None:
            state.safe_offset = offset + 1
        elif state.adoption is not None:
            state.adoption.last_offset = offset

    def open_file(self, state: PartitionState, offset: int, day: int) -> OpenFile:
        directory = self.topic_dir / f"dt={dt_of_day(day)}"
        make_dirs(directory)
        stem = self.stem(state.partition, offset)
        tmp = directory / lander_temporary_name(f"{stem}{self.suffix}", os.getpid())
        fh = open(tmp, "wb")  # noqa: SIM115 - closed in finish_writing/abandon
        packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31) if self.opt.gzip else None
        state.file = OpenFile(state.partition, offset, day, tmp, directory / f"{stem}{self.suffix}", fh, packer)
        if state.safe_offset is None:
            state.safe_offset = offset  # first message seen: nothing before it is ours to commit
        LOG.debug("opened %s", tmp)
        return state.file

    def finish_file(self, state: PartitionState, rewind_on_conflict: bool = True) -> bool:
        """Land the open file (fsync, link, fsync dir) and commit the offsets it covers; False when
        its name was taken by other content (the temporary file is then deleted, nothing committed)."""
        current = state.file
        if current is None:
            return True
        state.file = None
        self.fault.reached("before_fsync")
        current.finish_writing()
        self.fault.reached("before_rename")
        kept = self.link_into_place(current)
        if kept is None:  # name taken by other content
            current.tmp.unlink(missing_ok=True)
            if rewind_on_conflict:
                self.rewind(state, f"{current.final.name} appeared meanwhile with other content")
            return False
        current.tmp.unlink(missing_ok=True)
        fsync_dir(current.final.parent)
        self.fault.reached("after_rename")
        on_disk = kept.stat().st_size
        state.safe_offset = state.next_offset
        self.stats.files += 1
        self.stats.bytes_on_disk += on_disk
        LOG.info(
            "landed %s/%s: partition %d offsets %d..%d, %d lines, %d bytes (%d on disk), open %.1f s%s",
            kept.parent.name,
            kept.name,
            current.partition,
            current.start_offset,
            current.last_offset,
            current.lines,
            current.bytes,
            on_disk,
            time.monotonic() - current.opened,
            "" if kept == current.final else " (identical file kept)",
        )
        self.commit(state)
        return True

    def link_into_place(self, current: OpenFile) -> Path | None:
        """Give the temporary file its final name without ever replacing a file; returns the
        landed path, or None when a file of that name (either suffix) has other content."""
        stem = current.final.name[: -len(self.suffix)]
        for other in (current.final.parent / f"{stem}.jsonl", current.final.parent / f"{stem}.jsonl.gz"):
            if other != current.final and other.exists():
                return other if read_lines(other) == read_lines(current.tmp) else None
        try:
            os.link(current.tmp, current.final)
        except FileExistsError:
            if read_lines(current.final) == read_lines(current.tmp):
                return current.final
            return None
        except OSError as exc:
            if exc.errno not in NO_HARD_LINKS:
                raise
            # no hard links on this file system: rename, after checking the name is free
            if current.final.exists():
                return current.final if read_lines(current.final) == read_lines(current.tmp) else None
            os.rename(current.tmp, current.final)
        return current.final

    def rewind(self, state: PartitionState, why: str) -> None:
        """Read the partition again from its committed offset (the range will be adopted)."""
        self.stats.rewinds += 1
        target = state.committed if state.committed is not None else state.safe_offset
        LOG.warning("partition %d: %s; reading again from offset %s", state.partition, why, target)
        fresh = PartitionState(state.partition, committed=state.committed, next_offset=target, safe_offset=target)
        fresh.skip_rest_of_batch = True
        self.states[state.partition] = fresh
        self.scan([fresh])
        if target is not None:
            self.consumer.seek(self.TopicPartition(self.opt.topic, state.partition, target))

    # -- adoption of an already landed range -----------------------------------

    def start_adoption(self, state: PartitionState, path: Path, value: bytes, offset: int) -> None:
        lines = read_lines(path)
        LOG.info(
            "partition %d offset %d: %s is already landed (%d lines); checking the re-read "
            "messages against it instead of writing a second copy",
            state.partition,
            offset,
            path.name,
            len(lines),
        )
        if state.safe_offset is None:
            state.safe_offset = offset
        state.adoption = Adoption(path, lines)
        if not lines:
            raise LandingConflict(f"{path} is empty but partition {state.partition} has a message at {offset}")
        self.adopt_line(state, value, offset)

    def adopt_line(self, state: PartitionState, value: bytes, offset: int) -> None:
        adoption = state.adoption
        assert adoption is not None
        expected = adoption.lines[adoption.matched]
        if value != expected:
            raise LandingConflict(
                f"{adoption.path} line {adoption.matched + 1} differs from partition {state.partition} "
                f"offset {offset} ({len(expected)} vs {len(value)} bytes): the topic no longer matches the "
                "landed files (re-created or compacted?); nothing was overwritten or committed"
            )
        adoption.matched += 1
        adoption.last_offset = offset
        state.next_offset = offset + 1
        if adoption.matched == len(adoption.lines):
            state.adoption = None
            state.safe_offset = offset + 1
            self.stats.files_adopted += 1
            LOG.info(
                "kept %s/%s: all %d lines match partition %d up to offset %d",
                adoption.path.parent.name,
                adoption.path.name,
                len(adoption.lines),
                state.partition,
                offset,
            )
            self.commit(state)

    # -- sidecar for values that are not one line --------------------------------

    def write_sidecar(self, state: PartitionState, offset: int, value: bytes, day: int) -> None:
        existing = state.sidecars.pop(offset, None)
        if existing is not None:
            if existing.read_bytes() != value:
                raise LandingConflict(f"{existing} differs from partition {state.partition} offset {offset}")
            LOG.warning("partition %d offset %d: multi-line value already in %s", state.partition, offset, existing)
            return
        directory = self.sidecar_dir / f"dt={dt_of_day(day)}"
        make_dirs(directory)
        name = f"{self.stem(state.partition, offset)}.bin"
        tmp = directory / f".{self.stem(state.partition, offset)}.bin.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(value)
            fh.flush()
            os.fsync(fh.fileno())
        final = directory / name
        try:
            os.link(tmp, final)
        except FileExistsError:
            if final.read_bytes() != value:
                tmp.unlink(missing_ok=True)
                raise LandingConflict(f"{final} differs from partition {state.partition} offset {offset}") from None
        tmp.unlink(missing_ok=True)
        fsync_dir(directory)
        LOG.warning(
            "partition %d offset %d: value contains a line break (%d bytes); written as is to %s "
            "instead of a JSON-lines file",
            state.partition,
            offset,
            len(value),
            final,
        )

    # -- commits -----------------------------------------------------------------

    def commit(self, state: PartitionState) -> bool:
        """Commit ``safe_offset`` if it moved; a failure is logged, the data stays landed."""
        from confluent_kafka import KafkaException

        target = state.safe_offset
        if target is None or (state.committed is not None and target <= state.committed):
            return True
        try:
            result = self.consumer.commit(
                offsets=[self.TopicPartition(self.opt.topic, state.partition, target)], asynchronous=False
            )
            errors = [tp.error for tp in result or [] if tp.error is not None]
            if errors:
                raise KafkaException(errors[0])
        except KafkaException as exc:
            self.stats.commit_failures += 1
            LOG.warning(
                "partition %d: commit of offset %d failed (%s); the landed files stay, the range "
                "will be read again and adopted",
                state.partition,
                target,
                exc,
            )
            return False
        state.committed = target
        self.stats.commits += 1
        LOG.debug("partition %d: committed offset %d", state.partition, target)
        self.fault.reached("after_commit")
        return True

    # -- the loop ----------------------------------------------------------------

    def roll_due(self) -> None:
        now = time.monotonic()
        today = None if self.opt.dt_from_timestamp else self.today
        for state in list(self.states.values()):
            current = state.file
            if current is not None and (
                now - current.opened >= self.opt.roll_seconds or (today is not None and current.day != today)
            ):
                self.finish_file(state)
            elif current is None and state.adoption is None:
                self.commit(state)  # progress made of skipped records only

    def log_progress(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_progress < self.opt.log_interval:
            return
        rate = (self.stats.messages - self.progress_messages) / max(now - self.last_progress, 1e-9)
        LOG.info(
            "progress: %d messages (%.0f/s over the last %.0f s), %d files landed, %d adopted, partitions %s",
            self.stats.messages,
            rate,
            now - self.last_progress,
            self.stats.files,
            self.stats.files_adopted,
            {p: (s.next_offset, s.committed) for p, s in sorted(self.states.items())},
        )
        self.last_progress, self.progress_messages = now, self.stats.messages

    def request_stop(self, reason: str) -> None:
        if self.stop_reason is None:
            LOG.info("stopping: %s", reason)
            self.stop_reason = reason

    def run(self) -> None:
        from confluent_kafka import KafkaError, KafkaException

        opt = self.opt
        self.consumer.subscribe([opt.topic], on_assign=self.on_assign, on_revoke=self.on_revoke, on_lost=self.on_lost)
        LOG.info(
            "subscribed to %s as group %s; landing under %s (%s, dt from %s)",
            opt.topic,
            opt.group_id,
            self.topic_dir,
            "gzip" if opt.gzip else "plain",
            "message timestamps" if opt.dt_from_timestamp else "the wall clock (UTC)",
        )
        self.last_activity = time.monotonic()
        while self.stop_reason is None:
            want = opt.batch_size
            if opt.max_messages is not None:
                want = min(want, opt.max_messages - self.stats.messages)
            for state in self.states.values():
                state.skip_rest_of_batch = False
            batch = self.consumer.consume(num_messages=want, timeout=0.2)
            self.today = utc_day_now()
            if batch:
                self.last_activity = time.monotonic()
                if self.stats.first_message is None:
                    self.stats.first_message = self.last_activity
            for msg in batch:
                error = msg.error()
                if error is not None:
                    if error.fatal():
                        raise KafkaException(error)
                    if error.code() != KafkaError._PARTITION_EOF:
                        LOG.warning("consumer error: %s", error)
                    continue
                self.handle(msg)
            if batch:
                self.stats.last_message = time.monotonic()
            if opt.max_messages is not None and self.stats.messages >= opt.max_messages:
                self.request_stop(f"--max-messages {opt.max_messages} reached")
            elif opt.idle_timeout is not None and self.assigned:
                if time.monotonic() - self.last_activity >= opt.idle_timeout:
                    self.request_stop(f"nothing received for {opt.idle_timeout:g} s (--idle-timeout)")
            elif opt.idle_timeout is not None and time.monotonic() - self.stats.started >= opt.join_timeout:
                LOG.warning("no partition assignment within %g s (--join-timeout)", opt.join_timeout)
                self.request_stop("no partition assignment (--join-timeout)")
            self.roll_due()
            self.log_progress()
        self.shutdown()

    def shutdown(self) -> None:
        """Finish and commit every open file; an unfinished adoption commits what precedes it."""
        started = time.monotonic()
        for state in list(self.states.values()):
            self.finish_file(state, rewind_on_conflict=False)
            self.commit(state)
        LOG.info(
            "final offsets (next to read, committed): %s",
            {p: (s.next_offset, s.committed) for p, s in sorted(self.states.items())},
        )
        self.states.clear()
        self.stats.shutdown_seconds = time.monotonic() - started
        self.consumer.close()

    def summary_line(self) -> str:
        s = self.stats.as_json()
        return (
            f"land_from_kafka summary: messages {s['messages']} | lines {s['lines']} | tombstones "
            f"{s['tombstones']} | multi-line values {s['multiline_values']} | files {s['files']} "
            f"(+{s['files_adopted']} already landed, kept) | bytes {s['bytes']} ({s['bytes_on_disk']} on "
            f"disk) | seconds {s['seconds']:.2f} (busy {s['busy_seconds']:.2f}) | messages/s "
            f"{s['messages_per_second']:.0f} | MB/s {s['mb_per_second']:.2f} (both while busy)"
        )


# ----------------------------------------------------------------------------
# entry point
# ----------------------------------------------------------------------------


def consumer_config(args: argparse.Namespace, environ: dict[str, str]) -> dict[str, Any]:
    config = kafka_config.client_config(
        bootstrap_servers=args.bootstrap_servers,
        config_file=args.kafka_config,
        environ=environ,
        overrides={"group.id": args.group_id},
    )
    for key, value in FORCED_SETTINGS.items():
        given = config.get(key)
        if given is not None and str(given).lower() != str(value).lower():
            raise kafka_config.KafkaConfigError(
                f"{key}={given} is not allowed: the lander commits offsets itself, after fsync"
            )
        config[key] = value
    config.setdefault("auto.offset.reset", "earliest")
    config.setdefault("client.id", f"clickstream-lander-{os.uname().nodename}-{os.getpid()}")
    return config


def main(argv: list[str] | None = None, prog: str = "clickstream kafka land") -> int:
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    LOG.setLevel(logging.DEBUG if args.verbose else logging.INFO)
    from confluent_kafka import Consumer, KafkaException

    try:
        config = consumer_config(args, dict(os.environ))
        consumer = Consumer(config)
    except (kafka_config.KafkaConfigError, KafkaException, ValueError, TypeError) as exc:
        print(f"land_from_kafka: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    options = Options(
        topic=args.topic,
        group_id=args.group_id,
        raw_root=PipelinePaths.resolve(raw_root=args.raw_root).raw_root,
        file_prefix=args.file_prefix,
        max_messages=args.max_messages,
        idle_timeout=args.idle_timeout,
        join_timeout=args.join_timeout,
        roll_bytes=args.roll_bytes,
        roll_messages=args.roll_messages,
        roll_seconds=args.roll_seconds,
        gzip=args.gzip,
        dt_from_timestamp=args.dt_from_timestamp,
        batch_size=args.batch_size,
        log_interval=args.log_interval,
        summary_json=args.summary_json,
    )
    LOG.info("consumer settings: %s", kafka_config.redacted(config))
    lander = Lander(options, consumer, FaultInjector(os.environ.get(FAULT_ENV)))

    def on_signal(signum: int, _frame: Any) -> None:
        lander.request_stop(f"signal {signal.Signals(signum).name}")

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    code = EXIT_OK
    try:
        lander.run()
    except LandingConflict as exc:
        LOG.error("conflict: %s", exc)
        code = EXIT_CONFLICT
    except KafkaException as exc:
        LOG.error("fatal Kafka error: %s", exc)
        code = EXIT_KAFKA
    except OSError as exc:  # disk full, permissions, a temporary file removed by a new owner...
        LOG.error("I/O error, stopping without committing anything more: %s", exc)
        code = EXIT_IO
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if code != EXIT_OK:  # leave without committing anything more; temp files are cleaned up next run
            for state in list(lander.states.values()):
                if state.file is not None:
                    state.file.abandon()
                    state.file = None
            lander.states.clear()  # so that the revocation in close() lands and commits nothing
            try:
                consumer.close()
            except (KafkaException, RuntimeError):
                pass
    summary = lander.stats.as_json()
    summary["exit_code"] = code
    summary["stop_reason"] = lander.stop_reason
    if options.summary_json is not None:
        options.summary_json.parent.mkdir(parents=True, exist_ok=True)
        options.summary_json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    LOG.info("%s", lander.summary_line())
    print(lander.summary_line(), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
