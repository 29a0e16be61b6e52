"""scripts/inflate_history.py: a copy of a warehouse with more (synthetic) history, on which the
next landing day refreshes exactly as on the original - what the history-growth measurement of a
daily refresh relies on."""

from __future__ import annotations

import inflate_history
import pytest
from conftest import Pipeline, event
from test_incremental_sessions import land_two_days, new_pipeline

from clickstream.paths import PipelinePaths

DAY3 = "2024-01-12"
SESSION_TABLES = {
    "fct_events": "event_id",
    "fct_sessions": "session_id",
    "fct_page_views": "event_id",
    "duplicate_events": "duplicate_id",
    "dim_users": "user_id",
}


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    pipeline = new_pipeline(tmp_path_factory.mktemp("original"))
    land_two_days(pipeline)
    assert pipeline.refresh() == 0
    return pipeline


def test_inflating_multiplies_history_with_unique_keys_and_earlier_dates(original: Pipeline, tmp_path) -> None:
    output = tmp_path / "inflated.duckdb"
    counts = inflate_history.inflate(original.paths.warehouse, output, copies=2)
    inflated = Pipeline(PipelinePaths(original.paths.raw_root, output, tmp_path / "exports"))
    for table, key in SESSION_TABLES.items():
        [(rows,)] = original.query(f"select count(*) from main.{table}")
        assert counts[table] == 3 * rows
        assert inflated.query(f"select count(distinct {key}) from main.{table}") == [(3 * rows,)]
    # each copy sits a whole history span (2 days + 7-day gap) earlier, oldest first in storage
    assert inflated.query("select min(event_date), max(event_date) from main.fct_events") == original.query(
        "select min(event_date) - 18, max(event_date) from main.fct_events"
    )
    assert inflated.query("select event_id from main.fct_events limit 1")[0][0].endswith("-h2")


def test_the_next_day_refreshes_on_an_inflated_copy_exactly_as_on_the_original(
    original: Pipeline, tmp_path, make_pipeline
) -> None:
    output = tmp_path / "inflated.duckdb"
    inflate_history.inflate(original.paths.warehouse, output, copies=2)
    # both warehouses refresh the same third day from their own copy of the raw files
    plain = make_pipeline("plain")
    inflated = make_pipeline("inflated")
    inflated.paths.warehouse.parent.mkdir(parents=True)
    output.rename(inflated.paths.warehouse)
    plain.paths.warehouse.parent.mkdir(parents=True)
    plain.paths.warehouse.write_bytes(original.paths.warehouse.read_bytes())
    for pipeline in (plain, inflated):
        land_two_days(pipeline)
        pipeline.land(
            DAY3,
            "click_events+0+0000000013.jsonl",
            [
                event("m3", "u3", "2024-01-11T00:40:00Z"),  # late: extends u3's stored session
                event("n1", "u6", f"{DAY3}T09:00:00Z", event_type="click"),
            ],
        )
        assert pipeline.refresh() == 0  # every data test passes on the inflated history too
    for table, key in SESSION_TABLES.items():
        real_rows = f"select * from main.{table} where {key} not similar to '.*-h[0-9]+' order by {key}"
        assert inflated.query(real_rows) == plain.query(f"select * from main.{table} order by {key}"), table
    assert inflated.query("select cast(max(dt) as varchar) from main.agg_ingest_daily") == [(DAY3,)]


def test_inflating_refuses_a_missing_warehouse_or_an_existing_output(original: Pipeline, tmp_path, capsys) -> None:
    assert (
        inflate_history.main(["--warehouse", str(tmp_path / "none.duckdb"), "--output", str(tmp_path / "o.duckdb")])
        == 2
    )
    assert "No warehouse at" in capsys.readouterr().err
    existing = tmp_path / "exists.duckdb"
    existing.write_bytes(b"")
    assert inflate_history.main(["--warehouse", str(original.paths.warehouse), "--output", str(existing)]) == 2
    assert "exists: remove it" in capsys.readouterr().err
    assert existing.read_bytes() == b""
