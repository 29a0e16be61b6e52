"""One writer at a time: the warehouse lock of the commands that write the warehouse or the exports.

``clickstream refresh``, ``export``, ``sample`` and ``docs`` (``dbt docs generate`` opens the
DuckDB file read-write) take an exclusive lock on ``<warehouse>.lock`` before any other work,
with ``WarehouseLock``::

    with WarehouseLock(paths.warehouse, "clickstream refresh") as lock:
        subprocess.run(dbt_command, pass_fds=lock.pass_fds())

- The lock is ``fcntl.flock(LOCK_EX | LOCK_NB)`` on the lock file, so the kernel releases it when
  the last file descriptor on it closes: a holder that dies, even by SIGKILL, never leaves a lock
  that is still held. The file holds the holder's PID, host, command line and start time (JSON)
  for the message a second writer prints (``WarehouseLocked``); it is removed on a normal exit.
  A file left by a killed holder is stale (its flock is free): the next writer takes it over and
  logs "stale lock from PID n (no longer running) taken over".
- The lock's descriptor is handed explicitly (``pass_fds=lock.pass_fds()``) to every child process
  that opens the warehouse (the dbt builds, ``dbt docs generate``, the freshness check). A child
  shares the lock: if the parent is SIGKILLed while its dbt child still writes the warehouse, the
  lock stays held until the child exits too. Other children do not get it (the descriptor is not
  inheritable by default).
- Nothing is global: the lock is an object that the command passes to what needs it.
- ``stop_on_sigterm()``: the advice a second writer prints is "stop it (kill PID)"; with it, SIGTERM
  raises ``StopRequested`` in the command, so ``subprocess.run`` kills the running dbt child, the
  run records its end and the lock is released (without it the dbt child would finish its build,
  holding the lock, after the parent died).
- ``current_holder()`` tells a reader (``clickstream report``) whether another process holds the
  lock, without taking it, so the reader never opens the DuckDB file under a running writer
  (DuckDB refuses, and the writer's next open would fail on the reader's shared lock).

The lock is advisory: plain ``dbt build`` or a ``duckdb`` shell do not take it. A DuckDB file held
by such a process is reported by clickstream/pipeline/warehouse.py (``WarehouseBusy``).
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from clickstream.durations import human_duration

LOG = logging.getLogger("clickstream.lock")
LOCK_SUFFIX = ".lock"
# A probe by a reader (current_holder) or a holder still writing its record holds the flock for
# microseconds: a writer that finds the lock held by no known live process retries this long.
TRANSIENT_RETRY_SECONDS = 0.5
RESUME_ADVICE = "`clickstream refresh` resumes where a stopped run left off"


def lock_path(warehouse: Path) -> Path:
    """The lock file of a warehouse: ``<warehouse>.lock``, beside it."""
    return warehouse.with_name(warehouse.name + LOCK_SUFFIX)


def process_running(pid: int) -> bool:
    """True when a process with this PID runs on this host (a zombie counts as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def process_command(pid: int) -> str | None:
    """The command line of a process of this host, or None when it cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    parts = [part.decode(errors="replace") for part in raw.split(b"\0") if part]
    return " ".join(parts) or None


def processes_with_file_open(path: Path) -> list[int]:
    """PIDs of the processes of this host (that this user may inspect) with `path` open, from
    /proc/<pid>/fd: who still holds a lock file whose recorded holder is gone. Best effort."""
    wanted = {str(path), f"{path} (deleted)"}
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if any(os.readlink(fd) in wanted for fd in (proc / "fd").iterdir()):
                found.append(int(proc.name))
        except OSError:
            continue
    return sorted(found)


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or held) the lock: what the holder wrote into the lock file."""

    pid: int
    host: str
    command: str  # the clickstream command, e.g. "clickstream refresh"
    argv: list[str]
    started_at: str  # ISO 8601, UTC

    @classmethod
    def for_this_process(cls, command: str) -> LockHolder:
        return cls(
            pid=os.getpid(),
            host=socket.gethostname(),
            command=command,
            argv=list(sys.argv),
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )

    @classmethod
    def parse(cls, text: str) -> LockHolder | None:
        """The holder recorded in a lock file's text, or None (empty, partly written, foreign)."""
        try:
            record = json.loads(text)
            return cls(
                pid=int(record["pid"]),
                host=str(record["host"]),
                command=str(record["command"]),
                argv=[str(part) for part in record.get("argv", [])],
                started_at=str(record["started_at"]),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @property
    def started(self) -> datetime:
        started = datetime.fromisoformat(self.started_at)
        return started if started.tzinfo else started.replace(tzinfo=UTC)

    def since(self, now: datetime | None = None) -> str:
        """'2024-03-01 13:00:05 CET, 3 min 5 s ago' (local time)."""
        now = now or datetime.now(UTC)
        local = self.started.astimezone()
        return f"{local.strftime('%Y-%m-%d %H:%M:%S %Z')}, {human_duration((now - self.started).total_seconds())} ago"

    @property
    def on_this_host(self) -> bool:
        return self.host == socket.gethostname()

    def running(self) -> bool:
        """True when the holder process still runs (assumed, when it runs on another host)."""
        return process_running(self.pid) if self.on_this_host else True


class WarehouseLocked(RuntimeError):
    """Another process holds the warehouse lock; str() is the paragraph to print."""

    def __init__(self, path: Path, holder: LockHolder | None, child_pids: list[int]) -> None:
        self.path = path
        self.holder = holder
        self.child_pids = child_pids
        super().__init__(self.explain())

    def explain(self) -> str:
        holder, where = self.holder, self.path.with_name(self.path.name.removesuffix(LOCK_SUFFIX))
        limit = "Only one command at a time may write the warehouse and its exports."
        if holder is None:
            stop = f"stop it (kill {', '.join(map(str, self.child_pids))})" if self.child_pids else "stop it"
            who = (
                f"process(es) {', '.join(self.describe_pid(pid) for pid in self.child_pids)}"
                if self.child_pids
                else "a process that left no record in it"
            )
            return (
                f"The warehouse {where} is locked by {who} (lock file {self.path}). {limit} "
                f"Wait for it to finish, or {stop}; {RESUME_ADVICE}."
            )
        remote = "" if holder.on_this_host else f" on host {holder.host}"
        if holder.running() or not self.child_pids:
            return (
                f"The warehouse {where} is being written by `{holder.command}` (PID {holder.pid}, host "
                f"{holder.host}, since {holder.since()}). {limit} Wait for it to finish, or stop it "
                f"(kill {holder.pid}{remote}); {RESUME_ADVICE}. Lock file: {self.path}."
            )
        children = ", ".join(self.describe_pid(pid) for pid in self.child_pids)
        return (
            f"The warehouse {where} is still being written: `{holder.command}` (PID {holder.pid}, host "
            f"{holder.host}, since {holder.since()}) is no longer running, but a process it started still "
            f"holds its lock and may still write the warehouse: {children}. {limit} Wait for it to finish, "
            f"or stop it (kill {' '.join(map(str, self.child_pids))}); {RESUME_ADVICE}. Lock file: {self.path}."
        )

    @staticmethod
    def describe_pid(pid: int) -> str:
        command = process_command(pid)
        if command and len(command) > 120:
            command = command[:117] + "..."
        return f"PID {pid}" + (f" ({command})" if command else "")


class StopRequested(Exception):
    """SIGTERM arrived (`kill PID`) while a writer ran under stop_on_sigterm()."""


def stop_on_sigterm() -> Callable[[], None]:
    """Make SIGTERM raise StopRequested in this (main) thread, so the writer stops its child
    (subprocess.run kills its child on an exception), records its end and releases the lock.
    Returns the function that restores the previous handler (a no-op outside the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def stop(signum: int, frame: object) -> None:
        raise StopRequested(f"stopped by {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, stop)
    return lambda: signal.signal(signal.SIGTERM, previous)


def read_record(fd: int) -> LockHolder | None:
    """The holder recorded in an open lock file."""
    try:
        size = os.fstat(fd).st_size
        return LockHolder.parse(os.pread(fd, max(size, 1), 0).decode(errors="replace")) if size else None
    except OSError:
        return None


class WarehouseLock:
    """The exclusive lock of one warehouse, held from ``acquire()`` (or ``with``) to ``release()``.

    ``fd`` is the lock file's descriptor; ``pass_fds()`` returns it for ``subprocess.run(...,
    pass_fds=...)``, so that a child that opens the warehouse holds the lock as long as it runs.
    ``taken_over`` is the holder recorded in a stale lock file this lock replaced, if any.
    """

    def __init__(self, warehouse: Path, command: str) -> None:
        self.warehouse = Path(warehouse)
        self.path = lock_path(self.warehouse)
        self.command = command
        self.holder = LockHolder.for_this_process(command)
        self.taken_over: LockHolder | None = None
        self._fd: int | None = None

    @property
    def fd(self) -> int:
        """The lock file's descriptor (the lock lives as long as one copy of it is open)."""
        if self._fd is None:
            raise RuntimeError(f"the lock {self.path} is not held")
        return self._fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def pass_fds(self) -> tuple[int, ...]:
        """What to give ``subprocess.run`` / ``Popen`` as ``pass_fds`` for a child that opens the
        warehouse: the child then holds the lock until it exits, even if this process dies first."""
        return (self.fd,)

    def acquire(self) -> WarehouseLock:
        """Take the lock now or raise WarehouseLocked (never waits for a live holder)."""
        if self._fd is not None:
            raise RuntimeError(f"the lock {self.path} is already held by this object")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + TRANSIENT_RETRY_SECONDS
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                holder = read_record(fd)
                os.close(fd)
                if (holder is None or not holder.running()) and time.monotonic() < deadline:
                    time.sleep(0.02)  # a reader's probe, or a holder writing its record
                    continue
                children = [] if holder is not None and holder.running() else processes_with_file_open(self.path)
                raise WarehouseLocked(self.path, holder, children) from None
            if not self._same_file(fd):
                os.close(fd)  # the previous holder removed the file between our open and flock
                continue
            break
        self._fd = fd
        previous = read_record(fd)
        if previous is not None:
            self.taken_over = previous
            state = "no longer running" if not previous.running() else "its lock was free"
            LOG.warning(
                "stale lock from PID %d (%s) taken over: `%s` on host %s, started %s, did not finish (killed?); %s",
                previous.pid,
                state,
                previous.command,
                previous.host,
                previous.since(),
                RESUME_ADVICE,
            )
        record = self.holder.to_json().encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, record, 0)
        os.fsync(fd)
        LOG.debug("warehouse lock %s taken by PID %d", self.path, os.getpid())
        return self

    def _same_file(self, fd: int) -> bool:
        try:
            on_disk = os.stat(self.path)
        except FileNotFoundError:
            return False
        opened = os.fstat(fd)
        return (opened.st_dev, opened.st_ino) == (on_disk.st_dev, on_disk.st_ino)

    def release(self) -> None:
        """Remove the lock file and release the lock (removed first, so a waiting writer never
        locks a file that is no longer the lock file)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if self._same_file(fd):
                self.path.unlink()
        except OSError as error:
            LOG.warning("could not remove the lock file %s: %s", self.path, error)
        finally:
            os.close(fd)
        LOG.debug("warehouse lock %s released", self.path)

    def __enter__(self) -> WarehouseLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.release()


def current_holder(warehouse: Path) -> LockHolder | None:
    """The holder of the warehouse lock when another process holds it, else None (free, or held
    by this process). Never takes the lock for longer than a probe, never creates the file."""
    path = lock_path(Path(warehouse))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None  # free: the file, if any, is stale
        deadline = time.monotonic() + TRANSIENT_RETRY_SECONDS
        holder = read_record(fd)
        while holder is None and time.monotonic() < deadline:
            time.sleep(0.02)  # the holder is writing its record
            holder = read_record(fd)
        if holder is None:
            return LockHolder(
                pid=0,
                host=socket.gethostname(),
                command="an unknown process",
                argv=[],
                started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
        return None if holder.pid == os.getpid() and holder.on_this_host else holder
    finally:
        os.close(fd)
