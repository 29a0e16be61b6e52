"""`clickstream spark` against a real local Spark standalone cluster (docs/spark.md).

Skipped unless the optional Spark extra is installed (``make spark-setup``: pyspark, dbt-spark with
PyHive) and Java is on PATH. The session's cluster (conftest.py's shared_cluster: master, one
worker, the Thrift server, started in a temporary state directory on free ports; the other Spark
tests use it too), then:

- ``start`` again says "already running" and exits 0; ``status`` lists every component as running;
- ``start --conf`` (here whole-stage code generation off) reaches the Thrift server's sessions;
- a real ``dbt debug --target spark_cluster`` (the project's profiles.yml) connects through Thrift;
- queries through PyHive (dbt-spark's thrift client) return the right rows, and the master's JSON
  API and the Thrift application's REST API show that the tasks ran on the worker's executor;
- the Thrift server's driver class path lets Hive load its FunctionRegistry, which the pyspark
  wheel alone cannot (a missing LLAP interface; loaded when a closing session needs it);
- ``stop`` leaves no process of the state directory behind, and a stale pid file (a live pid that
  is not Spark: this test's own) is reported as stopped and removed, never signalled (this test
  stops the session's cluster, so it runs after every other test: shared_cluster_to_stop).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed: the Spark extra is optional (make spark-setup)")
pytest.importorskip("pyhive", reason="PyHive is not installed: the Spark extra is optional (make spark-setup)")
if shutil.which("java") is None:
    pytest.skip("no java on PATH: Spark needs Java 17+", allow_module_level=True)

from spark_testing import WHOLE_STAGE_CODEGEN, Cluster, leftover_processes, spark_cluster

from clickstream.ingest import file_check
from clickstream.paths import PROJECT_ROOT, PipelinePaths

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def cluster(shared_cluster: Cluster) -> Cluster:
    return shared_cluster


def test_start_is_idempotent_and_status_lists_every_component(cluster: Cluster) -> None:
    again = cluster.script("start")
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stderr
    status = cluster.script("status")
    assert status.returncode == 0, status.stdout + status.stderr
    lines = status.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["master", "running"],
        ["worker-1", "running"],
        ["thriftserver", "running"],
    ]
    assert f"spark://127.0.0.1:{cluster.ports['master']}" in lines[0]
    assert f"thrift 127.0.0.1:{cluster.ports['thrift']}" in lines[2]
    for name in ("master", "worker-1", "thriftserver"):
        assert (cluster.state_dir / "pids" / f"{name}.pid").is_file()
        assert (cluster.state_dir / "logs" / f"{name}.log").is_file()


def test_start_gives_its_conf_properties_to_the_thrift_servers_sessions(cluster: Cluster) -> None:
    [(key, value)] = spark_cluster.thrift_query("127.0.0.1", cluster.ports["thrift"], f"set {WHOLE_STAGE_CODEGEN}")
    assert (key, value) == (WHOLE_STAGE_CODEGEN, "false")  # Spark's default is true
    recorded = json.loads((cluster.state_dir / "cluster.json").read_text())["config"]["thrift_conf"]
    assert recorded == [[WHOLE_STAGE_CODEGEN, "false"]]


def test_dbt_debug_connects_through_the_thrift_target(cluster: Cluster, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "CLICKSTREAM_SPARK_THRIFT_PORT": str(cluster.ports["thrift"]),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
    }
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [str(dbt), "debug", "--target", "spark_cluster"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"port: {cluster.ports['thrift']}" in result.stdout
    assert "Connection test: [OK connection ok]" in result.stdout.replace("\x1b[32m", "").replace("\x1b[0m", "")


def test_queries_run_on_the_clusters_worker(cluster: Cluster) -> None:
    master = cluster.master_json()
    assert master["status"] == "ALIVE" and master["aliveworkers"] == 1
    [worker] = master["workers"]
    assert worker["host"] == "127.0.0.1"
    assert worker["cores"] == cluster.worker_cores and worker["memory"] == cluster.worker_memory_mb
    [app] = [a for a in master["activeapps"] if a["name"] == spark_cluster.THRIFT_APP_NAME]
    # the Thrift server holds the worker's cores
    assert app["state"] == "RUNNING" and app["cores"] == cluster.worker_cores

    [application] = cluster.app_api("")
    assert application["id"] == app["id"]  # the Thrift server's UI is that master application

    def executor_tasks() -> dict[str, int]:
        return {e["id"]: e["completedTasks"] for e in cluster.app_api(f"/{app['id']}/executors")}

    before = executor_tasks()
    assert spark_cluster.thrift_query("127.0.0.1", cluster.ports["thrift"], "select 1") == [(1,)]
    rows = spark_cluster.thrift_query(
        "127.0.0.1", cluster.ports["thrift"], "select count(*), sum(id) from range(0, 100000, 1, 2)"
    )
    assert rows == [(100000, 4999950000)]
    # Two input partitions: at least two tasks, run by the worker's executor (not by the driver).
    deadline = time.monotonic() + 30
    while True:
        after = executor_tasks()
        ran = {k: after[k] - before.get(k, 0) for k in after if k != "driver"}
        if sum(ran.values()) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert sum(ran.values()) >= 2, (before, after)
    executors = [e for e in cluster.app_api(f"/{app['id']}/executors") if e["id"] != "driver"]
    assert executors and all(e["hostPort"].startswith("127.0.0.1:") for e in executors)


def write_landing_zone(root: Path) -> dict[tuple[str, str], list[str]]:
    """A small landing zone with the shapes the reader must handle: LF and CRLF files, a gzip
    file, blank lines, non-ASCII text, a line that is not JSON, a last line without a newline,
    two landing days. Returns the expected lines per (dt, file name), in file order."""
    files = {
        ("2024-03-01", "click_events+0+0000000000.jsonl"): (
            [
                '{"event_id": "a1"}',
                "",
                '{"page": "caf\u00e9 \u00fc \U0001f600"}',
                "not json at all",
                '{"event_id": "a5"}',
            ],
            "\n",
            True,
        ),
        ("2024-03-01", "click_events+1+0000000000.jsonl"): (
            ['{"event_id": "b1"}', '{"event_id": "b2"}', "   ", '{"event_id": "b4"}'],
            "\r\n",
            True,
        ),
        ("2024-03-01", "click_events+2+0000000000.jsonl.gz"): (
            ['{"event_id": "c1"}', "", '{"event_id": "c3"}', '{"event_id": "c4", "x": [1, 2]}'],
            "\n",
            True,
        ),
        ("2024-03-02", "click_events+0+0000000005.jsonl"): (['{"event_id": "d1"}', '{"event_id": "d2"}'], "\n", False),
    }
    for (dt, name), (lines, ending, final_newline) in files.items():
        path = root / "click_events" / f"dt={dt}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = (ending.join(lines) + (ending if final_newline else "")).encode("utf-8")
        path.write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
    return {key: lines for key, (lines, _, _) in files.items()}


def dbt_env(tmp_path: Path, cluster: Cluster) -> dict[str, str]:
    return {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "CLICKSTREAM_SPARK_THRIFT_PORT": str(cluster.ports["thrift"]),
        "CLICKSTREAM_WAREHOUSE": str(tmp_path / "duckdb" / "warehouse.duckdb"),
    }


def run_dbt(tmp_path: Path, cluster: Cluster, target: str, *args: str) -> None:
    dbt = Path(sys.executable).with_name("dbt")
    work = tmp_path / target
    work.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [str(dbt), *args, "--target", target, "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        cwd=PROJECT_ROOT,
        env=dbt_env(tmp_path, cluster),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"dbt {' '.join(args)} --target {target} failed:\n{result.stdout[-6000:]}"


def test_raw_lines_read_on_the_cluster_equal_duckdbs(cluster: Cluster, tmp_path: Path) -> None:
    """The staging layer (stg_click_events__files, stg_click_events__lines: file listing, text
    lines with gzip, CRLF, blank lines, dt partitions, 1-based line numbers) run by dbt on the
    Spark cluster gives exactly the rows DuckDB gives, and both match the files as written."""
    raw_root = tmp_path / "raw"
    expected = write_landing_zone(raw_root)
    selection = [
        "run",
        "--select",
        "stg_click_events__files",
        "stg_click_events__file_reads",
        "stg_click_events__lines",
        "--vars",
        json.dumps({"raw_root": str(raw_root)}),
    ]
    query = "select cast(dt as {type}), file_name, file_row_index, line_text from staging.stg_click_events__lines"

    (tmp_path / "duckdb").mkdir()
    # plain dbt reads only checked files (the check log is next to CLICKSTREAM_WAREHOUSE, dbt_env())
    file_check.ensure_checked(PipelinePaths(raw_root, tmp_path / "duckdb" / "warehouse.duckdb", tmp_path / "exports"))
    run_dbt(tmp_path, cluster, "dev", *selection)
    import duckdb

    with duckdb.connect(str(tmp_path / "duckdb" / "warehouse.duckdb"), read_only=True) as con:
        duckdb_rows = sorted(con.execute(query.format(type="varchar")).fetchall())

    run_dbt(tmp_path, cluster, "spark_cluster", *selection)
    spark_rows = sorted(spark_cluster.thrift_query("127.0.0.1", cluster.ports["thrift"], query.format(type="string")))

    written = sorted(
        (dt, name, number, line) for (dt, name), lines in expected.items() for number, line in enumerate(lines, start=1)
    )
    assert duckdb_rows == written
    assert spark_rows == written


def hive_function_registry_loads(extra_class_path: str | None) -> bool:
    """Start a Spark driver JVM (pyspark's gateway) and initialise Hive's FunctionRegistry in it."""
    from py4j.protocol import Py4JJavaError
    from pyspark import SparkConf
    from pyspark.java_gateway import launch_gateway

    conf = SparkConf(loadDefaults=False)
    if extra_class_path:
        conf.set("spark.driver.extraClassPath", extra_class_path)
    gateway = launch_gateway(conf)
    try:
        gateway.jvm.java.lang.Class.forName("org.apache.hadoop.hive.ql.exec.FunctionRegistry")
        return True
    except Py4JJavaError as error:
        assert "LlapSigner" in str(error.java_exception), error
        return False
    finally:
        gateway.shutdown()
        gateway.proc.kill()
        gateway.proc.wait(timeout=30)


@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")
def test_thrift_servers_class_path_lets_hive_load_its_function_registry(cluster: Cluster) -> None:
    props = dict(
        line.split("=", 1)
        for line in (cluster.state_dir / "conf" / "thriftserver.properties").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    class_path = props["spark.driver.extraClassPath"]
    assert Path(class_path, spark_cluster.MISSING_HIVE_INTERFACE + ".class").is_file()
    assert hive_function_registry_loads(class_path)
    # Why the class path is there: with the pyspark wheel alone, loading fails (if a later pyspark
    # ships the interface, this fails and MISSING_HIVE_INTERFACE can go).
    assert not hive_function_registry_loads(None)


def test_stop_leaves_no_process_and_handles_stale_pid_files(shared_cluster_to_stop: Cluster) -> None:
    cluster = shared_cluster_to_stop
    assert leftover_processes(cluster.state_dir), "the cluster should be running before stop"
    stopped = cluster.script("stop", timeout=120)
    assert stopped.returncode == 0, stopped.stderr
    deadline = time.monotonic() + 10
    while leftover_processes(cluster.state_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert leftover_processes(cluster.state_dir) == []
    assert not list((cluster.state_dir / "pids").glob("*.pid"))
    for name, port in cluster.ports.items():
        assert not spark_cluster.port_open("127.0.0.1", port), f"{name} port {port} still open"
    status = cluster.script("status")
    assert status.returncode == 1
    assert [line.split()[:2] for line in status.stdout.splitlines()] == [
        ["master", "stopped"],
        ["worker-1", "stopped"],
        ["thriftserver", "stopped"],
    ]

    # A stale pid file naming a live process that is not this cluster's (pytest itself): stopped,
    # and `stop` removes the file without signalling that process.
    pid_file = cluster.state_dir / "pids" / "master.pid"
    pid_file.write_text(f"{os.getpid()}\n")
    assert cluster.script("status").stdout.splitlines()[0].split()[:2] == ["master", "stopped"]
    again = cluster.script("stop")
    assert again.returncode == 0 and "stale pid file" in again.stderr, again.stderr
    assert not pid_file.exists()
