"""A real local Spark standalone cluster for the tests (`clickstream spark`): start it on free
ports in a temporary state directory, talk to its master and Thrift server, stop it and make sure
nothing of it is left running. One cluster serves the whole test session (SharedCluster, through
conftest.py's spark_cluster fixtures); import this module only after checking that the Spark extra
is installed (conftest.require_spark_extra)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from clickstream.local import spark_cluster

PORT_NAMES = ("master", "master_ui", "worker_ui", "thrift", "thrift_ui")


@dataclass(frozen=True)
class Cluster:
    state_dir: Path
    ports: dict[str, int]
    work: Path
    worker_cores: int = 1
    worker_memory: str = "1g"

    @property
    def worker_memory_mb(self) -> int:
        """worker_memory in MB, as the master reports it ("2g" -> 2048, "512m" -> 512)."""
        number, unit = int(self.worker_memory[:-1]), self.worker_memory[-1].lower()
        return number * {"g": 1024, "m": 1}[unit]

    def is_up(self) -> bool:
        """The master and the Thrift server accept connections (false once `stop` has run)."""
        return all(spark_cluster.port_open("127.0.0.1", self.ports[name]) for name in ("master", "thrift"))

    def drop_schemas(self) -> list[str]:
        """Drop every schema of the Thrift server's metastore but `default`, with its tables: the
        project's schema names are fixed (main, staging, ...), so a build that must start from an
        empty Spark warehouse on the shared cluster clears what earlier tests built. Returns the
        schemas dropped."""
        from clickstream.pipeline.warehouse import SparkWarehouse

        spark = SparkWarehouse("127.0.0.1", self.ports["thrift"])
        try:
            dropped = [name for (name,) in spark.query("show schemas") if name != "default"]
            for name in dropped:
                spark.query(f"drop schema if exists `{name}` cascade")
        finally:
            spark.close()
        return dropped

    def script(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "clickstream", "spark", *args, "--state-dir", str(self.state_dir)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.work,
        )

    def master_json(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ports['master_ui']}/json/", timeout=10) as rsp:
            return json.loads(rsp.read())

    def app_api(self, path: str) -> list | dict:
        url = f"http://127.0.0.1:{self.ports['thrift_ui']}/api/v1/applications{path}"
        with urllib.request.urlopen(url, timeout=10) as rsp:
            return json.loads(rsp.read())

    def logs(self) -> str:
        """Per component log: its Java errors (the first 20 lines naming an Error or an uncaught
        exception), then its last 30 lines."""
        parts = []
        for path in sorted((self.state_dir / "logs").glob("*.log")):
            lines = path.read_text(errors="replace").splitlines()
            errors = [line for line in lines if "Exception in thread" in line or "Error:" in line][:20]
            parts.append(f"--- {path.name}\n" + "\n".join([*errors, "...", *lines[-30:]]))
        return "\n".join(parts)


def free_ports(count: int) -> list[int]:
    """Distinct free 127.0.0.1 ports (all held open together while probing, so no duplicates)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def leftover_processes(state_dir: Path) -> list[str]:
    """Live processes started for state_dir: by the script's environment marker, or by a command
    line that names the state directory."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            environ = (entry / "environ").read_bytes().split(b"\0")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        if state in ("Z", "X"):
            continue
        if f"{spark_cluster.STATE_ENV}={state_dir}".encode() in environ or str(state_dir) in cmdline:
            found.append(f"{entry.name}: {cmdline[:200]}")
    return found


def kill_leftovers(state_dir: Path) -> None:
    """Last resort after a failed test: SIGKILL what the marker says belongs to state_dir."""
    for line in leftover_processes(state_dir):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(line.split(":")[0]), signal.SIGKILL)


#: The Spark property the tests' cluster turns off (start_cluster).
WHOLE_STAGE_CODEGEN = "spark.sql.codegen.wholeStage"


@contextlib.contextmanager
def start_cluster(work: Path, worker_cores: int = 1, worker_memory: str = "1g") -> Iterator[Cluster]:
    """Start master, one worker and the Thrift server on free ports under `work`, whole-stage code
    generation off; stop them (and kill anything of the state directory still alive) on exit."""
    ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES)), strict=True))
    running = Cluster(
        state_dir=work / "state", ports=ports, work=work, worker_cores=worker_cores, worker_memory=worker_memory
    )
    try:
        started = running.script(
            "start",
            "--workers",
            "1",
            "--worker-cores",
            str(worker_cores),
            "--worker-memory",
            worker_memory,
            "--driver-memory",
            "1g",
            "--daemon-memory",
            "256m",
            "--master-port",
            str(ports["master"]),
            "--master-ui-port",
            str(ports["master_ui"]),
            "--worker-ui-port",
            str(ports["worker_ui"]),
            "--thrift-port",
            str(ports["thrift"]),
            "--thrift-ui-port",
            str(ports["thrift_ui"]),
            "--timeout",
            "150",
            # The tests' inputs are tiny: compiling each plan's Java code costs more than it saves
            # (the Spark equality module: about 80 CPU-s less, docs/testing.md).
            "--conf",
            f"{WHOLE_STAGE_CODEGEN}=false",
        )
        assert started.returncode == 0, f"start failed:\n{started.stderr}\n{running.logs()}"
        yield running
    finally:
        running.script("stop", timeout=120)
        kill_leftovers(running.state_dir)


class SharedCluster:
    """One cluster for a whole test session: a cluster start costs 20-30 s of JVM start-up.
    start_in_background() starts it in a thread while the first tests run (conftest.py does so when
    the session has a test that needs it); running() waits for that start. A test that stops it
    (test_spark_cluster.py's stop test, run last by conftest.py) leaves it stopped; the next test
    that asks gets a new one."""

    def __init__(self, work: Path, worker_cores: int, worker_memory: str) -> None:
        self.work, self.worker_cores, self.worker_memory = work, worker_cores, worker_memory
        self.starts = 0
        self._current: Cluster | None = None
        self._stack = contextlib.ExitStack()
        self._starting: threading.Thread | None = None
        self._start_error: BaseException | None = None

    def _start(self) -> None:
        self.starts += 1
        folder = self.work / f"cluster-{self.starts}"
        folder.mkdir(parents=True)
        self._current = self._stack.enter_context(
            start_cluster(folder, worker_cores=self.worker_cores, worker_memory=self.worker_memory)
        )

    def _start_recording_error(self) -> None:
        try:
            self._start()
        except BaseException as error:  # raised again by running(), in the test that needs the cluster
            self._start_error = error

    def start_in_background(self) -> None:
        """Start the cluster in a thread, unless it is running or starting."""
        if self._current is None and self._starting is None:
            self._starting = threading.Thread(target=self._start_recording_error, name="spark-cluster-start")
            self._starting.start()

    def _wait_for_start(self) -> None:
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._start_error is not None:
            error, self._start_error = self._start_error, None
            raise error

    def running(self) -> Cluster:
        """The session's cluster, started (again) if it is not up."""
        self._wait_for_start()
        if self._current is None or not self._current.is_up():
            self.close()
            self._start()
        assert self._current is not None
        return self._current

    def close(self) -> None:
        """Stop the cluster (start_cluster's clean-up: `stop`, then kill what is left)."""
        try:
            self._wait_for_start()
        finally:
            self._current = None
            stack, self._stack = self._stack, contextlib.ExitStack()
            stack.close()
