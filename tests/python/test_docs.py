"""`dbt docs generate` works on a built warehouse, and every model, column (as built), seed,
source, macro and generic test carries a description."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import Pipeline, event

from clickstream.paths import PROJECT_ROOT
from clickstream.pipeline import contract


@pytest.fixture(scope="module")
def docs_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The target directory of `dbt docs generate` on a small refreshed warehouse."""
    from clickstream.paths import PipelinePaths

    base = tmp_path_factory.mktemp("docs")
    pipeline = Pipeline(PipelinePaths(base / "raw", base / "warehouse" / "w.duckdb", base / "exports"))
    pipeline.land("2024-01-10", "a.jsonl", [event("e1", "u1", "2024-01-10T10:00:00Z"), b"bad"])
    assert pipeline.refresh("--skip-export") == 0
    target = base / "docs_target"
    env = {**os.environ, **pipeline.paths.environment(), "DO_NOT_TRACK": "1", "DBT_PROFILES_DIR": str(PROJECT_ROOT)}
    result = subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "dbt"), "docs", "generate", "--target-path", str(target)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert (target / "index.html").exists()
    return target


@pytest.fixture(scope="module")
def docs(docs_target: Path) -> tuple[dict, dict]:
    return (
        json.loads((docs_target / "manifest.json").read_text()),
        json.loads((docs_target / "catalog.json").read_text()),
    )


def test_every_model_seed_and_source_has_a_description(docs) -> None:
    manifest, _ = docs
    nodes = [
        n
        for n in manifest["nodes"].values()
        if n["package_name"] == "clickstream" and n["resource_type"] in ("model", "seed")
    ]
    nodes += [s for s in manifest["sources"].values() if s["package_name"] == "clickstream"]
    missing = [n["unique_id"] for n in nodes if not n.get("description", "").strip()]
    assert nodes and not missing


def test_every_built_column_has_a_description(docs) -> None:
    manifest, catalog = docs
    missing = []
    for unique_id, entry in catalog["nodes"].items():
        if not unique_id.startswith(("model.", "seed.")):
            continue  # e.g. the tables of stored test failures
        node = manifest["nodes"][unique_id]
        documented = {name.lower(): col.get("description", "") for name, col in node["columns"].items()}
        for column in entry["columns"]:
            if not documented.get(column.lower(), "").strip():
                missing.append(f"{unique_id}.{column}")
    assert catalog["nodes"] and not missing, missing


def undocumented_macros(macros: list[dict]) -> list[str]:
    """The unique ids of the macros without a description, except the engine bodies of a documented
    dispatcher: `<engine>__<name>` (default__x, spark__x, ...) is covered by the entry of the
    project's macro `<name>` (macros/<folder>/_<folder>__macros.yml documents each dispatching
    macro once). An engine body of a macro outside the project (e.g. default__get_where_subquery,
    which overrides dbt's) needs its own description."""
    documented = {m["name"] for m in macros if m.get("description", "").strip()}
    missing = []
    for m in macros:
        if m["name"] in documented:
            continue
        engine_body = re.fullmatch(r"[a-z][a-z0-9]*__(\w+)", m["name"])
        if engine_body and engine_body.group(1) in documented:
            continue
        missing.append(m["unique_id"])
    return missing


def test_every_macro_is_documented_dispatch_bodies_by_their_dispatcher(docs) -> None:
    manifest, _ = docs
    macros = [m for m in manifest["macros"].values() if m["package_name"] == "clickstream"]
    missing = undocumented_macros(macros)
    assert macros and not missing, missing
    # the rule itself: an undocumented dispatcher leaves its engine bodies (and itself) undocumented
    dispatcher = {"name": "x", "unique_id": "macro.p.x", "description": ""}
    body = {"name": "spark__x", "unique_id": "macro.p.spark__x", "description": ""}
    assert undocumented_macros([dispatcher, body]) == ["macro.p.x", "macro.p.spark__x"]
    assert undocumented_macros([{**dispatcher, "description": "X."}, body]) == []
    assert undocumented_macros([body]) == ["macro.p.spark__x"]


def test_the_overview_block_and_the_export_exposures_are_documented(docs) -> None:
    manifest, _ = docs
    overview = [
        d for d in manifest["docs"].values() if d["name"] == "__overview__" and d["package_name"] == "clickstream"
    ]
    assert overview and "Architecture" in overview[0]["block_contents"]
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert all(e["description"].strip() and e["depends_on"]["nodes"] for e in exposures.values())
    assert all(e["owner"]["name"] for e in exposures.values())
    exported = {table.name for table in contract.public_tables(manifest) if table.exported}
    exposed = {
        node.split(".")[-1]: name
        for name, e in exposures.items()
        if name.startswith("parquet_")
        for node in e["depends_on"]["nodes"]
    }
    assert exported and set(exposed) == exported, "every Parquet export is one exposure"
    assert all(exposed[table] == f"parquet_{table}" for table in exported)


def test_the_readme_states_the_column_test_coverage_dbt_coverage_computes(docs_target: Path, tmp_path: Path) -> None:
    report = tmp_path / "coverage.json"
    result = subprocess.run(
        [
            str(PROJECT_ROOT / ".venv" / "bin" / "dbt-coverage"),
            "compute",
            "test",
            "--project-dir",
            str(PROJECT_ROOT),
            "--run-artifacts-dir",
            str(docs_target),
            "--cov-report",
            str(report),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    coverage = json.loads(report.read_text())
    stated = (
        f"**{coverage['covered']} of {coverage['total']} columns ({100 * coverage['coverage']:.1f} %)** have at least"
    )
    readme = " ".join((PROJECT_ROOT / "README.md").read_text().split())
    assert stated in readme, f"README's Tests section should say: {stated} one data test"
