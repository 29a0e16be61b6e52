"""Where clickstream keeps its data: the raw landing zone, the DuckDB warehouse and the exports.

Each path comes from a command-line option, else an environment variable, else a default under
the project's ``data/`` folder:

- ``CLICKSTREAM_RAW_ROOT``  (default ``data/raw``): raw files under ``click_events/dt=YYYY-MM-DD/``;
- ``CLICKSTREAM_WAREHOUSE`` (default ``data/warehouse/clickstream.duckdb``): the DuckDB file;
- ``CLICKSTREAM_EXPORT_ROOT`` (default ``data/exports``): Parquet exports.

Relative paths given by the user are taken from the current directory; the defaults are taken
from the project root, so the scripts work from any directory.
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DT_DIR_PATTERN = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
RAW_FILE_SUFFIXES = (".jsonl", ".jsonl.gz")
# Each path: its command-line option, its environment variable, its default under the project.
PATH_SETTINGS = {
    "raw_root": ("--raw-root", "CLICKSTREAM_RAW_ROOT", "data/raw"),
    "warehouse": ("--warehouse", "CLICKSTREAM_WAREHOUSE", "data/warehouse/clickstream.duckdb"),
    "export_root": ("--export-root", "CLICKSTREAM_EXPORT_ROOT", "data/exports"),
}


@dataclass(frozen=True)
class PipelinePaths:
    """Absolute paths of the raw landing zone, the warehouse file and the export root."""

    raw_root: Path
    warehouse: Path
    export_root: Path

    @classmethod
    def resolve(
        cls,
        raw_root: str | None = None,
        warehouse: str | None = None,
        export_root: str | None = None,
    ) -> PipelinePaths:
        """Paths from explicit values, else the environment, else the project defaults."""

        def pick(explicit: str | None, setting: str) -> Path:
            _, env_name, default = PATH_SETTINGS[setting]
            value = explicit or os.environ.get(env_name)
            if value:
                return Path(value).expanduser().resolve()
            return (PROJECT_ROOT / default).resolve()

        return cls(
            raw_root=pick(raw_root, "raw_root"),
            warehouse=pick(warehouse, "warehouse"),
            export_root=pick(export_root, "export_root"),
        )

    def environment(self) -> dict[str, str]:
        """The environment variables that point dbt and the scripts at these paths."""
        return {env_name: str(getattr(self, setting)) for setting, (_, env_name, _) in PATH_SETTINGS.items()}


def add_path_options(
    parser: argparse.ArgumentParser,
    *,
    raw_root: str | None = None,
    warehouse: str | None = None,
    export_root: str | None = None,
) -> None:
    """Add the --raw-root / --warehouse / --export-root options a command takes, each described by
    what the command does with it (None: the command does not take it); PipelinePaths.resolve
    reads them."""
    for setting, purpose in (("raw_root", raw_root), ("warehouse", warehouse), ("export_root", export_root)):
        if purpose is not None:
            option, env_name, default = PATH_SETTINGS[setting]
            parser.add_argument(option, metavar="PATH", help=f"{purpose} (default: ${env_name} or {default})")


def unusable_location(path: Path, directory: bool) -> str | None:
    """Why `path` cannot be used as a directory (directory=True) or a file that a command reads or
    creates: it exists and is the other kind, or an existing ancestor is not a directory. None
    when it can be used (it exists as wanted, or can be created)."""
    if path.exists() and path.is_dir() != directory:
        return f"{path} is {'a file' if directory else 'a directory'}, not {'a directory' if directory else 'a file'}"
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else f"{path} cannot be created: {parent} is a file, not a directory"
    return None


def path_problems(paths: PipelinePaths, *settings: str) -> list[str]:
    """One message per path of `settings` (keys of PATH_SETTINGS) that cannot be used, naming the
    option and the variable to fix: a command checks its paths before it writes anything."""
    problems = []
    for setting in settings:
        option, env_name, _ = PATH_SETTINGS[setting]
        problem = unusable_location(getattr(paths, setting), directory=setting != "warehouse")
        if problem:
            problems.append(f"{problem}: point {option} (or ${env_name}) at a usable path")
    return problems


def landed_days(raw_root: Path) -> list[str]:
    """Landing days (YYYY-MM-DD) that hold at least one raw file, sorted."""
    events_dir = raw_root / "click_events"
    if not events_dir.is_dir():
        return []
    days = []
    for child in events_dir.iterdir():
        match = DT_DIR_PATTERN.match(child.name)
        if (
            match
            and child.is_dir()
            and any(f.name.endswith(RAW_FILE_SUFFIXES) and f.is_file() for f in child.iterdir())
        ):
            days.append(match.group(1))
    return sorted(days)


def raw_files(raw_root: Path) -> list[Path]:
    """Every landed raw file (plain or gzip JSON lines) under click_events/dt=*/, sorted by path
    (so by landing day, then file name)."""
    return sorted(
        p for p in (raw_root / "click_events").glob("dt=*/*") if p.is_file() and p.name.endswith(RAW_FILE_SUFFIXES)
    )
