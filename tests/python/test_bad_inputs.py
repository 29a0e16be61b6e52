"""Foreseeable bad input never gets a traceback: the real `clickstream` command, over a table of
bad inputs for each command, exits 2 at once with one paragraph on stderr that says what to do,
and writes nothing (no warehouse file, no directory, no check log, no lock file left).

Only the rows about the order of days need a processed warehouse: one, built once for the module
on a tiny landing zone; there the refusal must take under a second (before, dbt refused it after
~15 s of start-up, wrapped in a "Compilation Error in model stg_click_events__files")."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Pipeline, event

from clickstream.paths import PipelinePaths

CLICKSTREAM = Path(sys.executable).with_name("clickstream")
PROCESSED = ("2024-01-10", "2024-01-11")  # processed in the module's warehouse
PENDING = ("2024-01-12", "2024-01-13")  # landed there afterwards, not processed


@dataclass(frozen=True)
class Case:
    """One bad input: the command's words ({file}: a regular file), what the directory holds
    before (empty, one landed day, or the processed warehouse) and the words the message must
    contain."""

    id: str
    args: tuple[str, ...]
    expected: tuple[str, ...]
    setup: str = "empty"  # "empty" | "landed" | "processed"


FORMAT = ("YYYY-MM-DD", "e.g. 2024-03-01")
CASES = [
    # refresh: options
    Case("refresh --date in another format", ("refresh", "--date", "05/03/2024"), (*FORMAT, "'05/03/2024'")),
    Case("refresh --date not a calendar day", ("refresh", "--date", "2024-02-30"), ("not a calendar date", *FORMAT)),
    Case("refresh --date a word", ("refresh", "--date", "tomorrow"), FORMAT),
    Case("refresh --vars not YAML", ("refresh", "--vars", "{session_timeout_minutes: 45"), ("YAML/JSON mapping",)),
    Case("refresh --vars not a mapping", ("refresh", "--vars", "[45]"), ("YAML/JSON mapping such as",)),
    Case(
        "refresh --vars unknown var suggests the closest",
        ("refresh", "--vars", "{sesion_timeout_minutes: 45}"),
        ("unknown var sesion_timeout_minutes; did you mean session_timeout_minutes?",),
    ),
    Case(
        "refresh --vars wrong type",
        ("refresh", "--vars", "{session_timeout_minutes: thirty}"),
        ("var session_timeout_minutes must be an integer >= 1 (minutes)", "got 'thirty'"),
    ),
    Case(
        "refresh --vars rate out of range",
        ("refresh", "--vars", "{quarantine_rate_warn: 1.5}"),
        ("must be a number between 0 and 1",),
    ),
    Case(
        "refresh --vars negative count",
        ("refresh", "--vars", "{file_quarantine_error_count: -1}"),
        ("must be an integer >= 0",),
    ),
    Case("refresh --vars run_date", ("refresh", "--vars", "{run_date: 2024-01-10}"), ("use --date",)),
    Case("refresh --threads 0", ("refresh", "--threads", "0"), ("--threads", "at least 1")),
    # refresh: paths and landed days
    Case("refresh nothing landed", ("refresh",), ("No landed raw files", "clickstream generate", "--raw-root")),
    Case(
        "refresh --date with no landed files",
        ("refresh", "--date", "2024-01-05"),
        ("No landed files for dt=2024-01-05", "landed days: 2024-01-10"),
        setup="landed",
    ),
    Case(
        "refresh --warehouse under a file",
        ("refresh", "--warehouse", "{file}/w.duckdb"),
        ("is a file, not a directory", "--warehouse"),
        setup="landed",
    ),
    Case(
        "refresh --warehouse not a DuckDB file",
        ("refresh", "--warehouse", "{file}"),
        ("cannot read the warehouse", "point --warehouse"),
        setup="landed",
    ),
    # refresh: the order of days, on a processed warehouse
    Case(
        "refresh --date earlier than the last processed day",
        ("refresh", "--date", PROCESSED[0]),
        (f"earlier than the last processed landing day {PROCESSED[1]}", "clickstream refresh --full-refresh"),
        setup="processed",
    ),
    Case(
        "refresh --date while an earlier landed day is pending",
        ("refresh", "--date", PENDING[1]),
        (f"{PENDING[0]} before dt={PENDING[1]} are not processed yet", "first: clickstream refresh"),
        setup="processed",
    ),
    # export
    Case("export no warehouse", ("export",), ("no warehouse at", "run `clickstream refresh` first")),
    Case("export --export-root under a file", ("export", "--export-root", "{file}/x"), ("is a file", "--export-root")),
    # generate
    Case("generate --start-date in another format", ("generate", "--start-date", "05/03/2024"), FORMAT),
    Case("generate negative --days", ("generate", "--start-date", "2024-03-01", "--days", "-1"), ("at least 1",)),
    Case(
        "generate --raw-root is a file",
        ("generate", "--start-date", "2024-03-01", "--raw-root", "{file}"),
        ("is a file, not a directory", "--raw-root"),
    ),
    # sample
    Case("sample negative --days", ("sample", "--days", "-3"), ("--days", "at least 1")),
    Case("sample --start-date not a calendar day", ("sample", "--start-date", "2024-02-30"), FORMAT),
    # report
    Case("report no warehouse", ("report",), ("does not exist", "run `clickstream refresh` first")),
    Case("report negative --top-pages", ("report", "--top-pages", "-1"), ("--top-pages", "at least 0")),
    # docs
    Case("docs no warehouse", ("docs",), ("no warehouse at", "run `clickstream refresh` first")),
    Case("docs --port out of range", ("docs", "--port", "70000"), ("not a TCP port (1-65535)",)),
    # check-files
    Case("check-files --date in another format", ("check-files", "--date", "05/03/2024"), FORMAT),
    Case("check-files no landing zone", ("check-files",), ("no landing zone at", "--raw-root")),
    Case(
        "check-files --date with no landed files",
        ("check-files", "--date", "2024-01-05"),
        ("no landed files for dt=2024-01-05", "pass a landed day"),
        setup="landed",
    ),
    # kafka publish (refused before any Kafka client starts)
    Case(
        "kafka publish --start-date in another format",
        ("kafka", "publish", "--generate", "--start-date", "05/03/2024"),
        FORMAT,
    ),
]


def files_under(root: Path) -> dict[str, tuple[int, int]]:
    """Every entry under root: a file with its size and modification time, a directory as such
    (its own time changes when a lock file comes and goes)."""
    return {
        str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime_ns) if path.is_file() else (-1, 0)
        for path in sorted(root.rglob("*"))
    }


def pipeline_env(paths: PipelinePaths) -> dict[str, str]:
    return {**os.environ, **paths.environment(), "DO_NOT_TRACK": "1"}


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """A warehouse that processed PROCESSED (one event a day), then PENDING landed."""
    base = tmp_path_factory.mktemp("processed")
    pipeline = Pipeline(PipelinePaths(base / "raw", base / "warehouse" / "w.duckdb", base / "exports"))
    for number, day in enumerate(PROCESSED):
        pipeline.land(day, "a.jsonl", [event(f"e{number}", "u1", f"{day}T10:00:00Z")])
    assert pipeline.refresh("--skip-export") == 0
    for number, day in enumerate(PENDING):
        pipeline.land(day, "a.jsonl", [event(f"p{number}", "u1", f"{day}T10:00:00Z")])
    return pipeline


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_exits_2_at_once_saying_what_to_do(case: Case, tmp_path: Path, request) -> None:
    if case.setup == "processed":
        pipeline = request.getfixturevalue("processed")
        root = pipeline.paths.warehouse.parent.parent
    else:
        root = tmp_path
        pipeline = Pipeline(PipelinePaths(root / "raw", root / "warehouse" / "w.duckdb", root / "exports"))
        if case.setup == "landed":
            pipeline.land("2024-01-10", "a.jsonl", [event("e1", "u1", "2024-01-10T10:00:00Z")])
    (root / "a_file").write_text("not a directory\n")
    args = [arg.replace("{file}", str(root / "a_file")) for arg in case.args]
    before = files_under(root)
    warehouse_existed = pipeline.paths.warehouse.exists()

    started = time.monotonic()
    result = subprocess.run(
        [str(CLICKSTREAM), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        env=pipeline_env(pipeline.paths),
    )
    seconds = time.monotonic() - started

    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    message = result.stderr.strip()
    assert message and "\n\n" not in message, f"not one paragraph:\n{message}"
    errors = [line for line in message.splitlines() if "error:" in line]
    assert len(errors) == 1, message
    for words in case.expected:
        assert words in errors[0], f"{words!r} not in {errors[0]!r}"
    assert files_under(root) == before, "a refused command wrote something"
    assert pipeline.paths.warehouse.exists() == warehouse_existed
    if case.setup == "processed":
        # dbt's start alone takes over 3 s; a refusal is about 0.3 s on a quiet machine (1.3 s was
        # seen with three test workers and the Spark suite beside it)
        assert seconds < 2.5, f"the refusal took {seconds:.2f} s: it must come before dbt starts"
