"""Seeds are loaded when they change, not at every refresh (clickstream/pipeline/seed_state.py):
a refresh leaves the seeds and their own tests out of its build when the warehouse holds them as
they are now, still runs the tests of models that refer to a seed, and loads them again after a
load that did not complete, with another fingerprint, or when a table is gone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
from conftest import Pipeline, event

from clickstream.paths import PROJECT_ROOT
from clickstream.pipeline import seed_state
from clickstream.pipeline.contract import dbt_target_path

SEEDS = {f"seed.clickstream.{name}" for name in seed_state.seed_tables()}
# a test of a model that refers to a seed (it must run whether the seeds are loaded or not)
SEED_RELATIONSHIP_TEST = "relationships_fct_events_event_type__event_type__ref_event_types_"


def built_nodes(pipeline: Pipeline) -> set[str]:
    """The unique ids of the last dbt build's nodes."""
    results = json.loads((dbt_target_path(pipeline.paths) / "run_results.json").read_text())["results"]
    return {result["unique_id"] for result in results}


def seed_tests(pipeline: Pipeline, nodes: set[str]) -> set[str]:
    """The seeds' own tests among nodes: those that read seeds only (the build's manifest)."""
    manifest = json.loads((dbt_target_path(pipeline.paths) / "manifest.json").read_text())["nodes"]
    return {
        node
        for node in nodes
        if node.startswith("test.") and all(parent in SEEDS for parent in manifest[node]["depends_on"]["nodes"])
    }


def land_day(pipeline: Pipeline, dt: str) -> None:
    pipeline.land(
        dt,
        "events.jsonl",
        [
            event(f"{dt}-a", "u1", f"{dt}T10:00:00Z"),
            event(f"{dt}-b", "u1", f"{dt}T10:05:00Z", "click"),
            event(f"{dt}-c", "u2", f"{dt}T11:00:00Z", "no_such_type"),
        ],
    )


def test_seeds_load_once_and_again_only_after_an_incomplete_load_another_fingerprint_or_a_lost_table(
    pipeline: Pipeline,
) -> None:
    land_day(pipeline, "2024-03-01")
    assert pipeline.refresh() == 0
    first = built_nodes(pipeline)
    assert first >= SEEDS
    assert len(seed_tests(pipeline, first)) == 6, sorted(seed_tests(pipeline, first))
    fingerprint = seed_state.seed_fingerprint()
    assert seed_state.recorded_fingerprint(pipeline.paths, "dev") == fingerprint

    # unchanged seeds: left out with their own tests; the tests that read a seed beside a model run
    # (that the tables stay those of a full refresh: test_schedule_independence.py)
    land_day(pipeline, "2024-03-02")
    assert pipeline.refresh() == 0
    second = built_nodes(pipeline)
    assert not second & SEEDS
    assert not seed_tests(pipeline, second)
    assert any(SEED_RELATIONSHIP_TEST in node for node in second)
    assert any(node.startswith("model.clickstream.fct_events") for node in second)

    # seeds recorded with another fingerprint (another version of seeds/) are loaded again; a build
    # that fails after loading them leaves no record, so the next refresh loads them once more
    with duckdb.connect(str(pipeline.paths.warehouse)) as con:
        con.execute("update audit.seed_loads set fingerprint = 'another version of seeds/'")
    land_day(pipeline, "2024-03-03")
    assert pipeline.refresh(env={"CLICKSTREAM_FAIL_MODEL": "fct_events"}) == 1
    assert built_nodes(pipeline) >= SEEDS
    assert seed_state.recorded_fingerprint(pipeline.paths, "dev") is None
    assert not seed_state.seeds_current(pipeline.paths, "dev", fingerprint)

    # a seed table that is gone makes a recorded load stale
    seed_state.record_seed_load(pipeline.paths, "dev", fingerprint, "a run")
    assert seed_state.seeds_current(pipeline.paths, "dev", fingerprint)
    with duckdb.connect(str(pipeline.paths.warehouse)) as con:
        con.execute("drop table main.referrer_domains")
    assert not seed_state.seeds_current(pipeline.paths, "dev", fingerprint)


def test_the_seed_fingerprint_changes_with_any_seed_file_and_the_project_file(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "seeds", project / "seeds")
    shutil.copy(PROJECT_ROOT / "dbt_project.yml", project / "dbt_project.yml")
    original = seed_state.seed_fingerprint(project)
    assert original == seed_state.seed_fingerprint(PROJECT_ROOT)
    assert seed_state.seed_tables(project) == seed_state.seed_tables()

    changed = []
    for name in ("seeds/event_types.csv", "seeds/_seeds.yml", "dbt_project.yml"):
        file = project / name
        kept = file.read_bytes()
        file.write_bytes(kept + b"\n")
        changed.append(seed_state.seed_fingerprint(project))
        file.write_bytes(kept)
    (project / "seeds" / "new_seed.csv").write_text("a\n1\n")
    changed.append(seed_state.seed_fingerprint(project))
    assert len({original, *changed}) == len(changed) + 1
