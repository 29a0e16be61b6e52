"""How clickstream runs dbt: one command line, environment and working directory for every dbt
command of a pipeline, and dbt's partial-parse state shared between warehouses.

dbt parses the whole project again (about 4 s of CPU here, at every new warehouse's first
command) when its target directory holds no ``partial_parse.msgpack``, or when the profile's
connection settings differ from those the state was saved with; the DuckDB warehouse's path is one
of them. So a command on the ``dev`` target runs in the warehouse's directory and gives dbt the
path relative to it, the file name (environment ``CLICKSTREAM_DBT_WAREHOUSE``, read by
profiles.yml): the settings dbt compares are then the same for every warehouse file of that name.
Before a command whose target directory has no state, the state the last command of the same
kind left in the shared cache (``target/partial_parse/`` of the project) is copied in; after it,
the state dbt wrote is copied back. dbt checks a seeded state exactly as its own (every file's
checksum, the vars, the profile's settings, the environment variables the files read), so a seed
that does not fit costs only the full parse that would have run anyway.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from clickstream.paths import PROJECT_ROOT, PipelinePaths

LOG = logging.getLogger(__name__)

# The profile target whose DuckDB file is the warehouse (profiles.yml); the other DuckDB targets
# are in memory, and the Spark targets keep relative paths from the project root.
WAREHOUSE_TARGET = "dev"
PARSE_STATE = "partial_parse.msgpack"
SHARED_PARSE_STATES = PROJECT_ROOT / "target" / "partial_parse"


def dbt_executable() -> str:
    """The dbt next to this Python (the project's .venv), else dbt on PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def option_value(arguments: list[str], option: str) -> str:
    """The value that follows `option` in a dbt argument list, '' without it."""
    return arguments[arguments.index(option) + 1] if option in arguments[:-1] else ""


@dataclass(frozen=True)
class DbtCommand:
    """One dbt command of a pipeline: its argument list, environment and working directory, and
    where dbt's partial-parse state is shared (None: not shared)."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path
    target_path: Path
    shared_state: Path | None

    def run(self, *, capture: bool = True, pass_fds: tuple[int, ...] = ()) -> subprocess.CompletedProcess:
        """Run it to the end (output captured as text unless capture is False)."""
        self.seed_parse_state()
        LOG.info("running in %s: %s", self.cwd, " ".join(self.argv))
        try:
            return subprocess.run(
                self.argv, cwd=self.cwd, env=self.env, capture_output=capture, text=True, pass_fds=pass_fds
            )
        finally:
            self.keep_parse_state()

    def start(self, *, pass_fds: tuple[int, ...] = ()) -> subprocess.Popen:
        """Start it, its output (stdout and stderr) in one text pipe; keep_parse_state() after it ends."""
        self.seed_parse_state()
        LOG.info("running in %s: %s", self.cwd, " ".join(self.argv))
        return subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            pass_fds=pass_fds,
        )

    def seed_parse_state(self) -> None:
        """Copy the shared partial-parse state into the target directory when it has none."""
        state = self.target_path / PARSE_STATE
        if self.shared_state is None or state.exists() or not self.shared_state.exists():
            return
        try:
            copy_atomically(self.shared_state, state)
            LOG.debug("dbt's parse state seeded from %s", self.shared_state)
        except OSError as error:  # only a full parse is lost
            LOG.debug("dbt's parse state not seeded (%s)", error)

    def keep_parse_state(self) -> None:
        """Copy the partial-parse state dbt left in the target directory to the shared cache, when
        it is not the one there already."""
        state = self.target_path / PARSE_STATE
        if self.shared_state is None or not state.exists():
            return
        try:
            if self.shared_state.exists() and same_file_state(state, self.shared_state):
                return
            copy_atomically(state, self.shared_state)
        except OSError as error:  # the next new warehouse parses in full
            LOG.debug("dbt's parse state not shared (%s)", error)


def same_file_state(first: Path, second: Path) -> bool:
    """Whether two files have the same size and modification time (copy_atomically keeps it)."""
    a, b = first.stat(), second.stat()
    return (a.st_size, a.st_mtime_ns) == (b.st_size, b.st_mtime_ns)


def copy_atomically(source: Path, destination: Path) -> None:
    """Copy a file (with its modification time) so that readers see the old or the new file whole."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{destination.name}.", dir=destination.parent)
    os.close(handle)
    try:
        shutil.copy2(source, temporary)
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def shared_parse_state(project_dir: Path, target: str, warehouse_name: str, arguments: list[str]) -> Path:
    """Where the partial-parse state of dbt commands of this kind is shared: one file per project
    directory, dbt version, target, warehouse file name and --vars value (what dbt compares)."""
    key = "\0".join(
        (str(project_dir), metadata.version("dbt-core"), target, warehouse_name, option_value(arguments, "--vars"))
    )
    return SHARED_PARSE_STATES / f"{target}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.msgpack"


def dbt_command(
    paths: PipelinePaths,
    arguments: list[str],
    target: str,
    target_path: Path,
    log_path: Path,
    project_dir: Path = PROJECT_ROOT,
) -> DbtCommand:
    """One dbt command on this pipeline's paths, its target and log directories given."""
    argv = [
        dbt_executable(),
        *arguments,
        "--target",
        target,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(target_path),
        "--log-path",
        str(log_path),
    ]
    env = {**os.environ, **paths.environment(), "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cwd = project_dir
    warehouse_name = ""
    if target == WAREHOUSE_TARGET and paths.warehouse.parent.is_dir():
        # the warehouse's path as dbt compares it is the same for every warehouse of this name
        cwd, warehouse_name = paths.warehouse.parent, paths.warehouse.name
        env["CLICKSTREAM_DBT_WAREHOUSE"] = warehouse_name
    else:
        env.pop("CLICKSTREAM_DBT_WAREHOUSE", None)
    shared = (
        None
        if "--no-partial-parse" in arguments
        else shared_parse_state(project_dir, target, warehouse_name, arguments)
    )
    return DbtCommand(argv, env, cwd, target_path, shared)
