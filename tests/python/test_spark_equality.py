"""The same dbt project on a real local Spark cluster gives exactly DuckDB's tables.

One landing zone holds the pipeline tests' fixtures — every validation rule of
test_validation_rules.py (invalid UTF-8, blank lines, CRLF, gzip, an empty file, each quarantine
reason, duplicates, a 1 MB line), the sessionization cases of test_incremental_sessions.py (gap
ties, midnight, late events bridging stored sessions) and the unreadable files of
test_file_quarantine.py (truncated, corrupt and non-gzip .jsonl.gz, an empty .gz, a directory and
a FIFO named like raw files: quarantined whole, listed in quarantined_files) — plus a generated
sample over the same two landing days with every kind of noise, late arrivals, too-late sessions,
bots, channels, devices, IPv4/IPv6 and purchases (the enrichment cases). It is refreshed with
`clickstream refresh` day by day and then as a full refresh, on DuckDB and with
``--target spark_cluster`` on the session's cluster started by `clickstream spark` (conftest.py's
shared_cluster: master, one worker, Thrift server). fct_events, fct_sessions and quarantined_events
— and every other public table, quarantined_files and agg_ingest_daily's file counters included —
must be equal row for row, every column compared as text. To keep CI short, the Spark day-by-day
refresh builds the models without their data tests (``--skip-tests``); the Spark full refresh runs
every data and unit test (``--unit-tests``).

Skipped unless the optional Spark extra is installed (``make spark-setup``) and Java is on PATH.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed: the Spark extra is optional (make spark-setup)")
pytest.importorskip("pyhive", reason="PyHive is not installed: the Spark extra is optional (make spark-setup)")
if shutil.which("java") is None:
    pytest.skip("no java on PATH: Spark needs Java 17+", allow_module_level=True)

from conftest import COMPARED_TABLES, Pipeline, event
from spark_testing import Cluster
from test_file_quarantine import EXPECTED_DAY1, EXPECTED_DAY2, land_bad_files
from test_incremental_sessions import DAY2
from test_incremental_sessions import land_two_days as land_session_days
from test_validation_rules import DT, MAIN_LINES

from clickstream.paths import PipelinePaths

pytestmark = pytest.mark.spark

REQUIRED_EQUAL = ("fct_events", "fct_sessions", "quarantined_events")
# Columns left out of the comparison: none. (agg_ingest_daily.file_count was, while Spark's listing
# skipped empty files; the batch's files now come from the file check log on both engines.)
NOT_COMPARED: set[tuple[str, str]] = set()
# test_file_quarantine.py's unreadable files, landed on this zone's two days: (dt, name) -> reason.
QUARANTINED_FILES = {(DT, name): reason for name, reason in EXPECTED_DAY1.items()} | {
    (DAY2, name): reason for name, reason in EXPECTED_DAY2.items()
}


class PrefixedPipeline(Pipeline):
    """Lands a fixture's files under a name prefix, so several fixtures share one landing zone."""

    prefix: str = ""

    def land(self, dt: str, name: str, lines, **kwargs) -> Path:  # type: ignore[override]
        return super().land(dt, self.prefix + name, lines, **kwargs)


def land_fixtures(raw_root: Path) -> None:
    """Every pipeline-test fixture plus a noisy generated sample, into one landing zone."""
    generated = subprocess.run(
        [
            sys.executable,
            "-m",
            "clickstream",
            "generate",
            "--start-date",
            "2024-01-10",
            "--days",
            "2",
            "--events-per-day",
            "400",
            "--seed",
            "11",
            "--partitions",
            "2",
            "--users",
            "40",
            "--late-rate",
            "0.2",
            "--too-late-rate",
            "0.05",
            "--noise-scale",
            "10",
            "--gzip-every-nth-day",
            "2",
            "--crlf-every-nth-file",
            "2",
            "--raw-root",
            str(raw_root),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generated.returncode == 0, generated.stderr
    paths = PipelinePaths(raw_root, raw_root.parent / "unused.duckdb", raw_root.parent / "unused")
    rules = PrefixedPipeline(paths)
    rules.prefix = "rules-"
    rules.land(DT, "main.jsonl", [line for line, _ in MAIN_LINES])
    rules.land(
        DT,
        "b.jsonl",
        [event("e40", "u3", "2024-01-10T09:00:00Z"), event("e1", "u1", "2024-01-10T10:00:00Z", page_url="/from-b")],
        newline=b"\r\n",
    )
    rules.land(
        DT,
        "c.jsonl.gz",
        [
            event("e26", "u1", 1704880800000, page_url="/gz-copy"),
            b"\xff\xfe",
            event("e41", "u3", "2024-01-10T09:10:00Z"),
        ],
        compress=True,
    )
    rules.land(DT, "empty.jsonl", [])
    sessions = PrefixedPipeline(paths)
    sessions.prefix = "sessions-"
    land_session_days(sessions)
    land_bad_files(Pipeline(paths), DT, DAY2)


@pytest.fixture(scope="module")
def cluster(shared_cluster: Cluster) -> Cluster:
    """The session's cluster with an empty Spark warehouse: the day-by-day refresh takes the days
    already processed from the Spark tables (main.agg_ingest_daily), so it must not find another
    test's. The builds of this module then follow each other on it, each read right after it."""
    shared_cluster.drop_schemas()
    return shared_cluster


@pytest.fixture(scope="module")
def raw_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spark_equality") / "raw"
    land_fixtures(root)
    return root


def refresh(raw_root: Path, base: Path, *args: str, cluster: Cluster | None = None) -> Pipeline:
    pipeline = Pipeline(PipelinePaths(raw_root, base / "warehouse" / "clickstream.duckdb", base / "exports"))
    env = {"CLICKSTREAM_SPARK_THRIFT_PORT": str(cluster.ports["thrift"])} if cluster else {}
    target = ["--target", "spark_cluster"] if cluster else []
    # the fixtures make the first day larger than the others: no volume-drop alarm
    quiet = ["--vars", "{volume_drop_warn_ratio: 0, volume_drop_error_ratio: 0}"]
    code = pipeline.refresh(*target, *quiet, *args, env=env)
    log = base / "warehouse" / "last_dbt_build.log"
    if code != 0:
        dbt_log = log.read_text()[-8000:] if log.exists() else "refresh failed before dbt ran"
        pytest.fail(f"{dbt_log}\n\ncluster logs:\n{cluster.logs()}" if cluster else dbt_log)
    return pipeline


def duckdb_tables(pipeline: Pipeline) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every public table's columns and rows (each value as text, NULL as None), sorted."""
    out = {}
    for table in COMPARED_TABLES:
        columns = [
            c
            for (c,) in pipeline.query(
                "select column_name from information_schema.columns where table_schema = 'main' and table_name = ? "
                "order by ordinal_position",
                [table],
            )
            if (table, c) not in NOT_COMPARED
        ]
        select = ", ".join(f"cast({c} as varchar)" for c in columns)
        out[table] = (columns, sorted(pipeline.query(f"select {select} from main.{table}"), key=repr))
    return out


def spark_tables(cluster: Cluster, columns_by_table: dict[str, list[str]]) -> dict[str, tuple[list[str], list[tuple]]]:
    from clickstream.pipeline.warehouse import SparkWarehouse

    spark = SparkWarehouse("127.0.0.1", cluster.ports["thrift"])
    try:
        out = {}
        for table, columns in columns_by_table.items():
            select = ", ".join(f"cast({c} as string)" for c in columns)
            out[table] = (columns, sorted(spark.query(f"select {select} from main.{table}"), key=repr))
        return out
    finally:
        spark.close()


def differences(expected: dict, actual: dict) -> dict[str, list]:
    """Per table, up to 5 rows only in DuckDB (-) or only in Spark (+)."""
    found = {}
    for table, (columns, rows) in expected.items():
        mine, theirs = set(rows), set(actual[table][1])
        missing, extra = sorted(mine - theirs, key=repr)[:5], sorted(theirs - mine, key=repr)[:5]
        if missing or extra or len(rows) != len(actual[table][1]):
            found[table] = [("-", dict(zip(columns, r))) for r in missing] + [
                ("+", dict(zip(columns, r))) for r in extra
            ]
    return found


@pytest.fixture(scope="module")
def duckdb_daily(raw_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    return refresh(raw_root, tmp_path_factory.mktemp("duckdb_daily"))


@pytest.fixture(scope="module")
def duckdb_result(duckdb_daily: Pipeline) -> dict:
    return duckdb_tables(duckdb_daily)


@pytest.fixture(scope="module")
def spark_daily_pipeline(
    cluster: Cluster, raw_root: Path, duckdb_result: dict, tmp_path_factory: pytest.TempPathFactory
) -> Pipeline:
    return refresh(raw_root, tmp_path_factory.mktemp("spark_daily"), "--skip-tests", cluster=cluster)


@pytest.fixture(scope="module")
def spark_daily(cluster: Cluster, spark_daily_pipeline: Pipeline, duckdb_result: dict) -> dict:
    return spark_tables(cluster, {t: cols for t, (cols, _) in duckdb_result.items()})


def exported(export_root: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Per exported table: its files (relative paths) and its rows (columns by name, as text;
    the partition column from the directory names)."""
    import duckdb

    out = {}
    with duckdb.connect() as con:
        for table_dir in sorted(p for p in export_root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            files = sorted(str(f.relative_to(table_dir)) for f in table_dir.rglob("*") if f.is_file())
            scan = f"read_parquet('{table_dir}/**/*.parquet', hive_partitioning = true)"
            columns = sorted(con.sql(f"select * from {scan} limit 0").columns)
            select = ", ".join(f'cast("{c}" as varchar)' for c in columns)
            out[table_dir.name] = (files, sorted(con.sql(f"select {select} from {scan}").fetchall(), key=repr))
    return out


@pytest.fixture(scope="module")
def spark_full_pipeline(
    cluster: Cluster, raw_root: Path, spark_daily: dict, tmp_path_factory: pytest.TempPathFactory
) -> Pipeline:
    """A full refresh on Spark with every data and unit test, after the day-by-day result was read
    (it rebuilds the same tables)."""
    return refresh(raw_root, tmp_path_factory.mktemp("spark_full"), "--full-refresh", "--unit-tests", cluster=cluster)


@pytest.fixture(scope="module")
def spark_full(cluster: Cluster, spark_full_pipeline: Pipeline, duckdb_result: dict) -> dict:
    return spark_tables(cluster, {t: cols for t, (cols, _) in duckdb_result.items()})


def quarantined_files(tables: dict) -> dict[tuple[str, str], str]:
    """(dt, file_name) -> quarantine_reason of a result's quarantined_files."""
    columns, rows = tables["quarantined_files"]
    named = [dict(zip(columns, row)) for row in rows]
    return {(row["dt"], row["file_name"]): row["quarantine_reason"] for row in named}


def file_counters(tables: dict) -> dict[str, tuple[str, str]]:
    """dt -> (file_count, files_quarantined) of a result's agg_ingest_daily (as text)."""
    columns, rows = tables["agg_ingest_daily"]
    named = [dict(zip(columns, row)) for row in rows]
    return {row["dt"]: (row["file_count"], row["files_quarantined"]) for row in named}


def test_the_fixture_zone_exercises_every_outcome(duckdb_result: dict, raw_root: Path) -> None:
    columns, rows = duckdb_result["quarantined_events"]
    reasons = {row[columns.index("quarantine_reason")] for row in rows}
    assert reasons == {
        "invalid_encoding",
        "malformed_json",
        "invalid_field",
        "invalid_timestamp",
        "unknown_event_type",
        "future_event",
        "too_late",
    }
    assert len(duckdb_result["duplicate_events"][1]) > 0
    days = {row[0] for row in duckdb_result["agg_ingest_daily"][1]}
    assert len(days) == 2, days
    # file-level quarantine: every reason of test_file_quarantine.py's unreadable files
    assert quarantined_files(duckdb_result) == QUARANTINED_FILES
    assert set(QUARANTINED_FILES.values()) == {
        "truncated_gzip",
        "empty_gzip",
        "corrupt_gzip",
        "not_gzip",
        "not_a_regular_file",
    }
    landed = {dt: len(list((raw_root / "click_events" / f"dt={dt}").glob("*.jsonl*"))) for dt in (DT, DAY2)}
    bad = {dt: sum(day == dt for day, _ in QUARANTINED_FILES) for dt in (DT, DAY2)}
    assert file_counters(duckdb_result) == {dt: (str(landed[dt]), str(bad[dt])) for dt in (DT, DAY2)}


def test_spark_day_by_day_equals_duckdb(spark_daily: dict, duckdb_result: dict) -> None:
    diff = differences(duckdb_result, spark_daily)
    assert not {t: d for t, d in diff.items() if t in REQUIRED_EQUAL}, json.dumps(diff, indent=1, default=str)[:6000]
    assert not diff, json.dumps(diff, indent=1, default=str)[:6000]


def test_spark_full_refresh_equals_duckdb(spark_full: dict, duckdb_result: dict) -> None:
    diff = differences(duckdb_result, spark_full)
    assert not diff, json.dumps(diff, indent=1, default=str)[:6000]


def test_spark_quarantines_the_same_files_with_their_reasons_and_file_counters(
    spark_daily: dict, spark_full: dict, duckdb_result: dict
) -> None:
    """The unreadable files are quarantined whole on Spark too, day by day and in a full refresh:
    quarantined_files lists exactly them with their reasons and days, and agg_ingest_daily counts
    them (file_count, files_quarantined) as on DuckDB (the file check is the same Python step for
    both engines)."""
    for name, spark in (("day by day", spark_daily), ("full refresh", spark_full)):
        assert quarantined_files(spark) == QUARANTINED_FILES, name
        assert file_counters(spark) == file_counters(duckdb_result), name


def test_spark_writes_the_same_parquet_exports(
    spark_daily_pipeline: Pipeline, spark_full_pipeline: Pipeline, duckdb_daily: Pipeline
) -> None:
    """export_parquet.py on Spark (Spark writes each file) gives the same files, partition by
    partition, with the same rows as on DuckDB (columns compared by name: Spark's tables keep
    their partition column last): the day-by-day refresh's exports (written day by day) and the
    full refresh's (written at once)."""
    mine = exported(duckdb_daily.paths.export_root)
    for name, spark in (("day by day", spark_daily_pipeline), ("full refresh", spark_full_pipeline)):
        theirs = exported(spark.paths.export_root)
        assert sorted(mine) == sorted(theirs), name
        for table, (files, rows) in mine.items():
            assert theirs[table][0] == files, (name, table)
            assert theirs[table][1] == rows, (name, table, sorted(set(rows) ^ set(theirs[table][1]), key=repr)[:5])
