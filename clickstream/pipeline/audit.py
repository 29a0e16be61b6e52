"""The run audit: every refresh records itself in the warehouse's `audit` schema.

- ``audit.refresh_runs``: one row per refresh (id, start, end, status, mode, landing days,
  command, dbt invocation ids, versions, freshness, error message);
- ``audit.refresh_run_days``: one row per landing day a refresh processed (files, lines, blank,
  quarantined per reason, duplicates, valid events, sessions inserted / updated / deleted,
  export partitions written, seconds of the dbt build and of the export);
- ``audit.refresh_run_steps``: one row per dbt node (model, test, seed, ...) of every dbt
  invocation, from dbt's own run_results.json (status, seconds, rows affected, failures, and
  where failing rows are stored), plus the export step.

Failed runs are recorded too. The writes open the warehouse briefly between dbt invocations
(DuckDB allows one writing process at a time); another process holding the file raises
``WarehouseBusy`` (clickstream/pipeline/warehouse.py), naming it, instead of DuckDB's IOException.

A refresh runs under the warehouse lock (clickstream/pipeline/lock.py), so when one starts, a row
still at status ``running`` belongs to a run that died without recording its end (killed, out of
memory, power loss): ``start()`` marks such rows ``interrupted``.
"""

from __future__ import annotations

import json
import logging
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import duckdb

from clickstream.pipeline.contract import quarantine_reasons
from clickstream.pipeline.warehouse import connect_duckdb

LOG = logging.getLogger("clickstream.audit")
INTERRUPTED = "interrupted"

DDL_TEMPLATE = """
create schema if not exists audit;
create table if not exists audit.refresh_runs (
    run_id varchar primary key,
    started_at timestamp not null,
    ended_at timestamp,
    status varchar not null,
    mode varchar not null,
    landing_days varchar,
    command varchar,
    dbt_invocation_ids varchar,
    versions json,
    freshness json,
    error_message varchar,
    seconds double
);
create table if not exists audit.refresh_run_days (
    run_id varchar not null,
    dt date not null,
    file_count bigint,
    lines_read bigint,
    blank_lines bigint,
    quarantined_lines bigint,
    {reason_columns}
    duplicate_lines bigint,
    valid_events bigint,
    sessions_inserted bigint,
    sessions_updated bigint,
    sessions_deleted bigint,
    export_partitions_written bigint,
    dbt_seconds double,
    export_seconds double
);
create table if not exists audit.refresh_run_steps (
    run_id varchar not null,
    dbt_invocation_id varchar,
    step varchar not null,
    node_id varchar,
    status varchar,
    seconds double,
    rows_affected bigint,
    failures bigint,
    failing_rows_relation varchar,
    message varchar
);
"""


def audit_ddl() -> str:
    """The audit schema's DDL: one <reason>_lines column per quarantine reason (the
    quarantine_reasons seed), also added to an audit table created before the reason existed."""
    reasons = quarantine_reasons()
    columns = "\n    ".join(f"{reason}_lines bigint," for reason in reasons)
    added = "".join(
        f"alter table audit.refresh_run_days add column if not exists {reason}_lines bigint;\n" for reason in reasons
    )
    return DDL_TEMPLATE.format(reason_columns=columns) + added


def utc_now() -> datetime:
    """The current UTC time as a naive timestamp (the warehouse stores UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def versions(project_root: Path) -> dict[str, str]:
    """Versions of Python, the key packages and the project's git commit."""
    found = {"python": platform.python_version()}
    for package in ("duckdb", "dbt-core", "dbt-duckdb"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    try:
        found["clickstream_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=project_root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        found["clickstream_commit"] = "unknown"
    return found


class RunAudit:
    """Writes one refresh's audit rows; each call opens and closes the warehouse."""

    def __init__(self, warehouse: Path, run_id: str, mode: str, project_root: Path) -> None:
        self.warehouse = warehouse
        self.run_id = run_id
        self.mode = mode
        self.project_root = project_root
        self.started_at = utc_now()
        self.invocations: list[str] = []
        self.recorded = False  # True once start() wrote the run's row (finish() needs it)

    def _connect(self) -> duckdb.DuckDBPyConnection:
        con = connect_duckdb(self.warehouse, read_only=False)
        con.execute(audit_ddl())
        return con

    def start(self, landing_days: list[str]) -> None:
        """Record the run as running. The caller holds the warehouse lock: rows of earlier runs
        still at `running` are of runs that died, and are marked `interrupted` first."""
        with self._connect() as con:
            interrupted = con.execute(
                "update audit.refresh_runs set status = ?, error_message = coalesce(error_message, ?) "
                "where status = 'running' and run_id <> ? returning run_id, started_at",
                [
                    INTERRUPTED,
                    f"the run stopped before recording its end (killed?); marked by run {self.run_id}",
                    self.run_id,
                ],
            ).fetchall()
            for run_id, started_at in interrupted:
                LOG.warning(
                    "refresh run %s (started %s UTC) was interrupted: marked %s", run_id, started_at, INTERRUPTED
                )
            con.execute(
                "insert into audit.refresh_runs (run_id, started_at, status, mode, landing_days, command, versions) "
                "values (?, ?, 'running', ?, ?, ?, ?)",
                [
                    self.run_id,
                    self.started_at,
                    self.mode,
                    ",".join(landing_days),
                    " ".join(sys.argv),
                    json.dumps(versions(self.project_root)),
                ],
            )
        self.recorded = True

    def set_landing_days(self, landing_days: list[str]) -> None:
        with self._connect() as con:
            con.execute(
                "update audit.refresh_runs set landing_days = ? where run_id = ?", [",".join(landing_days), self.run_id]
            )

    def record_dbt_invocation(self, run_results_path: Path, step_label: str) -> None:
        """One audit step row per node of a dbt invocation (from its run_results.json)."""
        try:
            results = json.loads(run_results_path.read_text())
        except (OSError, ValueError):
            return
        invocation_id = results.get("metadata", {}).get("invocation_id")
        if invocation_id:
            self.invocations.append(invocation_id)
        rows = []
        for node in results.get("results", []):
            response = node.get("adapter_response") or {}
            rows.append(
                [
                    self.run_id,
                    invocation_id,
                    step_label,
                    node.get("unique_id"),
                    node.get("status"),
                    node.get("execution_time"),
                    response.get("rows_affected"),
                    node.get("failures"),
                    node.get("relation_name") if node.get("unique_id", "").startswith("test.") else None,
                    (node.get("message") or "")[:2000],
                ]
            )
        if rows:
            # one statement for all the nodes: executemany() costs a round trip per row
            placeholders = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(rows))
            with self._connect() as con:
                con.execute(
                    f"insert into audit.refresh_run_steps values {placeholders}", [v for row in rows for v in row]
                )

    def record_step(self, step_label: str, status: str, seconds: float, message: str = "") -> None:
        with self._connect() as con:
            con.execute(
                "insert into audit.refresh_run_steps (run_id, step, status, seconds, message) values (?, ?, ?, ?, ?)",
                [self.run_id, step_label, status, seconds, message],
            )

    def record_day(self, dt: str, counts: dict[str, float]) -> None:
        with self._connect() as con:
            columns = [c[0] for c in con.execute("describe audit.refresh_run_days").fetchall()]
            values = [self.run_id, dt] + [counts.get(c) for c in columns[2:]]
            con.execute(f"insert into audit.refresh_run_days values ({', '.join('?' for _ in columns)})", values)

    def finish(self, status: str, error_message: str | None = None, freshness: dict | None = None) -> None:
        """Record the run's end; nothing when start() never wrote its row."""
        if not self.recorded:
            return
        ended = utc_now()
        with self._connect() as con:
            con.execute(
                "update audit.refresh_runs set ended_at = ?, status = ?, error_message = ?, freshness = ?, "
                "dbt_invocation_ids = ?, seconds = ? where run_id = ?",
                [
                    ended,
                    status,
                    error_message,
                    json.dumps(freshness) if freshness is not None else None,
                    ",".join(self.invocations),
                    (ended - self.started_at).total_seconds(),
                    self.run_id,
                ],
            )
