"""How clickstream runs dbt (clickstream/pipeline/dbt_process.py): a new warehouse's first dbt
command starts from the parse state another warehouse's command left, instead of parsing the
whole project again, and the warehouse file is still the one the paths name."""

from __future__ import annotations

from pathlib import Path

from clickstream.paths import PipelinePaths
from clickstream.pipeline import dbt_process


def pipeline_paths(root: Path) -> PipelinePaths:
    """Paths of a pipeline under root, its warehouse directory created (as a refresh does)."""
    paths = PipelinePaths(root / "raw", root / "warehouse" / "clickstream.duckdb", root / "exports")
    paths.warehouse.parent.mkdir(parents=True)
    return paths


def dbt_log(paths: PipelinePaths) -> str:
    return (paths.warehouse.parent / "logs" / "dbt.log").read_text()


def run(paths: PipelinePaths, *arguments: str) -> None:
    work = paths.warehouse.parent
    result = dbt_process.dbt_command(paths, list(arguments), "dev", work / "target", work / "logs").run()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_a_new_warehouse_starts_from_the_parse_state_another_warehouse_left(tmp_path: Path) -> None:
    first, second = pipeline_paths(tmp_path / "first"), pipeline_paths(tmp_path / "second")
    run(first, "parse")
    run(second, "show", "--inline", "select 42 as answer")
    assert "Starting full parse" not in dbt_log(second)
    assert "Partial parsing enabled" in dbt_log(second)
    # parsing reads no path of the warehouse, so no file is parsed again for it
    assert "0 files changed." in dbt_log(second)
    # dbt ran in the warehouse's directory, on the file the paths name
    assert second.warehouse.exists()
    assert not first.warehouse.exists()


def test_an_existing_parse_state_is_never_replaced_by_the_shared_one(tmp_path: Path) -> None:
    paths = pipeline_paths(tmp_path / "pipeline")
    command = dbt_process.dbt_command(paths, ["parse"], "dev", tmp_path / "target", tmp_path / "logs")
    own = tmp_path / "target" / dbt_process.PARSE_STATE
    own.parent.mkdir()
    own.write_bytes(b"this warehouse's own state")
    command.seed_parse_state()
    assert own.read_bytes() == b"this warehouse's own state"
