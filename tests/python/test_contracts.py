"""The public tables' enforced contracts: every mart declares its columns' data types
(models/marts/_marts__models.yml) and dbt_project.yml enforces them, so a model change that drops
or retypes a public column fails the build before the table is touched, on a new warehouse and on
an existing one alike; the keys' not_null constraints are enforced by DuckDB itself."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from conftest import Pipeline, event

from clickstream.paths import PROJECT_ROOT
from clickstream.pipeline import contract, dbt_process

DAY = "2026-03-02"
FINAL_SELECT = "select * from final"
# One breaking change per mart: (mart, the select that ends it instead, the column the error names).
BREAKING_CHANGES = {
    "dropped": ("agg_daily_clicks", "select * exclude (session_count) from final", "session_count"),
    "retyped": (
        "agg_daily_funnel",
        "select * replace (cast(session_count as double) as session_count) from final",
        "session_count",
    ),
    "renamed": ("dim_users", "select * rename (event_count as events) from final", "event_count"),
}
CHANGED_MARTS = [mart for mart, _, _ in BREAKING_CHANGES.values()]


def project_copy(destination: Path) -> Path:
    """A copy of the dbt project (what dbt reads of it)."""
    destination.mkdir(parents=True)
    for part in ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds"):
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part)
        else:
            shutil.copy2(source, destination / part)
    shutil.copytree(PROJECT_ROOT / "tests" / "generic", destination / "tests" / "generic")
    return destination


def end_model_with(project: Path, mart: str, final_select: str) -> None:
    """Make the copied mart end with `final_select` instead of its own `select * from final`."""
    model = project / "models" / "marts" / f"{mart}.sql"
    sql = model.read_text().rstrip()
    assert sql.endswith(FINAL_SELECT), f"{model.name} no longer ends with `{FINAL_SELECT}`"
    model.write_text(sql[: -len(FINAL_SELECT)] + final_select + "\n")


def run_marts(pipeline: Pipeline, project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`dbt run` of the changed marts of the copied project on the pipeline's warehouse."""
    arguments = ["run", "--select", *CHANGED_MARTS, *extra]
    return dbt_process.dbt_command(
        pipeline.paths, arguments, "dev", project / "target", project / "logs", project_dir=project
    ).run()


def marts_state(pipeline: Pipeline) -> dict[str, tuple[list[tuple], list[tuple]]]:
    """The changed marts' columns (name, type) and rows."""
    return {
        mart: (
            pipeline.query(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'main' and table_name = ? order by ordinal_position",
                [mart],
            ),
            pipeline.query(f"select * from main.{mart} order by all"),
        )
        for mart in CHANGED_MARTS
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """A warehouse refreshed once from a few events."""
    from clickstream.paths import PipelinePaths

    base = tmp_path_factory.mktemp("contracts")
    pipeline = Pipeline(PipelinePaths(base / "raw", base / "warehouse" / "w.duckdb", base / "exports"))
    pipeline.land(DAY, "part-0.jsonl", [event(f"e{i}", f"u{i % 3}", f"{DAY}T10:0{i}:00Z") for i in range(6)])
    assert pipeline.refresh() == 0
    return pipeline


def test_every_public_column_has_a_declared_type_and_every_mart_an_enforced_contract() -> None:
    manifest = contract.project_manifest()
    marts = [
        node for node in manifest["nodes"].values() if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    ]
    assert marts
    for node in marts:
        assert node["config"]["contract"]["enforced"], node["name"]
        assert node["config"]["group"] == "public_tables", node["name"]
        untyped = [name for name, column in node["columns"].items() if not column.get("data_type")]
        assert not untyped, f"{node['name']}: columns without data_type: {untyped}"


def test_every_mart_key_has_a_not_null_constraint() -> None:
    manifest = contract.project_manifest()
    for table in contract.public_tables(manifest):
        node = manifest["nodes"][f"model.clickstream.{table.name}"]
        constraints = node["columns"][table.key]["constraints"]
        assert {"type": "not_null"} in [{"type": c["type"]} for c in constraints], table.name


def test_a_dropped_retyped_or_renamed_public_column_fails_the_build_and_leaves_the_table_as_it_was(
    built: Pipeline, tmp_path: Path
) -> None:
    project = project_copy(tmp_path / "project")
    before = marts_state(built)
    for mart, final_select, _ in BREAKING_CHANGES.values():
        end_model_with(project, mart, final_select)

    for mode in ([], ["--full-refresh"]):  # an incremental run on the warehouse, then a rebuild
        result = run_marts(built, project, *mode)
        output = result.stdout + result.stderr
        assert result.returncode != 0, f"built despite the changes ({mode}):\n{output[-3000:]}"
        for change, (mart, _, column) in BREAKING_CHANGES.items():
            error = output[output.find(f"Error in model {mart} ") :][:1500]
            assert "enforced contract that failed" in error, f"no contract error for {mart} ({mode}):\n{output[-4000:]}"
            assert f"| {column} " in error, f"the {change} column {column} not named ({mode}):\n{error}"
        assert marts_state(built) == before


def test_duckdb_refuses_a_null_key_in_a_mart(built: Pipeline) -> None:
    with duckdb.connect(str(built.paths.warehouse)) as con, pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
        con.execute("insert into main.fct_sessions (session_id) values (null)")
