"""The dbt vars have one home each: their defaults in dbt_project.yml, their types and ranges in
clickstream/pipeline/dbt_vars.py (VARS), and nothing can drift between the two; `clickstream
refresh --vars` refuses an unknown, mistyped or out-of-range var; no SQL casts a var silently,
and int_var() (macros/project/int_var.sql) fails loudly on a non-integer under plain dbt too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_dbt

from clickstream.paths import PROJECT_ROOT, PipelinePaths
from clickstream.pipeline import dbt_vars
from clickstream.pipeline.dbt_vars import VARS, parse_refresh_vars

DEFAULTS = dbt_vars.project_defaults()
# Where the project reads vars: macros, models (SQL and YAML), generic tests, analyses.
VAR_READERS = sorted(
    path
    for folder in ("macros", "models", "tests/generic", "analyses")
    for path in (PROJECT_ROOT / folder).rglob("*")
    if path.suffix in (".sql", ".yml")
)
SQL_FILES = [path for path in VAR_READERS if path.suffix == ".sql"]
VAR_CALL = re.compile(r"""\bvar\(\s*['"](\w+)['"]""")
INT_VAR_CALL = re.compile(r"""\bint_var\(\s*['"](\w+)['"]""")
# var(...) | int, var(...) | float, var(...) | int * 2: a cast that turns "thirty" into 0.
VAR_CAST = re.compile(r"""\bvar\([^()]*\)\s*\|\s*(int|float)\b""")


def relative(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


def test_the_declared_vars_are_exactly_dbt_project_ymls_in_its_order() -> None:
    assert list(VARS) == list(DEFAULTS)


@pytest.mark.parametrize("name", list(DEFAULTS))
def test_every_default_passes_its_own_rule(name: str) -> None:
    rule = VARS[name]
    assert rule.accepts(DEFAULTS[name]), f"dbt_project.yml: {name}: {DEFAULTS[name]!r} is not {rule.describe()}"


def test_every_var_the_project_reads_is_declared() -> None:
    read = {(name, relative(path)) for path in VAR_READERS for name in VAR_CALL.findall(path.read_text())}
    assert read, "no var() found: the pattern or the folders are wrong"
    undeclared = sorted(f"{where}: {name}" for name, where in read if name not in VARS)
    assert not undeclared


def test_no_sql_casts_a_var_with_a_filter_and_int_var_reads_only_integer_vars() -> None:
    """SQL (macros/ and models/) reads integer vars with int_var(); the sources' freshness YAML
    (models/staging/click_events/_click_events__sources.yml) still casts with | int: not SQL,
    and checked by `clickstream refresh --vars` like every var."""
    casts = [
        f"{relative(path)}:{number}: {line.strip()}"
        for path in SQL_FILES
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if VAR_CAST.search(line)
    ]
    assert not casts
    int_reads = {name for path in SQL_FILES for name in INT_VAR_CALL.findall(path.read_text())}
    assert {"session_timeout_minutes", "max_line_bytes", "late_arrival_days"} <= int_reads
    assert {name for name in int_reads if VARS[name].kind != dbt_vars.INTEGER} == set()


def test_the_readme_states_each_listed_vars_type_as_declared() -> None:
    """The README's table of main vars says each var's type and lower bound as VARS does."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme[readme.index("Main dbt vars") : readme.index("## Reading the Parquet exports")]
    rows = re.findall(r"^\| (`\w+`(?: / `\w+`)*) \| [^|]+ \| ([^|]+) \|", section, re.M)
    assert len(rows) >= 5
    for names_cell, type_cell in rows:
        names = re.findall(r"`(\w+)`", names_cell)
        for name in names:
            rule = VARS[name]
            kind = rule.kind + ("s" if len(names) > 1 else "")
            assert type_cell.strip() == f"{kind} >= {rule.minimum:g}", (name, type_cell)


REFUSED = [
    ("{sesion_timeout_minutes: 45}", "unknown var sesion_timeout_minutes; did you mean session_timeout_minutes?"),
    ("{session_timeout_minutes: thirty}", "var session_timeout_minutes must be an integer >= 1 (minutes)"),
    ("{session_timeout_minutes: '45'}", "got '45'"),
    ("{session_timeout_minutes: 0}", "must be an integer >= 1"),
    ("{session_timeout_minutes: 45.5}", "must be an integer"),
    ("{max_line_bytes: true}", "got true"),
    ("{clock_skew_minutes: null}", "got null"),
    ("{quarantine_rate_warn: 1.5}", "must be a number between 0 and 1"),
    ("{duplicate_rate_error: .nan}", "must be a number between 0 and 1"),
    ("{volume_drop_warn_ratio: -0.1}", "must be a number >= 0"),
    ("{file_quarantine_error_count: -1}", "must be an integer >= 0 (files)"),
    ("{run_date: 2024-03-01}", "var run_date is not set with --vars: use --date"),
    ("{raw_root: /elsewhere}", "use --raw-root"),
    ("{file_checks_path: /elsewhere/log.jsonl}", "use --warehouse"),
    ("{session_timeout_minutes:45}", "YAML needs a space after the colon, {session_timeout_minutes: 45}"),
    ("{zzz: 1}", "unknown var zzz; dbt_project.yml lists the vars"),
    ("[session_timeout_minutes]", "must be a YAML/JSON mapping"),
    ("{a: [", "must be a YAML/JSON mapping"),
]


@pytest.mark.parametrize(("text", "message"), REFUSED, ids=[text for text, _ in REFUSED])
def test_refresh_vars_refuses_what_its_rule_does_not_accept(text: str, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_refresh_vars(text)
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_refresh_vars_accepts_values_in_range_and_reports_every_problem_at_once() -> None:
    assert parse_refresh_vars("{}") == {} and parse_refresh_vars("") == {}
    ok = "{session_timeout_minutes: 45, quarantine_rate_warn: 0, volume_drop_error_ratio: 2, quality_min_lines: 1}"
    assert parse_refresh_vars(ok) == {
        "session_timeout_minutes": 45,
        "quarantine_rate_warn": 0,
        "volume_drop_error_ratio": 2,
        "quality_min_lines": 1,
    }
    with pytest.raises(ValueError) as refused:
        parse_refresh_vars("{sesion_timeout_minutes: 45, late_arrival_days: soon}")
    assert "did you mean session_timeout_minutes?" in str(refused.value)
    assert "var late_arrival_days must be an integer" in str(refused.value)


def test_int_var_fails_loudly_on_a_non_integer_under_plain_dbt(tmp_path: Path) -> None:
    """Plain dbt does not pass through dbt_vars.py: the macro itself refuses "thirty" (a cast
    with the int filter made it 0, so every gap started a new session)."""
    paths = PipelinePaths(tmp_path / "raw", tmp_path / "warehouse" / "w.duckdb", tmp_path / "exports")
    paths.warehouse.parent.mkdir(parents=True)
    result = run_dbt(
        paths,
        "run-operation",
        "int_var",
        "--args",
        "{name: session_timeout_minutes}",
        "--vars",
        "{session_timeout_minutes: thirty}",
        work_dir=tmp_path / "dbt",
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "var session_timeout_minutes must be an integer (a whole number, unquoted), got 'thirty'" in output
