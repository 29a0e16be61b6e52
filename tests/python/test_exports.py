"""Parquet exports: partitioned by date, equal to the warehouse tables, only changed partitions
rewritten, orphans removed on a full refresh, never a half-written file in place."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import Pipeline, event

from clickstream.pipeline import contract
from clickstream.pipeline import export as export_parquet
from clickstream.pipeline.warehouse import open_warehouse


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pipeline, dict]:
    from clickstream.paths import PipelinePaths

    base = tmp_path_factory.mktemp("exports")
    pipeline = Pipeline(PipelinePaths(base / "raw", base / "warehouse" / "w.duckdb", base / "exports"))
    pipeline.land(
        "2024-01-10",
        "a.jsonl",
        [
            event("old1", "u1", "2024-01-09T08:00:00Z"),
            event("new1", "u2", "2024-01-10T08:00:00Z"),
            b"garbage",
        ],
    )
    assert pipeline.refresh() == 0
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in pipeline.paths.export_root.rglob("*.parquet")}
    pipeline.land("2024-01-11", "a.jsonl", [event("new2", "u3", "2024-01-11T08:00:00Z")])
    assert pipeline.refresh() == 0
    return pipeline, before


def test_every_table_is_exported_by_date_and_equals_the_warehouse(exported) -> None:
    pipeline, _ = exported
    root = pipeline.paths.export_root
    partitioned = [t for t in contract.exported_tables(contract.project_manifest()) if t.partition_column]
    assert partitioned
    for table in partitioned:
        files = sorted((root / table.name).glob(f"{table.partition_column}=*/data_0.parquet"))
        assert files, f"no export for {table.name}"
        # every column, the partition column (from the directory names) included, by name
        [(columns,)] = pipeline.query(
            "select string_agg(column_name, ', ' order by column_index) from duckdb_columns() "
            "where schema_name = 'main' and table_name = ?",
            [table.name],
        )
        with duckdb.connect() as con:
            exported_rows = con.execute(
                f"select {columns} from read_parquet('{root}/{table.name}/*/*.parquet', hive_partitioning = true) "
                f"order by all"
            ).fetchall()
        table_rows = pipeline.query(f"select {columns} from main.{table.name} order by all")
        assert exported_rows == table_rows, table.name


def test_only_changed_partitions_are_rewritten(exported) -> None:
    pipeline, before = exported
    root = pipeline.paths.export_root
    untouched = root / "fct_events" / "event_date=2024-01-09" / "data_0.parquet"
    after = untouched.stat()
    assert (after.st_ino, after.st_mtime_ns) == before[untouched]
    assert (root / "fct_events" / "event_date=2024-01-11" / "data_0.parquet").exists()


def test_no_staging_or_pending_files_are_left(exported) -> None:
    pipeline, _ = exported
    root = pipeline.paths.export_root
    assert not (root / ".staging").exists()
    assert not (root / export_parquet.LEGACY_PENDING_FILE).exists()
    assert {p.name for p in root.rglob("*") if p.is_file()} == {"data_0.parquet", export_parquet.STATE_FILE}


def test_full_refresh_removes_orphaned_partitions(exported) -> None:
    pipeline, _ = exported
    orphan = pipeline.paths.export_root / "fct_events" / "event_date=1999-01-01"
    orphan.mkdir()
    (orphan / "data_0.parquet").write_bytes(b"stale")
    assert pipeline.refresh("--full-refresh") == 0
    assert not orphan.exists()
    assert (pipeline.paths.export_root / "fct_events" / "event_date=2024-01-09" / "data_0.parquet").exists()


def test_a_pending_list_left_by_an_earlier_version_is_finished_then_removed(exported) -> None:
    pipeline, _ = exported
    assert pipeline.refresh("--date", "2024-01-11") == 0  # its changed partitions exclude 2024-01-10
    root = pipeline.paths.export_root
    target = root / "fct_sessions" / "session_date=2024-01-10"
    content = (target / "data_0.parquet").read_bytes()
    (target / "data_0.parquet").unlink()
    (root / export_parquet.LEGACY_PENDING_FILE).write_text('[["fct_sessions", "2024-01-10"]]')
    assert export_parquet.main(["--warehouse", str(pipeline.paths.warehouse), "--export-root", str(root)]) == 0
    assert (target / "data_0.parquet").read_bytes() == content
    assert not (root / export_parquet.LEGACY_PENDING_FILE).exists()


def test_a_refresh_with_nothing_new_exports_what_a_skipped_export_left(exported) -> None:
    pipeline, _ = exported
    pipeline.land("2024-01-12", "a.jsonl", [event("new3", "u4", "2024-01-12T08:00:00Z")])
    assert pipeline.refresh("--skip-export") == 0
    day = pipeline.paths.export_root / "fct_events" / "event_date=2024-01-12" / "data_0.parquet"
    assert not day.exists()
    assert pipeline.refresh() == 0  # no landing day to process: the export still runs
    assert day.exists()
    state = pipeline.paths.export_root / export_parquet.STATE_FILE
    recorded = state.read_bytes()
    assert (
        export_parquet.main(
            ["--warehouse", str(pipeline.paths.warehouse), "--export-root", str(pipeline.paths.export_root)]
        )
        == 0
    )
    assert state.read_bytes() == recorded  # up to date: nothing requested, nothing written


def test_a_partition_file_is_the_same_bytes_whatever_the_storage_history(tmp_path) -> None:
    """Equal rows give equal files: DuckDB's writer would mark a column REQUIRED when the scanned
    storage's statistics say it holds no NULL (a history of deletes changes that, the rows do not);
    the export marks every column nullable, so the file depends on the rows only."""
    table = contract.PublicTable(
        name="t",
        key="id",
        exported=True,
        partition_column="dt",
        order_by=("id",),
        partition_by_differs=None,
        spark_partition_by=("dt",),
        refreshed_window_column="dt",
        documented_columns=("id", "dt", "note"),
        source_file="models/marts/t.sql",
    )
    files = {}
    for history in ("clean", "a null once"):
        path = tmp_path / history / "w.duckdb"
        path.parent.mkdir()
        with duckdb.connect(str(path)) as con:
            con.execute("create table main.t (id integer, dt date, note varchar)")
            if history == "a null once":
                con.execute("insert into main.t values (9, DATE '2024-01-02', null)")
                con.execute("delete from main.t where id = 9")
            con.execute("insert into main.t values (1, DATE '2024-01-01', 'x'), (2, DATE '2024-01-01', 'y')")
        with open_warehouse("dev", path) as wh:
            columns = export_parquet.file_columns(wh, table)
            assert export_parquet.write_partition(wh, tmp_path / history, table, columns, date(2024, 1, 1)) == (
                2,
                False,
            )
        written = tmp_path / history / "t" / "dt=2024-01-01" / export_parquet.DATA_FILE
        with duckdb.connect() as con:
            schema = con.execute(
                "select name, repetition_type from parquet_schema(?) where num_children is null", [str(written)]
            ).fetchall()
        assert schema == [("id", "OPTIONAL"), ("note", "OPTIONAL")]
        files[history] = written.read_bytes()
    assert files["clean"] == files["a null once"]


def test_the_export_summary_counts_what_it_did_and_never_removes_what_was_not_there(exported, caplog) -> None:
    """Issue #19 item 6: the progress line and the summary count the same partitions (a whole,
    unpartitioned table is not one of them), and 'removed' counts only partitions that existed:
    an empty directory, a stray file or a requested day with no rows and no file is not one."""
    pipeline, _ = exported
    root = pipeline.paths.export_root
    tables = contract.exported_tables(contract.project_manifest())
    partitioned = [t for t in tables if t.partition_column]
    events = next(t for t in partitioned if t.name == "fct_events")
    (root / "fct_events" / "event_date=1998-01-01").mkdir()  # an empty directory: no partition
    orphan = root / "fct_events" / "event_date=1998-01-02"
    orphan.mkdir()
    (orphan / export_parquet.DATA_FILE).write_bytes(b"stale")  # a real orphaned partition
    (root / "fct_events" / "event_date=2024-01-09" / "notes.txt").write_text("stray")  # not a partition
    expected = sum(
        pipeline.query(f"select count(distinct {t.partition_column}) from main.{t.name}")[0][0] for t in partitioned
    )
    with caplog.at_level("INFO", logger="clickstream.export"):
        counts = export_parquet.export(pipeline.paths, rewrite_all=True)
    assert counts == {
        "partitions_requested": expected,
        "partitions_written": expected,
        "partitions_removed": 1,
        "partitions_absent": 0,
        "partitions_orphaned": 1,
        "tables_written": len(tables) - len(partitioned),
    }
    messages = [r.getMessage() for r in caplog.records]
    assert f"export: {expected}/{expected} requested partitions done" in messages
    summary = next(m for m in messages if m.startswith("export: ") and " in " in m and "written" in m)
    assert summary.startswith(
        f"export: {expected} partitions written, 1 removed, {len(tables) - len(partitioned)} whole table"
    )
    assert f"({expected} requested partitions: {expected} written, 0 removed, 0 already absent; 1 orphaned" in summary
    assert not orphan.exists() and not (root / "fct_events" / "event_date=1998-01-01").exists()
    assert not (root / "fct_events" / "event_date=2024-01-09" / "notes.txt").exists()
    # A requested day with no rows: removed (and counted) only when its file was there.
    with open_warehouse("dev", pipeline.paths.warehouse) as wh:
        columns = export_parquet.file_columns(wh, events)
        empty_dir = root / "fct_events" / "event_date=1997-01-01"
        empty_dir.mkdir()
        assert export_parquet.write_partition(wh, root, events, columns, date(1997, 1, 1)) == (0, False)
        assert not empty_dir.exists()
        assert export_parquet.write_partition(wh, root, events, columns, date(1997, 1, 2)) == (0, False)
        stale = root / "fct_events" / "event_date=1997-01-03"
        stale.mkdir()
        (stale / export_parquet.DATA_FILE).write_bytes(b"stale")
        assert export_parquet.write_partition(wh, root, events, columns, date(1997, 1, 3)) == (0, True)
        assert not stale.exists()
    # `clickstream export` prints the same words; up to date, everything is 0.
    assert export_parquet.summary_text(dict.fromkeys(export_parquet.EXPORT_COUNTS, 0)) == (
        "0 partitions written, 0 removed, 0 whole tables written (0 requested partitions: 0 written, 0 removed, "
        "0 already absent)"
    )


def test_the_export_reads_the_warehouse_under_the_pipeline_memory_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export's DuckDB connection has profiles.yml's memory limit, not DuckDB's default of 80 %
    of the machine: unlimited, the sorted copy of a 10M-row partition took 11.75 GB."""
    warehouse = tmp_path / "clickstream.duckdb"
    duckdb.connect(str(warehouse)).close()

    def limit_reported_for(setting: str) -> str:
        with duckdb.connect(config={"memory_limit": setting}) as con:
            return con.execute("select current_setting('memory_limit')").fetchone()[0]

    monkeypatch.delenv("CLICKSTREAM_MEMORY_LIMIT", raising=False)
    with open_warehouse("dev", warehouse) as wh:
        assert wh.query("select current_setting('memory_limit')") == [(limit_reported_for("3GB"),)]
    monkeypatch.setenv("CLICKSTREAM_MEMORY_LIMIT", "1GB")
    with open_warehouse("dev", warehouse) as wh:
        assert wh.query("select current_setting('memory_limit')") == [(limit_reported_for("1GB"),)]
