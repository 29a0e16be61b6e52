"""Shared fixtures: a throw-away landing zone, warehouse and export root per test, helpers to
land raw lines, run the real refresh (dbt + DuckDB) and query the real warehouse; one local Spark
cluster for the whole session (shared_cluster), for the tests marked spark; Debian's chromium
driven by Playwright (browser, page, page_log), for the tests marked browser."""

from __future__ import annotations

import gzip
import importlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, sync_playwright

from clickstream.paths import PipelinePaths
from clickstream.pipeline import contract, dbt_process, refresh

if TYPE_CHECKING:  # spark_testing is imported only once the Spark extra is known to be there
    from spark_testing import Cluster, SharedCluster

# Every public table (the models in models/marts/) and its key (the model's unique_key).
COMPARED_TABLES = {table.name: table.key for table in contract.public_tables(contract.project_manifest())}


def event(event_id: str, user_id: str, ts: object, event_type: str = "page_view", **extra: object) -> bytes:
    """One raw JSON line (bytes) for an event."""
    payload = {"event_id": event_id, "user_id": user_id, "event_type": event_type, "event_ts": ts, **extra}
    return json.dumps(payload).encode()


EDGE_DAY = "2024-03-02"


def edge_case_lines() -> list[bytes]:
    """Lines that exercise the rules' boundaries (sessions, timestamps, every quarantine reason, a
    copy in the same file), to land on EDGE_DAY (test_pandas_peer.py, test_schedule_independence.py)."""
    return [
        # sessions: exactly 30 minutes is the same session, 30 min + 1 us starts a new one
        event("edge-gap-1", "edge_u1", "2024-03-02T10:00:00Z"),
        event("edge-gap-2", "edge_u1", "2024-03-02T10:30:00Z"),
        event("edge-gap-3", "edge_u1", "2024-03-02T11:00:00.000001Z"),
        # ties on event_ts are ordered by event_id: the session starts with edge-tie-a
        event("edge-tie-b", "edge_u2", "2024-03-02T12:00:00Z", "click"),
        event("edge-tie-a", "edge_u2", "2024-03-02T12:00:00Z"),
        # other accepted forms: offset across midnight, epoch millis, no zone, space, short fraction
        event("edge-ts-1", "edge_u3", "2024-03-02T01:10:00+02:00"),
        event("edge-ts-2", "edge_u3", 1709334900000),
        event("edge-ts-3", "edge_u3", "2024-03-01T23:40:00"),
        event("edge-ts-4", "edge_u3", "2024-03-01 23:50:00.5Z"),
        event("edge-ts-5", "edge_u3", "2024-03-02T00:10:00.123-00:30"),
        # quarantined, one of each boundary
        event("edge-bad-1", "edge_u4", "2024-03-02T12:00:00+25:00"),
        event("edge-bad-2", "edge_u4", "2024-02-30T12:00:00Z"),
        event("edge-bad-3", "edge_u4", 1.7e12),
        event("edge-bad-4", "edge_u4", True),
        event("edge-bad-5", "edge_u4", ""),
        event("edge-bad-6", "edge_u4", " "),
        event("   ", "edge_u4", "2024-03-02T12:00:00Z"),
        json.dumps(
            {"event_id": 123, "user_id": "edge_u4", "event_type": "click", "event_ts": "2024-03-02T12:00:00Z"}
        ).encode(),
        event("edge-bad-7", "edge_u4", "2024-03-02T12:00:00Z", "Click"),
        event("edge-bad-8", "edge_u4", "2024-03-03T00:10:00.000001Z"),
        event("edge-ok-9", "edge_u4", "2024-03-03T00:10:00Z"),
        event("edge-bad-10", "edge_u4", "2024-02-27T23:59:59.999999Z"),
        event("edge-ok-11", "edge_u4", "2024-02-28T00:00:00Z"),
        b'[{"event_id": "edge-bad-12"}]',
        b"null",
        b'{"event_id": "edge-bad-13", "user_id": "edge_u4"',
        b"\t  ",
        b"",
        # a copy with another payload in the same file: the first line wins
        event("edge-gap-2", "edge_u1", "2024-03-02T10:45:00Z"),
        event("edge-extra", "edge_u5", "2024-03-02T09:00:00Z", app_version="1.2.3", properties={"a": 1}),
    ]


def exported_files(root: Path) -> dict[str, bytes]:
    """Every exported data file under an export root (path under the root -> bytes)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


def run_dbt(
    paths: PipelinePaths, *arguments: str, work_dir: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one dbt command on these paths exactly as `clickstream refresh` builds it (same
    project, profiles, target and environment), with its target and log folders under `work_dir`
    (never the project's own target/, which parallel tests would share); `env` adds to its
    environment (the paths are the warehouse dbt opens: CLICKSTREAM_WAREHOUSE cannot move it)."""
    command = dbt_process.dbt_command(paths, list(arguments), "dev", work_dir / "target", work_dir / "logs")
    command.env.update(env or {})
    return command.run()


@dataclass
class Pipeline:
    """A landing zone + warehouse + export root in a temporary directory."""

    paths: PipelinePaths

    def land(
        self,
        dt: str,
        name: str,
        lines: Iterable[bytes],
        *,
        compress: bool = False,
        newline: bytes = b"\n",
        trailing_newline: bool = True,
    ) -> Path:
        folder = self.paths.raw_root / "click_events" / f"dt={dt}"
        folder.mkdir(parents=True, exist_ok=True)
        body = newline.join(lines)
        if body and trailing_newline:
            body += newline
        path = folder / name
        path.write_bytes(gzip.compress(body, mtime=0) if compress else body)
        return path

    def refresh(self, *args: str, env: dict[str, str] | None = None, freshness: bool = False) -> int:
        """Run `clickstream refresh` on this pipeline (freshness check off unless asked for)."""
        old = {key: os.environ.get(key) for key in (env or {})}
        os.environ.update(env or {})
        try:
            return refresh.main(
                [
                    "--raw-root",
                    str(self.paths.raw_root),
                    "--warehouse",
                    str(self.paths.warehouse),
                    "--export-root",
                    str(self.paths.export_root),
                    *([] if freshness else ["--skip-freshness"]),
                    *args,
                ]
            )
        finally:
            for key, value in old.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def dbt(
        self, *arguments: str, work_dir: Path, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run one plain dbt command on this pipeline (conftest.run_dbt)."""
        return run_dbt(self.paths, *arguments, work_dir=work_dir, env=env)

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.paths.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every public table's rows, in key order."""
        return {
            table: self.query(f"select * from main.{table} order by {key}") for table, key in COMPARED_TABLES.items()
        }


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    return Pipeline(
        PipelinePaths(
            raw_root=tmp_path / "raw",
            warehouse=tmp_path / "warehouse" / "clickstream.duckdb",
            export_root=tmp_path / "exports",
        )
    )


@pytest.fixture
def make_pipeline(tmp_path: Path):
    """Factory for several independent pipelines sharing nothing (e.g. to compare two runs)."""

    def factory(name: str, raw_root: Path | None = None) -> Pipeline:
        base = tmp_path / name
        return Pipeline(
            PipelinePaths(
                raw_root=raw_root or base / "raw",
                warehouse=base / "warehouse" / "clickstream.duckdb",
                export_root=base / "exports",
            )
        )

    return factory


def spark_extra_missing() -> str | None:
    """Why the Spark tests cannot run here, or None: the optional Spark extra (pyspark, PyHive) is
    installed and Java is on PATH."""
    for module, name in (("pyspark", "pyspark"), ("pyhive", "PyHive")):
        try:
            importlib.import_module(module)
        except ImportError:
            return f"{name} is not installed: the Spark extra is optional (make spark-setup)"
    return "no java on PATH: Spark needs Java 17+" if shutil.which("java") is None else None


def require_spark_extra() -> None:
    """Skip unless the Spark extra is installed and Java is on PATH (spark_extra_missing)."""
    reason = spark_extra_missing()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def spark_clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedCluster]:
    """The session's one local Spark cluster (spark_testing.SharedCluster: master, one 2-core 2 GB
    worker, the Thrift server), started when a test first needs it and stopped at the end. Its
    metastore is shared: the project's schemas have fixed names (main, staging, ...), so a test
    reads what it built right after building it, and a build that needs an empty Spark warehouse
    drops the schemas first (Cluster.drop_schemas)."""
    require_spark_extra()
    from spark_testing import SharedCluster

    shared = SharedCluster(tmp_path_factory.mktemp("spark_cluster"), worker_cores=2, worker_memory="2g")
    try:
        yield shared
    finally:
        shared.close()


@pytest.fixture(scope="session", autouse=True)
def start_spark_cluster_early(request: pytest.FixtureRequest) -> None:
    """When this session runs a test that needs the Spark cluster (and the Spark extra is there),
    start the cluster now, in the background: its JVMs start while the tests before the first one
    that needs it run."""
    needed = any("spark_clusters" in getattr(item, "fixturenames", ()) for item in request.session.items)
    if needed and spark_extra_missing() is None:
        request.getfixturevalue("spark_clusters").start_in_background()


@pytest.fixture(scope="module")
def shared_cluster(spark_clusters: SharedCluster) -> Cluster:
    """The session's running Spark cluster."""
    return spark_clusters.running()


@pytest.fixture
def shared_cluster_to_stop(spark_clusters: SharedCluster) -> Cluster:
    """The session's running Spark cluster, for a test that stops it: such tests run after every
    other test (pytest_collection_modifyitems), and a test after one would get a new cluster."""
    return spark_clusters.running()


# Debian's chromium, never a downloaded one (`scripts/ensure_chromium.sh` installs it; `make test`
# runs that first). Playwright adds the flags a closed network needs (no background networking,
# component updates or sync; --no-sandbox, as root); these two it leaves out.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic"]
MISSING_CHROMIUM = (
    f"{CHROMIUM} is missing: the browser tests need Debian's chromium. Install it with "
    "`bash scripts/ensure_chromium.sh` (apt-get install -y chromium, as root)."
)
VIEWPORT = {"width": 1280, "height": 900}


def chromium_available(path: str = CHROMIUM) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium launched by Playwright, for one test module (a test using it is
    marked browser). Module scope, not session: Playwright's sync API keeps its event loop marked
    running while it is started, so it stops with the module rather than stay around for the other
    test files of the same pytest-xdist worker."""
    if not chromium_available():
        pytest.fail(MISSING_CHROMIUM)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page (its own browser context: no cookies, storage or cache from other tests) with a
    1280 x 900 viewport."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        yield context.new_page()
    finally:
        context.close()


@dataclass
class PageLog:
    """What a page reported through Playwright's events since page_log started watching it:
    console errors and assertions (with Chromium's own "Failed to load resource" lines), uncaught
    exceptions, failed requests, and every URL it requested."""

    errors: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "assert"):
            self.errors.append(f"console.{message.type}: {message.text} {message.location.get('url', '')}".strip())

    def exception(self, error: Exception) -> None:
        self.errors.append(f"exception: {error}")

    def failed(self, request: Request) -> None:
        # net::ERR_ABORTED: a load cancelled, by the page or by Chromium after an image's 404 (which
        # the console line already reports); not a failure of its own.
        if request.failure != "net::ERR_ABORTED":
            self.errors.append(f"network: {request.failure} ({request.resource_type}) {request.url}")


@pytest.fixture
def page_log(page: Page) -> PageLog:
    """The page's console errors, exceptions, failed requests and requested URLs (PageLog)."""
    log = PageLog()
    page.on("console", log.console)
    page.on("pageerror", log.exception)
    page.on("requestfailed", log.failed)
    page.on("request", lambda request: log.requested.append(request.url))
    return log


# The longest test modules (their tests' durations summed, in a clean-clone make test), longest
# first: pytest-xdist (--dist loadfile --no-loadscope-reorder, Makefile) hands whole modules to
# the workers in collection order, so a long module handed out last would leave the other worker
# idle while it runs. (Without --no-loadscope-reorder, xdist orders modules by their number of
# tests, which put a one-test module of six refreshes last.)
LONGEST_MODULES_FIRST = (
    "test_incremental_sessions.py",
    "test_observability.py",
    "test_dated_relationship_tests.py",
    "test_kafka_ingest.py",
    "test_export_readers.py",
    "test_crash_recovery.py",
    "test_exports.py",
    "test_user_data.py",
    "test_generated_sample_invariants.py",
    "test_bad_inputs.py",
    "test_benchmark_smoke.py",
    "test_file_quarantine.py",
    "test_benchmark_scale.py",
    "test_history_bound.py",
    "test_disk_full.py",
    "test_inflate_history.py",
    "test_enrichment.py",
)


def module_rank(item: pytest.Item) -> int:
    """The place of the item's module among LONGEST_MODULES_FIRST (the others after, as collected)."""
    name = item.path.name
    return LONGEST_MODULES_FIRST.index(name) if name in LONGEST_MODULES_FIRST else len(LONGEST_MODULES_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that drives chromium (it uses the `browser` fixture, directly or through
    `page`) with `browser`; run the longest modules first (LONGEST_MODULES_FIRST) and the tests
    that stop the session's Spark cluster (shared_cluster_to_stop) last."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
    items.sort(key=module_rank)  # stable: a module's tests keep their order
    stopping = [item for item in items if "shared_cluster_to_stop" in getattr(item, "fixturenames", ())]
    if stopping:
        items[:] = [item for item in items if item not in stopping] + stopping
