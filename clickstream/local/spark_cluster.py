"""Start, stop or inspect a local Apache Spark standalone cluster with a Thrift (JDBC/ODBC) server,
for running the dbt project on Spark through the ``spark_cluster`` target (docs/spark.md).

Everything comes from the ``pyspark`` wheel of the optional Spark extra (``make spark-setup``; needs
Java 17+): a standalone master, N workers and the Spark Thrift server (HiveThriftServer2) as an
application of that master. dbt-spark reaches the Thrift server with ``method: thrift``::

    .venv/bin/clickstream spark start     # waits until every component answers
    .venv/bin/clickstream spark status    # one line per component
    .venv/bin/clickstream spark stop      # stops exactly what start started

Every process listens on 127.0.0.1 only. Configuration, logs, pid files, the worker work
directories, Spark's scratch space, the Thrift server's warehouse (Parquet tables) and its Derby
metastore all live under the state directory (default ``data/spark/cluster``)::

    cluster.json            ports and sizes the cluster was started with
    conf/<component>.properties, logs/<component>.log, pids/<component>.pid
    work/worker-N/          executor stdout/stderr        local/   shuffle and spill files
    warehouse/              spark.sql.warehouse.dir       metastore_db/, derby.log   Derby metastore
    hive/                   Hive scratch, resources and operation logs of the Thrift server
    classpath/              the Hive compatibility class below (Thrift server's driver class path)

``start`` is idempotent (already running: it says so and exits 0; stale pid files are removed),
``stop`` signals a recorded pid's process group only after checking that the pid still runs the
expected Spark class with this state directory's configuration file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from clickstream.paths import PROJECT_ROOT

DEFAULT_STATE_DIR = PROJECT_ROOT / "data" / "spark" / "cluster"
LOG = logging.getLogger("clickstream.spark_cluster")

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
THRIFT_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
THRIFT_APP_NAME = "clickstream-thriftserver"
#: Set in the environment of every process started here: how `stop` recognises leftovers
#: (e.g. executors) of a process group whose leader is already gone.
STATE_ENV = "CLICKSTREAM_SPARK_STATE_DIR"
#: The Thrift server's user for the readiness query (no authentication: SASL PLAIN, any name).
THRIFT_USER = "clickstream"


#: What --conf accepts as a key: a Spark property name.
SPARK_PROPERTY = re.compile(r"spark\.[A-Za-z0-9_.-]+")
#: The properties of thrift_properties() that --conf may replace: defaults, not wiring (the others
#: follow from start's options and state directory, or are rules of the pipeline such as UTC).
TUNABLE_THRIFT_PROPERTIES = frozenset({"spark.sql.shuffle.partitions", "spark.ui.showConsoleProgress"})


class ClusterError(RuntimeError):
    """A component did not start, or the requested configuration cannot be used."""


# ----------------------------------------------------------------------------
# configuration
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterConfig:
    """The ports and sizes of one cluster (recorded in <state>/cluster.json by start)."""

    host: str = "127.0.0.1"
    master_port: int = 7077
    master_ui_port: int = 8090
    workers: int = 1
    worker_cores: int = field(default_factory=lambda: os.cpu_count() or 2)
    worker_memory: str = "4g"
    worker_ui_port: int = 8091
    executor_memory: str | None = None
    driver_memory: str = "1g"
    daemon_memory: str = "512m"
    thrift_port: int = 10000
    thrift_ui_port: int = 4050
    #: Extra Spark properties of the Thrift server's application (``--conf KEY=VALUE``), in the
    #: order given; they may not replace a property that start sets itself (thrift_properties()).
    thrift_conf: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        # cluster.json stores the pairs as lists
        object.__setattr__(self, "thrift_conf", tuple((str(k), str(v)) for k, v in self.thrift_conf))

    @property
    def master_url(self) -> str:
        return f"spark://{self.host}:{self.master_port}"

    def ports(self) -> dict[str, int]:
        """Every fixed port, by what listens on it."""
        ports = {
            "master": self.master_port,
            "master web UI": self.master_ui_port,
            "thrift server": self.thrift_port,
            "thrift server web UI": self.thrift_ui_port,
        }
        for index in range(1, self.workers + 1):
            ports[f"worker-{index} web UI"] = self.worker_ui_port + index - 1
        return ports

    def validate(self) -> None:
        if self.workers < 1:
            raise ClusterError("--workers must be at least 1")
        if self.worker_cores < 1:
            raise ClusterError("--worker-cores must be at least 1")
        ports = self.ports()
        if len(set(ports.values())) != len(ports):
            raise ClusterError(f"two components would share a port: {ports}")
        for name, port in ports.items():
            if not 0 < port < 65536:
                raise ClusterError(f"invalid port {port} for the {name}")
        for key, value in self.thrift_conf:
            if not SPARK_PROPERTY.fullmatch(key) or not value or "\n" in value or "\r" in value:
                raise ClusterError(
                    f"--conf {key}={value}: give a Spark property as KEY=VALUE, KEY starting with spark., "
                    "VALUE on one line (e.g. --conf spark.sql.codegen.wholeStage=false)"
                )
        fixed = set(thrift_properties(Path("state"), self)) - TUNABLE_THRIFT_PROPERTIES
        taken = sorted({key for key, _ in self.thrift_conf} & fixed)
        if taken:
            raise ClusterError(
                f"--conf cannot change {', '.join(taken)}: `clickstream spark start` sets it itself "
                "(see its other options and docs/spark.md)"
            )


@dataclass(frozen=True)
class Component:
    """One process of the cluster and where its files live."""

    name: str  # master, worker-<n>, thriftserver
    main_class: str
    state_dir: Path

    @property
    def conf_file(self) -> Path:
        return self.state_dir / "conf" / f"{self.name}.properties"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "logs" / f"{self.name}.log"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "pids" / f"{self.name}.pid"


def components_for(state_dir: Path, workers: int) -> list[Component]:
    """The cluster's components in start order (stop goes in reverse)."""
    return [
        Component("master", MASTER_CLASS, state_dir),
        *(Component(f"worker-{i}", WORKER_CLASS, state_dir) for i in range(1, workers + 1)),
        Component("thriftserver", THRIFT_CLASS, state_dir),
    ]


def known_components(state_dir: Path, workers: int) -> list[Component]:
    """components_for() plus any worker that only a leftover pid file still mentions."""
    listed = components_for(state_dir, workers)
    names = {c.name for c in listed}
    extra = sorted(
        (p.stem for p in (state_dir / "pids").glob("worker-*.pid") if p.stem not in names),
        key=lambda n: int(n.split("-")[1]) if n.split("-")[1].isdigit() else 0,
    )
    return [listed[0], *listed[1:-1], *(Component(n, WORKER_CLASS, state_dir) for n in extra), listed[-1]]


def read_recorded_config(state_dir: Path) -> ClusterConfig | None:
    try:
        data = json.loads((state_dir / "cluster.json").read_text(encoding="utf-8"))
        return ClusterConfig(**data["config"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_recorded_config(state_dir: Path, config: ClusterConfig) -> None:
    payload = {
        "config": asdict(config),
        "master_url": config.master_url,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (state_dir / "cluster.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


# ----------------------------------------------------------------------------
# processes
# ----------------------------------------------------------------------------


def spark_home() -> Path:
    """SPARK_HOME of the installed pyspark wheel (bin/spark-class, bin/spark-submit, jars/)."""
    try:
        import pyspark
    except ModuleNotFoundError:
        raise ClusterError("pyspark is not installed: run `make spark-setup` (docs/spark.md)") from None
    home = Path(pyspark.__file__).resolve().parent
    if not (home / "bin" / "spark-class").is_file():
        raise ClusterError(f"{home} has no bin/spark-class: not a full pyspark installation")
    return home


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, process group) of a pid, or None if there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2 :].split()
    return fields[0], int(fields[2])


def _is_live(pid: int) -> bool:
    stat = _proc_stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _has_state_env(pid: int, state_dir: Path) -> bool:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"{STATE_ENV}={state_dir}".encode() in environ


def process_matches(pid: int, component: Component) -> bool:
    """Whether pid is a live process running this component: its command line names the
    component's main class and this state directory's configuration file (true both while
    bin/spark-class is still the bash launcher and after it has exec'ed java)."""
    if not _is_live(pid):
        return False
    args = _cmdline(pid)
    return component.main_class in args and str(component.conf_file) in args


def read_pid(component: Component) -> int | None:
    try:
        return int(component.pid_file.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def running_pid(component: Component) -> int | None:
    """The component's pid if its pid file names a process that still runs it."""
    pid = read_pid(component)
    return pid if pid is not None and process_matches(pid, component) else None


def group_members(pgid: int) -> list[int]:
    """Live processes whose process group is pgid."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _proc_stat(int(entry.name))
            if stat is not None and stat[1] == pgid and stat[0] not in ("Z", "X"):
                members.append(int(entry.name))
    return members


def processes_of_state_dir(state_dir: Path) -> list[int]:
    """Live processes started for this state directory (by the environment marker)."""
    return [
        int(e.name)
        for e in Path("/proc").iterdir()
        if e.name.isdigit()
        and int(e.name) != os.getpid()
        and _is_live(int(e.name))
        and _has_state_env(int(e.name), state_dir)
    ]


def _signal_all(pids: Iterable[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _wait_gone(targets: Callable[[], list[int]], timeout: float) -> list[int]:
    """Poll targets() until it is empty or timeout seconds passed; returns what is left."""
    deadline = time.monotonic() + timeout
    while (left := targets()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def stop_component(component: Component, timeout: float) -> bool:
    """Stop the component's process group (SIGTERM, then SIGKILL after timeout seconds).
    Returns True if something was stopped; removes the pid file in every case."""
    pid = read_pid(component)
    state_dir = component.state_dir
    if pid is None:
        component.pid_file.unlink(missing_ok=True)
        return False

    # start() runs each component in a new session, so its pid is also its process group id and
    # the group holds what it forked (a worker's executors). Only members that carry this state
    # directory's marker are signalled, so a reused pid or group id never hits another program.
    def targets() -> list[int]:
        return [p for p in group_members(pid) if _has_state_env(p, state_dir)]

    if process_matches(pid, component):
        LOG.info("stopping %s (pid %d and its process group)", component.name, pid)
    elif targets():
        LOG.info("%s: pid %d is gone; stopping the rest of its process group %s", component.name, pid, targets())
    else:
        LOG.info("%s: stale pid file (pid %d no longer runs it); removed", component.name, pid)
        component.pid_file.unlink(missing_ok=True)
        return False
    _signal_all(targets(), signal.SIGTERM)
    remaining = _wait_gone(targets, timeout)
    if remaining:
        LOG.warning("%s: still running after %.0f s, sending SIGKILL to %s", component.name, timeout, remaining)
        _signal_all(remaining, signal.SIGKILL)
        remaining = _wait_gone(targets, 10)
        if remaining:
            raise ClusterError(f"{component.name}: processes {remaining} survived SIGKILL")
    component.pid_file.unlink(missing_ok=True)
    return True


# ----------------------------------------------------------------------------
# readiness
# ----------------------------------------------------------------------------


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((host, port)) == 0


def master_state(config: ClusterConfig) -> dict | None:
    """The master web UI's JSON (status, workers, activeapps, ...), or None if it does not answer."""
    try:
        with urllib.request.urlopen(f"http://{config.host}:{config.master_ui_port}/json/", timeout=2) as rsp:
            return json.loads(rsp.read().decode())
    except (OSError, ValueError, urllib.error.URLError):
        return None


def thrift_query(host: str, port: int, sql: str = "select 1", timeout: float = 60.0) -> list[tuple]:
    """Run one statement on the Thrift server through PyHive (what dbt-spark's thrift method uses),
    over a SASL PLAIN transport like PyHive's default one, but with a socket timeout."""
    import thrift_sasl
    from pyhive import hive  # the PyHive extra of dbt-spark
    from thrift.transport import TSocket

    sock = TSocket.TSocket(host, port)
    sock.setTimeout(int(timeout * 1000))
    transport = thrift_sasl.TSaslClientTransport(
        lambda: hive.get_installed_sasl(host=host, sasl_auth="PLAIN", username=THRIFT_USER, password="x"), "PLAIN", sock
    )
    conn = hive.connect(thrift_transport=transport, username=THRIFT_USER)
    try:
        cursor = conn.cursor()
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        conn.close()


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_until(
    component: Component, process: subprocess.Popen[bytes], timeout: float, what: str, check: Callable[[], bool]
) -> None:
    """Poll check() until it is true; fail early if the process exits, or after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise ClusterError(
                f"{component.name} exited with code {process.returncode} before {what}; "
                f"see {component.log_file}. Last lines:\n{tail(component.log_file)}"
            )
        try:
            if check():
                return
        except Exception as exc:
            LOG.debug("%s: %s not yet: %s", component.name, what, exc)
        if time.monotonic() > deadline:
            raise ClusterError(
                f"{component.name} did not become ready ({what}) within {timeout:.0f} s; "
                f"see {component.log_file}. Last lines:\n{tail(component.log_file)}"
            )
        time.sleep(0.5)


# ----------------------------------------------------------------------------
# start
# ----------------------------------------------------------------------------


def _properties(values: dict[str, object]) -> str:
    lines = ["# Written by `clickstream spark start`; rewritten at every start."]
    lines += [f"{key}={value}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def environment(state_dir: Path, config: ClusterConfig, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SPARK_HOME": str(home),
            "SPARK_CONF_DIR": str(state_dir / "conf"),  # no spark-env.sh / spark-defaults.conf of anyone else
            "SPARK_LOCAL_IP": config.host,
            "SPARK_LOCAL_DIRS": str(state_dir / "local"),
            "SPARK_DAEMON_MEMORY": config.daemon_memory,
            "PYSPARK_PYTHON": sys.executable,
            STATE_ENV: str(state_dir),
        }
    )
    return env


def commands(state_dir: Path, config: ClusterConfig, home: Path) -> dict[str, tuple[list[str], dict[str, object]]]:
    """Each component's command line and the contents of its properties file."""
    spark_class, spark_submit = str(home / "bin" / "spark-class"), str(home / "bin" / "spark-submit")
    result: dict[str, tuple[list[str], dict[str, object]]] = {}
    conf = lambda name: str(state_dir / "conf" / f"{name}.properties")  # noqa: E731
    result["master"] = (
        [
            spark_class,
            MASTER_CLASS,
            "--host",
            config.host,
            "--port",
            str(config.master_port),
            "--webui-port",
            str(config.master_ui_port),
            "--properties-file",
            conf("master"),
        ],
        {"spark.master.rest.enabled": "false"},
    )
    for index in range(1, config.workers + 1):
        name = f"worker-{index}"
        result[name] = (
            [
                spark_class,
                WORKER_CLASS,
                "--host",
                config.host,
                "--webui-port",
                str(config.worker_ui_port + index - 1),
                "--cores",
                str(config.worker_cores),
                "--memory",
                config.worker_memory,
                "--work-dir",
                str(state_dir / "work" / name),
                "--properties-file",
                conf(name),
                config.master_url,
            ],
            {"spark.worker.cleanup.enabled": "true"},
        )
    hive_dir = state_dir / "hive"
    hiveconf = {
        "hive.server2.thrift.bind.host": config.host,
        "hive.server2.thrift.port": config.thrift_port,
        "hive.server2.enable.doAs": "false",
        "hive.exec.scratchdir": hive_dir / "scratch",
        "hive.exec.local.scratchdir": hive_dir / "local-scratch",
        # One directory per session: Hive deletes a session's resources directory when the session
        # closes, so a shared one races with sessions that dbt's threads open at the same time.
        "hive.downloaded.resources.dir": f"{hive_dir / 'resources'}/${{hive.session.id}}_resources",
        "hive.server2.logging.operation.log.location": hive_dir / "operation_logs",
        "hive.querylog.location": hive_dir / "querylog",
    }
    result["thriftserver"] = (
        [
            spark_submit,
            "--class",
            THRIFT_CLASS,
            "--name",
            THRIFT_APP_NAME,
            "--master",
            config.master_url,
            "--driver-memory",
            config.driver_memory,
            "--properties-file",
            conf("thriftserver"),
            *(arg for key, value in hiveconf.items() for arg in ("--hiveconf", f"{key}={value}")),
            "spark-internal",
        ],
        {**thrift_properties(state_dir, config), **dict(config.thrift_conf)},
    )
    return result


def thrift_properties(state_dir: Path, config: ClusterConfig) -> dict[str, object]:
    """The Spark properties that start sets for the Thrift server's application; --conf adds to
    them (and may replace TUNABLE_THRIFT_PROPERTIES)."""
    total_cores = config.workers * config.worker_cores
    return {
        "spark.driver.host": config.host,
        "spark.driver.bindAddress": config.host,
        "spark.ui.port": config.thrift_ui_port,
        "spark.executor.memory": config.executor_memory or config.worker_memory,
        "spark.cores.max": total_cores,
        "spark.sql.shuffle.partitions": max(2, 2 * total_cores),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.warehouse.dir": state_dir / "warehouse",
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={state_dir / 'metastore_db'};create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={state_dir}",
        "spark.driver.extraClassPath": hive_compat_classpath(state_dir),  # see MISSING_HIVE_INTERFACE
        "spark.local.dir": state_dir / "local",
        "spark.ui.showConsoleProgress": "false",
    }


#: The pyspark wheel ships Hive 2.3's hive-exec without hive-llap-common, whose nested interface
#: ``LlapSigner$Signable`` one Hive UDTF (get_splits) refers to. Hive's FunctionRegistry cannot load
#: without it, and the Thrift server loads FunctionRegistry the first time a closing session needs a
#: fresh Hive object (SessionState.close): that thread dies with NoClassDefFoundError and the client
#: sees "TSocket read 0 bytes" on an otherwise successful dbt node, at a random point of a long build.
MISSING_HIVE_INTERFACE = "org/apache/hadoop/hive/llap/security/LlapSigner$Signable"


def interface_class_file(internal_name: str) -> bytes:
    """The bytes of a Java class file declaring an empty public interface (no methods), e.g.
    ``a/b/C$D``: enough for the JVM to load and link classes that merely mention it."""

    def utf8(text: str) -> bytes:
        raw = text.encode()
        return b"\x01" + len(raw).to_bytes(2, "big") + raw

    def class_ref(utf8_index: int) -> bytes:
        return b"\x07" + utf8_index.to_bytes(2, "big")

    # constant pool: #1 name, #2 class #1, #3 java/lang/Object, #4 class #3
    pool = utf8(internal_name) + class_ref(1) + utf8("java/lang/Object") + class_ref(3)
    header = (0xCAFEBABE).to_bytes(4, "big") + (0).to_bytes(2, "big") + (52).to_bytes(2, "big")  # Java 8 format
    public_abstract_interface = 0x0001 | 0x0200 | 0x0400
    body = b"".join(n.to_bytes(2, "big") for n in (public_abstract_interface, 2, 4, 0, 0, 0, 0))
    return header + (5).to_bytes(2, "big") + pool + body


def hive_compat_classpath(state_dir: Path) -> Path:
    """The Thrift server's extra driver class path: the directory holding MISSING_HIVE_INTERFACE."""
    return state_dir / "classpath"


def write_hive_compat_classpath(state_dir: Path) -> None:
    """Write the missing Hive interface under hive_compat_classpath(state_dir)."""
    target = hive_compat_classpath(state_dir) / f"{MISSING_HIVE_INTERFACE}.class"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(interface_class_file(MISSING_HIVE_INTERFACE))


def _launch(component: Component, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    component.log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(component.log_file, "ab") as log:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        log.write(f"\n=== {stamp} clickstream spark start: {' '.join(command)}\n".encode())
        log.flush()
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=component.state_dir,
            start_new_session=True,
        )
    component.pid_file.parent.mkdir(parents=True, exist_ok=True)
    component.pid_file.write_text(f"{process.pid}\n", encoding="utf-8")
    LOG.info("started %s (pid %d), log %s", component.name, process.pid, component.log_file)
    return process


def _check_ports_free(config: ClusterConfig, names: Iterable[str]) -> None:
    wanted = set(names)
    for what, port in config.ports().items():
        if what.split(" ")[0] in wanted and port_open(config.host, port):
            raise ClusterError(
                f"port {port} ({what}) is already in use on {config.host}; "
                f"choose another port (see --help) or stop what listens there"
            )


def _worker_registered(config: ClusterConfig, ui_port: int) -> bool:
    state = master_state(config) or {}
    return any(
        w.get("state") == "ALIVE" and str(w.get("webuiaddress", "")).endswith(f":{ui_port}")
        for w in state.get("workers", [])
    )


def _thrift_app_running(config: ClusterConfig) -> bool:
    state = master_state(config) or {}
    return any(a.get("name") == THRIFT_APP_NAME and a.get("state") == "RUNNING" for a in state.get("activeapps", []))


def _thrift_ready(config: ClusterConfig, component: Component) -> bool:
    if not port_open(config.host, config.thrift_port):
        return False
    try:
        import pyhive  # noqa: F401
    except ModuleNotFoundError:  # fall back to the server's own word
        return "HiveThriftServer2 started" in component.log_file.read_text(encoding="utf-8", errors="replace")
    return thrift_query(config.host, config.thrift_port, "select 1", timeout=30) == [(1,)]


def readiness(component: Component, config: ClusterConfig) -> tuple[str, Callable[[], bool]]:
    """What "ready" means for a component, and the check for it."""
    if component.main_class == MASTER_CLASS:

        def master_ready() -> bool:
            return port_open(config.host, config.master_port) and (master_state(config) or {}).get("status") == "ALIVE"

        return f"master ALIVE on {config.master_url}", master_ready
    if component.main_class == WORKER_CLASS:
        ui_port = config.worker_ui_port + int(component.name.split("-")[1]) - 1

        def worker_ready() -> bool:
            return port_open(config.host, ui_port) and _worker_registered(config, ui_port)

        return f"{component.name} registered with the master", worker_ready

    def thrift_ready() -> bool:
        return _thrift_ready(config, component) and _thrift_app_running(config)

    return f"thrift server answering `select 1` on {config.host}:{config.thrift_port}", thrift_ready


def start_cluster(state_dir: Path, requested: ClusterConfig, timeout: float) -> int:
    requested.validate()
    recorded = read_recorded_config(state_dir)
    config = recorded or requested
    comps = components_for(state_dir, config.workers)
    running = {c.name: running_pid(c) for c in comps}

    if running["master"] is not None:
        if recorded is not None and recorded != requested:
            differences = ", ".join(
                f"{key}={value!r} (asked: {asdict(requested)[key]!r})"
                for key, value in asdict(recorded).items()
                if asdict(requested)[key] != value
            )
            LOG.warning(
                "the cluster in %s runs with %s; options given now are ignored (stop it first to change them)",
                state_dir,
                differences,
            )
        if all(running.values()):
            LOG.info(
                "already running (master %s, %d worker(s), thrift server on %s:%d)",
                config.master_url,
                config.workers,
                config.host,
                config.thrift_port,
            )
            return 0
        missing = [c for c in comps if running[c.name] is None]
        LOG.info("master already running; starting the missing component(s): %s", ", ".join(c.name for c in missing))
    else:
        # No master: whatever is left of an earlier cluster is stopped and cleared, then start afresh.
        for leftover in reversed(known_components(state_dir, config.workers)):
            stop_component(leftover, timeout=20)
        config = requested
        comps = components_for(state_dir, config.workers)
        missing = comps

    _check_ports_free(config, [c.name.replace("thriftserver", "thrift") for c in missing])
    home = spark_home()
    for sub in ("conf", "logs", "pids", "work", "local", "warehouse", "hive"):
        (state_dir / sub).mkdir(parents=True, exist_ok=True)
    write_recorded_config(state_dir, config)
    write_hive_compat_classpath(state_dir)
    env = environment(state_dir, config, home)
    cmds = commands(state_dir, config, home)
    started: list[Component] = []
    try:
        for component in missing:
            command, props = cmds[component.name]
            component.conf_file.write_text(_properties(props), encoding="utf-8")
            component_env = env
            if component.main_class == THRIFT_CLASS:
                # Spark's launcher sizes the Thrift server's driver heap by SPARK_DAEMON_MEMORY when
                # that is set, ignoring --driver-memory: give it the driver memory.
                component_env = {**env, "SPARK_DAEMON_MEMORY": config.driver_memory}
            process = _launch(component, command, component_env)
            started.append(component)
            what, check = readiness(component, config)
            wait_until(component, process, timeout, what, check)
            LOG.info("%s is ready", component.name)
    except BaseException:
        LOG.error("start failed; stopping the component(s) started now: %s", ", ".join(c.name for c in started))
        for component in reversed(started):
            stop_component(component, timeout=20)
        raise
    print_status(state_dir)
    return 0


# ----------------------------------------------------------------------------
# status / stop
# ----------------------------------------------------------------------------


def component_address(component: Component, config: ClusterConfig | None) -> str:
    if config is None:
        return ""
    if component.name == "master":
        return f"{config.master_url}  ui http://{config.host}:{config.master_ui_port}"
    if component.main_class == WORKER_CLASS:
        index = int(component.name.split("-")[1])
        return f"ui http://{config.host}:{config.worker_ui_port + index - 1}"
    return f"thrift {config.host}:{config.thrift_port}  ui http://{config.host}:{config.thrift_ui_port}"


def print_status(state_dir: Path) -> bool:
    """Print one line per component; True if every component runs."""
    config = read_recorded_config(state_dir)
    all_running = True
    for component in known_components(state_dir, config.workers if config else 1):
        pid = running_pid(component)
        all_running &= pid is not None
        state = f"running  pid {pid}" if pid is not None else "stopped"
        print(f"{component.name:<13} {state:<18} {component_address(component, config) if pid else ''}".rstrip())
    return all_running


def stop_cluster(state_dir: Path, timeout: float) -> int:
    config = read_recorded_config(state_dir)
    stopped = [
        c.name
        for c in reversed(known_components(state_dir, config.workers if config else 1))
        if stop_component(c, timeout)
    ]
    # Anything else still carrying this state directory's marker (e.g. an executor that left its group).
    strays = processes_of_state_dir(state_dir)
    if strays:
        LOG.warning("stopping stray processes of %s: %s", state_dir, strays)
        _signal_all(strays, signal.SIGTERM)
        _signal_all(_wait_gone(lambda: processes_of_state_dir(state_dir), timeout), signal.SIGKILL)
    LOG.info("stopped: %s", ", ".join(stopped) if stopped else "nothing was running")
    return 0


# ----------------------------------------------------------------------------
# command line
# ----------------------------------------------------------------------------


def build_parser(prog: str = "clickstream spark") -> argparse.ArgumentParser:
    defaults = ClusterConfig()
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="directory for configuration, logs, pid files, worker work directories, "
        "scratch space, the Thrift server's warehouse and Derby metastore "
        "(default: %(default)s)",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="log debug messages too")
    common.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")

    parser = argparse.ArgumentParser(
        prog=prog,
        description="Start, stop or show a local Spark standalone cluster (master, workers) with a "
        "Spark Thrift server for dbt's spark_cluster target, all on 127.0.0.1, from the "
        "pyspark wheel (make spark-setup). See docs/spark.md.",
        epilog="Exit status: 0 on success (start: also when already running; status: every component "
        "running), 1 otherwise.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{start,stop,status}")

    start = sub.add_parser(
        "start",
        parents=[common],
        help="start the master, the workers and the Thrift server; wait until each answers",
        description="Start the cluster in the background and wait until the master is ALIVE, every "
        "worker is registered and the Thrift server answers `select 1`. Already running: "
        "says so and exits 0 (options given then are ignored; stop first to change them).",
    )
    start.add_argument(
        "--host", default=defaults.host, help="address every component binds to and advertises (default: %(default)s)"
    )
    start.add_argument(
        "--master-port",
        type=int,
        default=defaults.master_port,
        help="master RPC port, i.e. spark://HOST:PORT (default: %(default)s)",
    )
    start.add_argument(
        "--master-ui-port",
        type=int,
        default=defaults.master_ui_port,
        help="master web UI port; http://HOST:PORT/json/ lists workers and applications "
        "(default: %(default)s; 8080 is left to `make docs`)",
    )
    start.add_argument(
        "--workers",
        type=int,
        default=defaults.workers,
        help="number of worker processes (default: %(default)s; on one machine more "
        "workers only add JVMs, give one worker more cores instead)",
    )
    start.add_argument(
        "--worker-cores",
        type=int,
        default=defaults.worker_cores,
        help="task slots per worker (default: this machine's CPU count, %(default)s: "
        "Spark cores are slots, not reservations, and the master, worker and "
        "driver JVMs are idle while tasks run; use 1 to leave a core free)",
    )
    start.add_argument(
        "--worker-memory",
        default=defaults.worker_memory,
        help="memory each worker may give to executors, e.g. 4g (default: %(default)s)",
    )
    start.add_argument(
        "--worker-ui-port",
        type=int,
        default=defaults.worker_ui_port,
        help="web UI port of worker 1; worker N uses this + N - 1 (default: %(default)s)",
    )
    start.add_argument(
        "--executor-memory",
        help="heap of each executor of the Thrift server (default: the worker memory, i.e. one executor per worker)",
    )
    start.add_argument(
        "--driver-memory",
        default=defaults.driver_memory,
        help="heap of the Thrift server's driver, which plans queries and collects results (default: %(default)s)",
    )
    start.add_argument(
        "--daemon-memory",
        default=defaults.daemon_memory,
        help="heap of the master and worker daemons (default: %(default)s)",
    )
    start.add_argument(
        "--thrift-port",
        type=int,
        default=defaults.thrift_port,
        help="Thrift (HiveServer2 protocol) port that dbt connects to; the profile reads "
        "it from CLICKSTREAM_SPARK_THRIFT_PORT (default: %(default)s)",
    )
    start.add_argument(
        "--thrift-ui-port",
        type=int,
        default=defaults.thrift_ui_port,
        help="web UI port of the Thrift server application: jobs, stages, executors (default: %(default)s)",
    )
    start.add_argument(
        "--conf",
        dest="thrift_conf",
        action="append",
        type=conf_pair,
        default=[],
        metavar="KEY=VALUE",
        help="a Spark property for the Thrift server's queries, e.g. spark.sql.codegen.wholeStage=false "
        "(repeatable; it may not replace what the other options, the state directory or the "
        "pipeline's rules set, such as spark.sql.session.timeZone)",
    )
    start.add_argument(
        "--timeout",
        type=float,
        default=180.0,
        help="seconds to wait for each component to answer (default: %(default)s)",
    )

    stop = sub.add_parser(
        "stop",
        parents=[common],
        help="stop the processes that start started",
        description="Stop the Thrift server, the workers and the master (in that order): SIGTERM to "
        "each recorded pid's process group, after checking that the pid still runs that "
        "component of this state directory; SIGKILL after --timeout. Stale pid files are "
        "removed. Data (warehouse, metastore, logs) is kept.",
    )
    stop.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait for each component to exit before SIGKILL (default: %(default)s)",
    )

    sub.add_parser(
        "status",
        parents=[common],
        help="print each component as running or stopped",
        description="Print one line per component: running (pid, addresses) or stopped. "
        "Exit status 0 if every component runs, 1 otherwise.",
    )
    return parser


def conf_pair(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` of --conf as a pair (argparse type: its error names the option)."""
    key, equals, value = text.partition("=")
    if not equals:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE, e.g. spark.sql.codegen.wholeStage=false")
    return key.strip(), value.strip()


def main(argv: list[str] | None = None, prog: str = "clickstream spark") -> int:
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO,
        format="spark_cluster: %(message)s",
    )
    logging.getLogger("pyhive").setLevel(logging.WARNING)  # it logs every statement at INFO
    state_dir = args.state_dir.resolve()
    try:
        if args.command == "start":
            config = ClusterConfig(
                host=args.host,
                master_port=args.master_port,
                master_ui_port=args.master_ui_port,
                workers=args.workers,
                worker_cores=args.worker_cores,
                worker_memory=args.worker_memory,
                worker_ui_port=args.worker_ui_port,
                executor_memory=args.executor_memory,
                driver_memory=args.driver_memory,
                daemon_memory=args.daemon_memory,
                thrift_port=args.thrift_port,
                thrift_ui_port=args.thrift_ui_port,
                thrift_conf=tuple(args.thrift_conf),
            )
            return start_cluster(state_dir, config, args.timeout)
        if args.command == "stop":
            return stop_cluster(state_dir, args.timeout)
        return 0 if print_status(state_dir) else 1
    except ClusterError as exc:
        LOG.error("%s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
