"""Seeds are loaded when they change, not at every refresh.

The seeds (``seeds/``: event types, quarantine reasons, referrer domains, user-agent patterns)
are the same from one refresh to the next almost always, yet a dbt build would reload each of
them and run their own data tests every time: 11 dbt nodes, about 1 s of node time on DuckDB and
9 s on Spark, for rows that cannot have changed. A refresh therefore leaves them out of its build
when the warehouse already holds them as they are now:

- the seed fingerprint (seed_fingerprint(): every file under ``seeds/``, ``dbt_project.yml``
  and dbt's version) equals the one recorded in ``audit.seed_loads`` for the target by the last
  build that loaded them and succeeded, and
- every seed table is still there (a Spark warehouse can be dropped without the local audit).

Otherwise, and in every full refresh, the build loads them, and the fingerprint is recorded
after it succeeds (the record is removed before, so a build that fails half-way through a load
is never taken for a complete one). Leaving the seeds out uses dbt's cautious indirect selection
(``--indirect-selection cautious --exclude resource_type:seed``): the seeds' own tests go with
them, while the tests of models that refer to a seed (relationships to quarantine_reasons, ...)
still run.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import duckdb

from clickstream.paths import PROJECT_ROOT, PipelinePaths
from clickstream.pipeline.warehouse import connect_duckdb, open_warehouse

LOG = logging.getLogger(__name__)

SEEDS_SCHEMA = "main"  # dbt_project.yml: seeds +schema
STATE_DDL = """
create schema if not exists audit;
create table if not exists audit.seed_loads (
    target varchar primary key,
    fingerprint varchar not null,
    run_id varchar,
    loaded_at timestamp default current_timestamp
);
"""


def seed_fingerprint(project_root: Path = PROJECT_ROOT) -> str:
    """A hash of what a seed load depends on: every file under seeds/ (the CSVs and their
    properties), dbt_project.yml (seed configs) and dbt-core's version."""
    digest = hashlib.sha256(metadata.version("dbt-core").encode() + b"\0")
    seeds = project_root / "seeds"
    files = [*sorted(path for path in seeds.rglob("*") if path.is_file()), project_root / "dbt_project.yml"]
    for file in files:
        digest.update(str(file.relative_to(project_root)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def seed_tables(project_root: Path = PROJECT_ROOT) -> list[str]:
    """The seed tables' names (the CSV files' stems: no seed has an alias)."""
    return sorted(path.stem for path in (project_root / "seeds").rglob("*.csv"))


def recorded_fingerprint(paths: PipelinePaths, target: str) -> str | None:
    """The fingerprint of the target's last completed seed load, None without one."""
    if not paths.warehouse.exists():
        return None
    with seed_loads(paths) as con:
        row = con.execute("select fingerprint from audit.seed_loads where target = ?", [target]).fetchone()
    return row[0] if row else None


def seeds_current(paths: PipelinePaths, target: str, fingerprint: str) -> bool:
    """Whether the warehouse holds the seeds as they are now (see the module's docstring)."""
    if recorded_fingerprint(paths, target) != fingerprint:
        return False
    with open_warehouse(target, paths.warehouse) as wh:
        present = wh.table_names(SEEDS_SCHEMA)
    missing = [table for table in seed_tables() if table not in present]
    if missing:
        LOG.info("seed tables missing (%s): the build loads the seeds", ", ".join(missing))
        return False
    return True


def forget_seed_load(paths: PipelinePaths, target: str) -> None:
    """Remove the target's record before a build that loads the seeds."""
    with seed_loads(paths) as con:
        con.execute("delete from audit.seed_loads where target = ?", [target])


def record_seed_load(paths: PipelinePaths, target: str, fingerprint: str, run_id: str) -> None:
    """Record that the target's seeds were loaded from `fingerprint` by a build that succeeded."""
    with seed_loads(paths) as con:
        con.execute(
            "insert or replace into audit.seed_loads (target, fingerprint, run_id) values (?, ?, ?)",
            [target, fingerprint, run_id],
        )


@contextlib.contextmanager
def seed_loads(paths: PipelinePaths) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection to the warehouse file that holds the audit, audit.seed_loads created."""
    with connect_duckdb(paths.warehouse, read_only=False) as con:
        con.execute(STATE_DDL)
        yield con
