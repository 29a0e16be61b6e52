"""A full disk, said clearly: recognise "no space left" from any layer (Python's OSError, DuckDB,
dbt's output) and tell the user which filesystem is full, how much is free and what to do.

Nothing is lost when the disk fills up: DuckDB rolls back the transaction that could not be
written, an export file is only moved into place once written whole, and the export's work list
is in the warehouse (clickstream/pipeline/export.py). So the advice is always the same: free
space, then run the same command again.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

# How each layer words it: the OS (strerror of ENOSPC / EDQUOT), DuckDB, dbt passing either on.
MARKERS = ("no space left on device", "disk quota exceeded", "disk is full", "not enough space on the disk")


def is_disk_full(error: BaseException | str) -> bool:
    """Whether an exception (or an error text) says that a disk or quota is full."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(error).lower()
    return any(marker in text for marker in MARKERS)


def existing_parent(path: Path) -> Path:
    """The path itself or its nearest existing parent (what disk_usage can measure)."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def free_space_report(paths: list[Path]) -> list[str]:
    """One line per distinct filesystem among paths: where, free bytes and size."""
    lines, seen = [], set()
    for path in [*paths, Path(tempfile.gettempdir())]:
        probe = existing_parent(path)
        device = os.stat(probe).st_dev
        if device in seen:
            continue
        seen.add(device)
        usage = shutil.disk_usage(probe)
        lines.append(f"  {path}: {usage.free / 1e6:,.1f} MB free of {usage.total / 1e6:,.1f} MB")
    return lines


def disk_full_message(what: str, paths: list[Path]) -> str:
    """The message for a command that stopped on a full disk."""
    return "\n".join(
        [
            f"the disk is full: {what} could not be written. Free space now:",
            *free_space_report(paths),
            "Free space there (or point --warehouse / --export-root at a larger disk), then run the same "
            "command again: nothing committed is lost, and the run resumes where it stopped.",
        ]
    )
