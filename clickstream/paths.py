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
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DT_DIR_PATTERN = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
RAW_FILE_SUFFIXES = (".jsonl", ".jsonl.gz")
# A file `clickstream kafka land` is writing (`.<raw file name>.<pid>.tmp`): renamed to its raw
# name once complete, removed by the lander's next start if it died; its lines are landed again
# from the topic, so it is neither read nor an unread entry (counting it would make
# agg_ingest_daily.unread_entries depend on when a refresh ran).
LANDER_TEMPORARY = re.compile(r"^\..+\.jsonl(\.gz)?\.\d+\.tmp$")


def lander_temporary_name(raw_name: str, pid: int) -> str:
    """The name `clickstream kafka land` (process pid) writes the raw file raw_name under until it
    is complete: the name LANDER_TEMPORARY matches."""
    return f".{raw_name}.{pid}.tmp"


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


def landing_day(folder_name: str) -> str | None:
    """The landing day (YYYY-MM-DD) of a landing folder's name `dt=YYYY-MM-DD`, or None when the
    name is not that or its day is not a calendar date (dt=2024-02-30: not read)."""
    match = DT_DIR_PATTERN.match(folder_name)
    if not match:
        return None
    try:
        date.fromisoformat(match.group(1))
    except ValueError:
        return None
    return match.group(1)


def landed_days(raw_root: Path) -> list[str]:
    """Landing days (YYYY-MM-DD) that hold at least one raw file, sorted."""
    events_dir = raw_root / "click_events"
    if not events_dir.is_dir():
        return []
    days = []
    for child in events_dir.iterdir():
        day = landing_day(child.name)
        if day and child.is_dir() and any(f.name.endswith(RAW_FILE_SUFFIXES) and f.is_file() for f in child.iterdir()):
            days.append(day)
    return sorted(days)


def raw_files(raw_root: Path) -> list[Path]:
    """Every landed raw file (plain or gzip JSON lines) under click_events/dt=*/, sorted by path
    (so by landing day, then file name)."""
    return sorted(
        p
        for p in (raw_root / "click_events").glob("dt=*/*")
        if landing_day(p.parent.name) and p.is_file() and p.name.endswith(RAW_FILE_SUFFIXES)
    )


# Why an entry under the raw root is not read (unread_entries()), by reason code.
UNREAD_REASONS = {
    "wrong_extension": "not named *.jsonl or *.jsonl.gz (lower case)",
    "outside_click_events": "not under click_events/ (a day folder is <raw root>/click_events/dt=YYYY-MM-DD/)",
    "not_in_day_folder": "not in a dt=YYYY-MM-DD/ folder of click_events/",
    "bad_dt": "in a dt= folder whose day is not a calendar date YYYY-MM-DD",
    "nested": "in a sub-folder of a day folder (only its direct entries are read)",
}


@dataclass(frozen=True)
class UnreadEntry:
    """An entry under the raw root that no refresh reads (the raw contract: README, docs/rules.md)."""

    path: str  # relative to the raw root
    reason: str  # a key of UNREAD_REASONS
    dt: str | None  # the landing day whose folder holds it (wrong_extension, nested), else None

    def describe(self) -> str:
        hint = ""
        if self.reason == "wrong_extension" and self.path.lower().endswith(RAW_FILE_SUFFIXES):
            hint = " (the extension's case: only lower case is read)"
        return f"{self.path}{hint}"


def unread_entries(raw_root: Path) -> list[UnreadEntry]:
    """Every entry under the raw root that will not be read, with its reason, sorted by path: the
    files (and other non-directories, symlinks to folders) outside the landing folders
    click_events/dt=YYYY-MM-DD/ or not named like raw files in them (empty folders hold nothing). The entries named like raw
    files in a landing folder (raw_files(), and directories or FIFOs that the file check
    quarantines) are read or quarantined, so not listed; neither is what such an entry holds."""
    if not raw_root.is_dir():
        return []
    found = []
    for folder, dirs, files in os.walk(raw_root):
        parts = Path(folder).relative_to(raw_root).parts
        day = landing_day(parts[1]) if len(parts) == 2 and parts[0] == "click_events" else None
        if day:  # a landing folder: its entries named like raw files are checked, not walked
            dirs[:] = [d for d in dirs if not d.endswith(RAW_FILE_SUFFIXES)]
        linked = [d for d in dirs if os.path.islink(os.path.join(folder, d))]  # not walked: listed
        for name in sorted([*files, *linked]):
            entry = (*parts, name)
            if entry[0] != "click_events":
                reason = "outside_click_events"
            elif len(entry) == 2 or not entry[1].startswith("dt="):
                reason = "not_in_day_folder"
            elif not landing_day(entry[1]):
                reason = "bad_dt"
            elif len(entry) > 3:
                reason = "nested"
            elif LANDER_TEMPORARY.match(name):
                continue  # being written by `clickstream kafka land`: a raw file once renamed
            elif not name.endswith(RAW_FILE_SUFFIXES):
                reason = "wrong_extension"
            else:
                continue  # a raw file (or an entry the file check quarantines)
            owner = landing_day(entry[1]) if reason in ("wrong_extension", "nested") else None
            found.append(UnreadEntry("/".join(entry), reason, owner))
    return sorted(found, key=lambda entry: entry.path)


def unread_counts(entries: list[UnreadEntry]) -> dict[str, int]:
    """How many unread entries each landing day's folder holds."""
    return dict(Counter(entry.dt for entry in entries if entry.dt))


def unread_summary(raw_root: Path, entries: list[UnreadEntry], per_reason: int = 5) -> str:
    """The unread entries in a few lines: the count, then per reason its meaning and at most
    `per_reason` paths (`... and n more`)."""
    noun = "entry" if len(entries) == 1 else "entries"
    lines = [f"{len(entries)} {noun} under {raw_root} will not be read (raw contract: README, docs/rules.md):"]
    for reason, meaning in UNREAD_REASONS.items():
        group = [entry for entry in entries if entry.reason == reason]
        if group:
            shown = ", ".join(entry.describe() for entry in group[:per_reason])
            more = f" ... and {len(group) - per_reason} more" if len(group) > per_reason else ""
            lines.append(f"  {reason}: {len(group)} ({meaning}): {shown}{more}")
    return "\n".join(lines)
