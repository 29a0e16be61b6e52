"""What the last dbt run changed: the one interface through which the Python side (refresh
summaries, the run audit, the Parquet export) reads a run's batch-scoped intermediate tables.

Those tables are rebuilt by every run and describe that run only (models/intermediate/):

- ``int_refresh_changed_partitions``: the export partitions (table, date) the run can have
  changed -> ``changed_partitions()``;
- ``int_export_requests`` (kept across runs, append-only): every build's changed partitions,
  numbered, recorded before any exported mart changes -> ``export_requests()``, the export's work
  list after the last request it finished;
- ``int_sessions_rebuilt``: the sessions the run wrote (inserted or rewritten), with the landing
  day of their first event -> ``sessions_written()``, ``sessions_by_first_day()``;
- ``int_sessions_replaced``: the stored sessions the run deleted before writing its own ->
  ``session_changes()``.

Portable SQL: the warehouse is DuckDB or Spark (clickstream/pipeline/warehouse.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clickstream.pipeline.warehouse import Warehouse

CHANGED_PARTITIONS = "intermediate.int_refresh_changed_partitions"
SESSIONS_REBUILT = "intermediate.int_sessions_rebuilt"
SESSIONS_REPLACED = "intermediate.int_sessions_replaced"
EXPORT_REQUESTS = "intermediate.int_export_requests"


@dataclass(frozen=True)
class SessionChanges:
    """How one run changed fct_sessions."""

    inserted: int
    updated: int
    deleted: int


@dataclass(frozen=True)
class ExportRequests:
    """The export partitions requested after a given request (int_export_requests)."""

    # The newest request (request_id, dbt_invocation_id), or None when there is none.
    newest: tuple[int, str] | None
    # Tables asked for whole (every partition rewritten, partitions no longer held removed).
    whole_tables: frozenset[str]
    # (table, date) partitions asked for.
    partitions: tuple[tuple[str, date], ...]
    # Whether the requests before `after` could not be told apart (unknown request, or no list).
    from_scratch: bool

    @property
    def empty(self) -> bool:
        return not self.whole_tables and not self.partitions


def export_requests(wh: Warehouse, after: tuple[int, str] | None) -> ExportRequests | None:
    """The export requests after `after` (the (request_id, dbt_invocation_id) the last export
    finished), or every request when `after` is None or is not in the list (a rebuilt or another
    warehouse). None when the warehouse has no request list yet (built before it existed)."""
    schema, table = EXPORT_REQUESTS.split(".")
    if not wh.table_exists(schema, table):
        return None
    from_scratch = after is None
    after_id = 0
    if after is not None:
        request_id, invocation = int(after[0]), str(after[1]).replace("'", "''")
        [(known,)] = wh.query(
            f"select count(*) from {EXPORT_REQUESTS} where request_id = {request_id} and dbt_invocation_id = '{invocation}'"
        )
        from_scratch = int(known) == 0
        after_id = 0 if from_scratch else request_id
    rows = wh.query(
        f"select request_id, dbt_invocation_id, table_name, cast(partition_date as string) from {EXPORT_REQUESTS} "
        f"where request_id > {after_id} order by request_id, table_name, partition_date"
    )
    newest = (int(rows[-1][0]), str(rows[-1][1])) if rows else (None if from_scratch else after)
    whole = frozenset(name for _, _, name, day in rows if day is None)
    partitions = sorted({(name, date.fromisoformat(day)) for _, _, name, day in rows if day is not None})
    return ExportRequests(newest, whole, tuple(partitions), from_scratch)


def changed_partitions(wh: Warehouse) -> list[tuple[str, date]]:
    """(table, date) partitions the last run can have changed, sorted; [] before the first run."""
    schema, table = CHANGED_PARTITIONS.split(".")
    if not wh.table_exists(schema, table):
        return []
    rows = wh.query(
        f"select table_name, cast(partition_date as string) from {CHANGED_PARTITIONS} order by table_name, partition_date"
    )
    return [(name, date.fromisoformat(day)) for name, day in rows]


def sessions_written(wh: Warehouse) -> int:
    """Sessions the last run inserted or rewrote."""
    [(count,)] = wh.query(f"select count(*) from {SESSIONS_REBUILT}")
    return int(count)


def sessions_by_first_day(wh: Warehouse) -> dict[str, int]:
    """Sessions the last run wrote, per landing day (YYYY-MM-DD) of their first event: what a
    full refresh attributes to each day."""
    rows = wh.query(f"select cast(first_dt as string), count(*) from {SESSIONS_REBUILT} group by first_dt")
    return {day: int(count) for day, count in rows}


def session_changes(wh: Warehouse) -> SessionChanges:
    """Sessions the last run inserted (new ids), updated (ids it replaced and wrote again) and
    deleted (ids it replaced without writing them again, e.g. merged into another session)."""
    [(inserted, updated)] = wh.query(f"""
        select
            count(case when replaced.session_id is null then 1 end),
            count(case when replaced.session_id is not null then 1 end)
        from {SESSIONS_REBUILT} as rebuilt
        left join {SESSIONS_REPLACED} as replaced on rebuilt.session_id = replaced.session_id
    """)
    [(deleted,)] = wh.query(f"""
        select count(*)
        from {SESSIONS_REPLACED} as replaced
        left join {SESSIONS_REBUILT} as rebuilt on replaced.session_id = rebuilt.session_id
        where rebuilt.session_id is null
    """)
    return SessionChanges(int(inserted), int(updated), int(deleted))
