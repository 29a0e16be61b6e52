"""One writer at a time (clickstream/pipeline/lock.py), with real processes on real landed data.

Every command runs as its own process (`python -m clickstream ...`) on paths under tmp_path. To
hold a refresh inside its dbt build for as long as a test needs, the dbt child gets a
`sitecustomize.py` (through PYTHONPATH) that, when $CLICKSTREAM_TEST_DBT_GATE is set and the
process is `dbt build`, writes `<gate>/dbt-build-<pid>` and waits until `<gate>/release` exists:
the tests wait on those files and on process exits, not on fixed sleeps.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from clickstream.paths import PROJECT_ROOT, PipelinePaths
from clickstream.pipeline.lock import current_holder, lock_path

GATE_SITECUSTOMIZE = """
import os, sys, time
gate = os.environ.get("CLICKSTREAM_TEST_DBT_GATE")
if gate and os.path.basename(sys.argv[0]) == "dbt" and sys.argv[1:2] == ["build"]:
    open(os.path.join(gate, f"dbt-build-{os.getpid()}"), "w").close()
    deadline = time.monotonic() + 300
    while not os.path.exists(os.path.join(gate, "release")) and time.monotonic() < deadline:
        time.sleep(0.05)
"""
FAST = ["--skip-tests", "--skip-freshness"]  # the lock is what is tested here, not the data tests


def wait_for(condition: Callable[[], object], what: str, timeout: float = 90.0) -> object:
    """Poll `condition` until it returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class Run:
    """A clickstream command running as its own process (own session: killable with its children)."""

    process: subprocess.Popen
    out: Path
    err: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait(self, timeout: float = 180.0) -> int:
        return self.process.wait(timeout=timeout)

    @property
    def stdout(self) -> str:
        return self.out.read_text()

    @property
    def stderr(self) -> str:
        return self.err.read_text()


@dataclass
class Sandbox:
    """A landing zone, warehouse and export root under tmp_path, and the processes run on them."""

    root: Path
    paths: PipelinePaths
    gate: Path
    site: Path
    runs: list[Run]

    def env(self, gated: bool) -> dict[str, str]:
        env = {**os.environ, **self.paths.environment(), "DO_NOT_TRACK": "1"}
        env.pop("CLICKSTREAM_TEST_DBT_GATE", None)
        if gated:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self.site), env.get("PYTHONPATH")]))
            env["CLICKSTREAM_TEST_DBT_GATE"] = str(self.gate)
        return env

    def start(self, *arguments: str, gated: bool = False) -> Run:
        """Start `clickstream <arguments>`; gated: its dbt builds wait for release()."""
        n = len(self.runs)
        out, err = self.root / f"run{n}.out", self.root / f"run{n}.err"
        with open(out, "w") as stdout, open(err, "w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "clickstream", *arguments],
                cwd=PROJECT_ROOT,
                env=self.env(gated),
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
        run = Run(process, out, err)
        self.runs.append(run)
        return run

    def run(self, *arguments: str, timeout: float = 180.0) -> Run:
        run = self.start(*arguments)
        run.wait(timeout)
        return run

    def dbt_builds(self) -> list[int]:
        """PIDs of the gated dbt builds that reached the gate."""
        return [int(p.name.removeprefix("dbt-build-")) for p in self.gate.glob("dbt-build-*")]

    def wait_for_gated_build(self, refresh: Run) -> int:
        """Wait until the refresh's dbt build waits at the gate; returns the dbt PID."""

        def reached() -> list[int]:
            if refresh.process.poll() is not None:
                pytest.fail(f"the refresh exited {refresh.process.returncode} early:\n{refresh.stderr}")
            return self.dbt_builds()

        return wait_for(reached, "the refresh's dbt build to start")[0]

    def release(self) -> None:
        (self.gate / "release").touch()

    def generate(self, start: str, days: int = 1) -> None:
        run = self.run("generate", "--start-date", start, "--days", str(days), "--events-per-day", "40", "--seed", "7")
        assert run.process.returncode == 0, run.stderr

    def audit_runs(self) -> list[tuple]:
        with duckdb.connect(str(self.paths.warehouse), read_only=True) as con:
            return con.execute(
                "select run_id, status, error_message from audit.refresh_runs order by started_at"
            ).fetchall()

    def kill_all(self) -> None:
        """SIGKILL every process group these tests started (each command and its children)."""
        for run in self.runs:
            try:
                os.killpg(run.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                run.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


def make_sandbox(root: Path) -> Sandbox:
    root.mkdir(parents=True, exist_ok=True)
    site, gate = root / "gate_site", root / "gate"
    site.mkdir(exist_ok=True)
    gate.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(GATE_SITECUSTOMIZE)
    paths = PipelinePaths(
        raw_root=root / "raw", warehouse=root / "warehouse" / "clickstream.duckdb", export_root=root / "exports"
    )
    return Sandbox(root, paths, gate, site, [])


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """A sandbox with one landed day (2024-03-01) and no warehouse yet."""
    box = make_sandbox(tmp_path / "box")
    try:
        box.generate("2024-03-01")
        yield box
    finally:
        box.kill_all()


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sandbox whose one landed day is refreshed and exported (built once, copied per test)."""
    box = make_sandbox(tmp_path_factory.mktemp("refreshed") / "box")
    try:
        box.generate("2024-03-01")
        run = box.run("refresh", *FAST)
        assert run.process.returncode == 0, run.stderr
    finally:
        box.kill_all()
    return box.root


@pytest.fixture
def refreshed_sandbox(refreshed: Path, tmp_path: Path) -> Iterator[Sandbox]:
    """A copy of `refreshed` of its own, with a second landed day (2024-03-02) not processed yet."""
    shutil.copytree(refreshed, tmp_path / "box", ignore=shutil.ignore_patterns("run*.out", "run*.err"))
    box = make_sandbox(tmp_path / "box")
    try:
        box.generate("2024-03-02")
        yield box
    finally:
        box.kill_all()


def assert_refused(run: Run, holder_pid: int) -> None:
    assert run.process.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    assert f"PID {holder_pid}" in run.stderr, run.stderr
    assert f"kill {holder_pid}" in run.stderr, run.stderr
    assert "resumes where a stopped run left off" in run.stderr, run.stderr


def test_two_refreshes_started_together_one_succeeds_the_other_exits_2_at_once(sandbox: Sandbox) -> None:
    first, second = sandbox.start("refresh", *FAST, gated=True), sandbox.start("refresh", *FAST, gated=True)
    loser = wait_for(
        lambda: next((r for r in (first, second) if r.process.poll() is not None), None), "one refresh to exit"
    )
    winner = second if loser is first else first
    # The loser is out while the winner still waits inside its dbt build: well before it finishes.
    sandbox.wait_for_gated_build(winner)
    assert winner.process.poll() is None
    assert_refused(loser, winner.pid)
    assert "`clickstream refresh`" in loser.stderr and "since" in loser.stderr
    assert len(sandbox.dbt_builds()) == 1  # the refused one never started dbt
    sandbox.release()
    assert winner.wait() == 0, winner.stderr
    runs = sandbox.audit_runs()
    assert [status for _, status, _ in runs] == ["success"], runs  # the refused one wrote no row
    assert not lock_path(sandbox.paths.warehouse).exists()


def test_export_and_docs_are_refused_and_report_exits_2_without_exports_during_a_first_refresh(
    sandbox: Sandbox,
) -> None:
    refresh = sandbox.start("refresh", *FAST, gated=True)
    sandbox.wait_for_gated_build(refresh)
    export = sandbox.run("export", timeout=60)
    assert_refused(export, refresh.pid)
    assert not sandbox.paths.export_root.exists()
    docs = sandbox.run("docs", timeout=60)  # refused before dbt docs generate writes anything
    assert_refused(docs, refresh.pid)
    assert "cannot build the docs now" in docs.stderr
    report = sandbox.run("report", "--output", str(sandbox.root / "report.html"), timeout=60)
    assert report.process.returncode == 2, report.stderr
    assert "Traceback" not in report.stderr
    assert f"a refresh (PID {refresh.pid}, since" in report.stderr
    assert "no published state" in report.stderr and "again when it has finished" in report.stderr
    assert refresh.process.poll() is None


def summary_values(page: str) -> dict[str, str]:
    return {html.unescape(k): html.unescape(v) for k, v in re.findall(r"<li>([^<]+)<b>([^<]+)</b></li>", page)}


def exported_counts(export_root: Path) -> dict[str, int]:
    with duckdb.connect() as con:
        events, users = con.execute(
            "select count(*), count(distinct user_id) from read_parquet(?, hive_partitioning = true)",
            [str(export_root / "fct_events" / "*" / "*.parquet")],
        ).fetchone()
        sessions = con.execute(
            "select count(*) from read_parquet(?)", [str(export_root / "fct_sessions" / "*" / "*.parquet")]
        ).fetchone()[0]
    return {"events": events, "users": users, "sessions": sessions}


def test_report_during_a_refresh_shows_the_last_exported_state_with_a_banner(refreshed_sandbox: Sandbox) -> None:
    box = refreshed_sandbox
    refresh = box.start("refresh", *FAST, gated=True)
    box.wait_for_gated_build(refresh)
    output = box.root / "report.html"
    report = box.run("report", "--output", str(output), timeout=90)
    assert report.process.returncode == 0, report.stderr
    assert "Traceback" not in report.stderr
    expected_banner = f"a refresh (PID {refresh.pid}, since "
    assert expected_banner in report.stdout and "this report shows the last exported state (as of" in report.stdout
    page = output.read_text()
    banner = re.search(r'<p class="banner" id="published-state" role="status">([^<]*)</p>', page)
    assert banner, page[:2000]
    assert page.index(banner.group(0)) < page.index("<h1>")  # at the top of the page
    assert expected_banner in html.unescape(banner.group(1))
    counts = exported_counts(box.paths.export_root)
    summary = summary_values(page)
    # the exports hold bots too (flagged): the report's bot-inclusive figures
    assert summary["events kept, bots included"] == f"{counts['events']:,}"
    assert summary["users, bots included"] == f"{counts['users']:,}"
    assert summary["sessions, bots included"] == f"{counts['sessions']:,}"
    assert summary["landing days processed"] == "1 (2024-03-01 .. 2024-03-01)"  # the snapshot, not day 2
    assert counts["events"] > 0
    assert refresh.process.poll() is None  # the refresh was never disturbed


def test_stale_lock_of_a_sigkilled_refresh_is_taken_over_and_its_run_marked_interrupted(sandbox: Sandbox) -> None:
    killed = sandbox.start("refresh", *FAST, gated=True)
    sandbox.wait_for_gated_build(killed)
    os.killpg(killed.pid, signal.SIGKILL)  # the refresh and its dbt child, as a crash would
    killed.wait(30)
    assert lock_path(sandbox.paths.warehouse).exists()  # left behind, its flock free ...
    # ... once the killed dbt child has exited too (the kernel frees its descriptors as it exits,
    # which can take a moment after its parent is reaped on a busy machine)
    wait_for(lambda: current_holder(sandbox.paths.warehouse) is None, "the killed refresh's processes to exit", 30)
    [(killed_run, status, _)] = sandbox.audit_runs()
    assert status == "running"
    after = sandbox.run("refresh", *FAST)
    assert after.process.returncode == 0, after.stderr
    assert f"stale lock from PID {killed.pid} (no longer running) taken over" in after.stderr
    runs = {run_id: (status, message) for run_id, status, message in sandbox.audit_runs()}
    assert runs.pop(killed_run)[0] == "interrupted"
    assert [status for status, _ in runs.values()] == ["success"]
    assert not lock_path(sandbox.paths.warehouse).exists()


def test_dbt_child_keeps_the_lock_after_its_parent_refresh_is_sigkilled(sandbox: Sandbox) -> None:
    parent = sandbox.start("refresh", *FAST, gated=True)
    dbt_pid = sandbox.wait_for_gated_build(parent)
    os.kill(parent.pid, signal.SIGKILL)  # only the parent: its dbt child still runs
    parent.wait(30)
    refused = sandbox.run("refresh", *FAST, timeout=60)
    assert refused.process.returncode == 2, refused.stderr
    assert "Traceback" not in refused.stderr
    assert f"PID {parent.pid}" in refused.stderr and "no longer running" in refused.stderr
    assert f"PID {dbt_pid}" in refused.stderr and f"kill {dbt_pid}" in refused.stderr
    assert len(sandbox.audit_runs()) == 1  # the refused run wrote nothing
    os.kill(dbt_pid, signal.SIGKILL)  # the child exits: the lock goes with it
    wait_for(lambda: current_holder(sandbox.paths.warehouse) is None, "the dbt child to release the lock", 30)
    after = sandbox.run("refresh", *FAST)
    assert after.process.returncode == 0, after.stderr
    assert f"stale lock from PID {parent.pid} (no longer running) taken over" in after.stderr
    assert sorted(status for _, status, _ in sandbox.audit_runs()) == ["interrupted", "success"]


def test_a_warehouse_file_held_outside_the_lock_is_named_and_the_report_reads_the_exports(
    refreshed_sandbox: Sandbox,
) -> None:
    box = refreshed_sandbox
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, duckdb; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(120)",
            str(box.paths.warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        refresh = box.run("refresh", *FAST, timeout=60)
        assert refresh.process.returncode == 2, refresh.stderr
        assert "Traceback" not in refresh.stderr
        assert f"PID {holder.pid}" in refresh.stderr and f"kill {holder.pid}" in refresh.stderr
        assert not lock_path(box.paths.warehouse).exists()  # released on the way out
        report = box.run("report", "--output", str(box.root / "report.html"), timeout=90)
        assert report.process.returncode == 0, report.stderr
        assert f"PID {holder.pid}) has the warehouse file open" in report.stdout
        assert "this report shows the last exported state" in report.stdout
    finally:
        holder.kill()
        holder.wait()
    assert [status for _, status, _ in box.audit_runs()] == ["success"]  # the refused refresh wrote no row


def test_kill_pid_as_advised_stops_the_refresh_and_its_dbt_child_and_releases_the_lock(sandbox: Sandbox) -> None:
    refresh = sandbox.start("refresh", *FAST, gated=True)
    dbt_pid = sandbox.wait_for_gated_build(refresh)
    os.kill(refresh.pid, signal.SIGTERM)  # what the refusal message advises: kill PID
    assert refresh.wait(60) == 128 + signal.SIGTERM, refresh.stderr
    assert "Traceback" not in refresh.stderr
    assert "stopped by SIGTERM" in refresh.stderr and "resumes where a stopped run left off" in refresh.stderr
    assert not lock_path(sandbox.paths.warehouse).exists()  # released on the way out, dbt child included
    assert not Path(f"/proc/{dbt_pid}/cmdline").exists() or not Path(f"/proc/{dbt_pid}/cmdline").read_bytes()
    [(_, status, message)] = sandbox.audit_runs()
    assert status == "interrupted" and "SIGTERM" in message
