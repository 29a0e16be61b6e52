"""The relationship data tests that read only part of the other table (relationships_on_date,
has_child_rows with dates, tests/generic/): they still fail on the broken links they exist to
catch, and the SQL they run bounds the other table by a date literal (so a daily refresh's tests
do not grow with history)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import Pipeline, run_dbt
from test_incremental_sessions import DAY1, land_two_days, session_id

from clickstream.paths import PipelinePaths

DATED_TESTS = {
    "page_views": "fct_page_views__event_is_in_fct_events",
    "duplicates": "duplicate_events__kept_copy_is_in_fct_events",
    "sessions": "fct_sessions__every_session_has_events",
    "event_sessions": "fct_events__session_is_in_fct_sessions",
    "event_bot_flags": "fct_events__is_bot_is_the_sessions",
    "page_view_sessions": "fct_page_views__session_is_in_fct_sessions",
    "page_view_human_sessions": "fct_page_views__human_sessions_only",
}
U1_SESSION = session_id("u1", "a1")  # a1 (page view), a2 (click) on DAY1


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """Two landing days refreshed one by one (page views, a duplicate, sessions across days)."""

    base = tmp_path_factory.mktemp("dated")
    pipeline = Pipeline(PipelinePaths(base / "raw", base / "warehouse" / "w.duckdb", base / "exports"))
    land_two_days(pipeline)
    assert pipeline.refresh() == 0
    return pipeline


def run_dated_tests(
    built: Pipeline, tmp_path: Path, names: list[str], corruption: str | None
) -> tuple[int, list[str], str]:
    """Copy the built warehouse, apply `corruption` (SQL) to the copy, run the named dated tests on
    it with plain `dbt test`; returns (exit code, the tests' compiled SQL, dbt's output)."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built.paths.warehouse, warehouse)
    if corruption:
        with duckdb.connect(str(warehouse)) as con:
            con.execute(corruption)
    copy = PipelinePaths(built.paths.raw_root, warehouse, built.paths.export_root)
    result = run_dbt(copy, "test", "--select", *(DATED_TESTS[name] for name in names), work_dir=tmp_path)
    target = tmp_path / "target"
    compiled = [path.read_text() for path in (target / "compiled").rglob("*.sql")]
    assert len(compiled) == len(names), result.stdout[-3000:]
    return result.returncode, compiled, result.stdout


def test_the_dated_relationship_tests_pass_on_intact_tables_and_bound_the_other_table_by_date(
    built: Pipeline, tmp_path: Path
) -> None:
    code, compiled, output = run_dated_tests(built, tmp_path, sorted(DATED_TESTS), None)
    assert code == 0, output[-3000:]
    # the earliest tested date, as a literal the engine can prune on
    assert all(f">= date '{DAY1}'" in sql for sql in compiled)


@pytest.mark.parametrize(
    ("name", "corruption"),
    [
        ("page_views", "delete from main.fct_events where event_id = 'a1'"),
        # the event exists, but on another day than its page view says
        ("page_views", "update main.fct_events set event_date = event_date + 1 where event_id = 'a3'"),
        # a2's kept copy is in fct_events, but not as landed on the duplicate's kept_dt
        ("duplicates", "update main.fct_events set dt = dt + 1 where event_id = 'a2'"),
        ("sessions", f"delete from main.fct_events where session_id = '{session_id('u5', 'x0')}'"),
        ("event_sessions", f"delete from main.fct_sessions where session_id = '{U1_SESSION}'"),
        # the session's last landing day before its events' landing day
        ("event_sessions", f"update main.fct_sessions set last_dt = last_dt - 5 where session_id = '{U1_SESSION}'"),
        ("event_bot_flags", f"update main.fct_sessions set is_bot = not is_bot where session_id = '{U1_SESSION}'"),
        ("page_view_sessions", f"delete from main.fct_sessions where session_id = '{U1_SESSION}'"),
        # the session ends before its page view's day
        (
            "page_view_sessions",
            f"update main.fct_sessions set session_end = session_end - interval 2 day where session_id = '{U1_SESSION}'",
        ),
        ("page_view_human_sessions", f"update main.fct_sessions set is_bot = true where session_id = '{U1_SESSION}'"),
    ],
    ids=[
        "page_view_without_event",
        "page_view_event_on_another_day",
        "duplicate_kept_copy_moved",
        "session_without_events",
        "event_without_session",
        "event_session_dated_too_early",
        "event_bot_flag_differs_from_session",
        "page_view_without_session",
        "page_view_session_ends_too_early",
        "page_view_of_a_bot_session",
    ],
)
def test_a_dated_relationship_test_fails_on_the_broken_link_it_guards(
    built: Pipeline, tmp_path: Path, name: str, corruption: str
) -> None:
    code, _, output = run_dated_tests(built, tmp_path, [name], corruption)
    assert code == 1 and "Failure in test" in output, output[-3000:]


def test_dated_tests_compile_before_the_warehouse_is_built(tmp_path: Path) -> None:
    """`dbt compile` (and `dbt docs generate`) on a warehouse not built yet: the dated tests do not
    query it for their bound, they leave the other table unbounded."""
    paths = PipelinePaths(tmp_path / "raw", tmp_path / "empty.duckdb", tmp_path / "exports")
    result = run_dbt(paths, "compile", "--select", " ".join(DATED_TESTS.values()), work_dir=tmp_path)
    target = tmp_path / "target"
    assert result.returncode == 0, result.stdout[-3000:]
    compiled = [path.read_text() for path in (target / "compiled").rglob("*.sql")]
    assert len(compiled) == len(DATED_TESTS) and not any(">= date '" in sql for sql in compiled)
