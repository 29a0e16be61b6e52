"""The `clickstream` console command: every subcommand answers --help from the installed entry
point, and mistakes at the top level are usage errors, never tracebacks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from clickstream import cli
from clickstream.paths import PROJECT_ROOT

CLICKSTREAM = Path(sys.executable).with_name("clickstream")
SUBCOMMANDS = [
    *([name] for name in cli.COMMANDS),
    *([name] for name in cli.SERVICES),
    *([group, name] for group, (_, commands) in cli.GROUPS.items() for name in commands),
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLICKSTREAM), *args], capture_output=True, text=True, timeout=120, cwd="/")


def test_the_console_script_is_installed_in_the_venv() -> None:
    assert CLICKSTREAM.is_file(), "run `make setup`: it installs the package and its `clickstream` command"


def test_top_level_help_lists_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0, result.stderr
    for name in [*cli.COMMANDS, *cli.SERVICES, *cli.GROUPS]:
        assert re.search(rf"^\s+{name}\s", result.stdout, re.M), (name, result.stdout)


@pytest.mark.parametrize("words", SUBCOMMANDS, ids=" ".join)
def test_every_subcommand_has_its_own_help(words: list[str]) -> None:
    result = run(*words, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: clickstream {' '.join(words)}"), result.stdout[:200]
    assert "--" in result.stdout and "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [[], ["no-such-command"], ["kafka"], ["kafka", "no-such-command"]], ids=repr)
def test_a_missing_or_unknown_command_is_a_usage_error(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "usage: clickstream" in result.stderr and "Traceback" not in result.stderr


def test_python_dash_m_runs_the_same_command() -> None:
    result = subprocess.run([sys.executable, "-m", "clickstream", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("clickstream "), result.stderr


def test_no_module_of_the_project_edits_sys_path() -> None:
    """Modules import each other as a package (or, under scripts/, as siblings of the script)."""
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for folder in ("clickstream", "scripts", "tests")
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"sys\.path\.(insert|append)|spec_from_file_location", line) and "re.search" not in line
    ]
    assert not offenders


@pytest.mark.parametrize(
    ("conf", "status", "message"),
    [
        ("spark.sql.codegen.wholeStage", 2, "is not KEY=VALUE"),
        ("codegen=false", 1, "KEY starting with spark."),
        ("spark.sql.codegen.wholeStage=", 1, "KEY starting with spark."),
        ("spark.sql.session.timeZone=GMT", 1, "cannot change spark.sql.session.timeZone"),
        ("spark.sql.warehouse.dir=/elsewhere", 1, "cannot change spark.sql.warehouse.dir"),
    ],
    ids=lambda value: value if isinstance(value, str) and "=" in value else None,
)
def test_spark_start_refuses_a_bad_conf_before_starting_anything(
    conf: str, status: int, message: str, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    result = run("spark", "start", "--state-dir", str(state), "--conf", conf)
    assert (result.returncode, "Traceback" in result.stderr) == (status, False), result.stderr
    assert message in result.stderr and not state.exists(), result.stderr
