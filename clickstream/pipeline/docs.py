"""``clickstream docs``: build the dbt docs site of the project, and serve it with ``--serve``.

The site documents every model, column, source, seed, macro and test, with the lineage graph.
``dbt docs generate --static`` also writes one self-contained page (``target/static_index.html``)
that opens from disk without a server.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from clickstream.paths import PROJECT_ROOT, PipelinePaths, add_path_options, path_problems
from clickstream.pipeline.dbt_process import DbtCommand, dbt_command
from clickstream.pipeline.lock import WarehouseLock, WarehouseLocked
from clickstream.pipeline.warehouse import WarehouseBusy, duckdb_lock_conflict

LOG = logging.getLogger("clickstream.docs")


# `dbt docs serve` serves what `dbt docs generate` wrote: both use the project's target/.
DOCS_TARGET = PROJECT_ROOT / "target"
DOCS_LOGS = PROJECT_ROOT / "logs"


class DocsError(RuntimeError):
    """dbt could not build the docs site; the message says why and what to do."""


def docs_command(paths: PipelinePaths, *arguments: str) -> DbtCommand:
    """A `dbt docs ...` command, built like every dbt command of the pipeline."""
    return dbt_command(paths, ["docs", *arguments], "dev", DOCS_TARGET, DOCS_LOGS)


def generate_docs(paths: PipelinePaths, pass_fds: tuple[int, ...] = ()) -> Path:
    """Run `dbt docs generate --static`; returns the self-contained HTML page. dbt-duckdb opens the
    warehouse read-write for the catalog: call it holding the warehouse lock, and pass its
    descriptor (WarehouseLock.pass_fds()) so dbt holds the lock while it runs."""
    result = docs_command(paths, "generate", "--static").run(pass_fds=pass_fds)
    if result.returncode != 0:
        raise DocsError(
            "dbt docs generate failed:\n"
            + (result.stdout + result.stderr).strip()[-4000:]
            + "\nFix the error above (usually a missing warehouse: run `clickstream refresh` first), "
            "then run `clickstream docs` again."
        )
    return DOCS_TARGET / "static_index.html"


def serve_docs(paths: PipelinePaths, port: int) -> int:
    """Serve the generated site with `dbt docs serve` until Ctrl-C; returns dbt's exit code."""
    command = docs_command(paths, "serve", "--port", str(port), "--no-browser")
    LOG.info("serving the docs on http://127.0.0.1:%d (Ctrl-C stops)", port)
    try:
        return command.run(capture=False).returncode
    except KeyboardInterrupt:
        return 0


def build_parser(prog: str = "clickstream docs") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Build the dbt docs site (models, columns, sources, seeds, macros, tests, lineage) "
        "into target/, including the self-contained target/static_index.html; "
        "--serve then serves it on localhost.",
    )
    parser.add_argument("--serve", action="store_true", help="serve the site after building it (Ctrl-C stops)")
    parser.add_argument("--port", type=int, default=8080, help="port for --serve (default: 8080)")
    add_path_options(parser, warehouse="DuckDB warehouse file whose catalog is documented")
    return parser


def main(argv: list[str] | None = None, prog: str = "clickstream docs") -> int:
    args = build_parser(prog).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if not 0 < args.port < 65536:
        print(f"error: --port {args.port} is not a TCP port (1-65535).", file=sys.stderr)
        return 2
    paths = PipelinePaths.resolve(warehouse=args.warehouse)
    # dbt-duckdb would create a missing warehouse file (at a mistyped path too): refused first.
    problems = path_problems(paths, "warehouse")
    if not problems and not paths.warehouse.exists():
        problems = [
            f"no warehouse at {paths.warehouse}: the docs describe the built tables, so run `clickstream "
            "refresh` first, or point --warehouse (or $CLICKSTREAM_WAREHOUSE) at the warehouse file"
        ]
    if problems:
        print(f"error: {'; '.join(problems)}.", file=sys.stderr)
        return 2
    # dbt docs generate opens the warehouse read-write: under the warehouse lock, or exit 2 at once
    # (held only while generating: serving reads target/ only).
    try:
        lock = WarehouseLock(paths.warehouse, prog).acquire()
    except WarehouseLocked as busy:
        print(
            f"error: `{prog}` cannot build the docs now: dbt docs generate opens the warehouse, which "
            f"another command is writing; run it again after that command has finished. {busy}",
            file=sys.stderr,
        )
        return 2
    try:
        page = generate_docs(paths, lock.pass_fds())
    except DocsError as error:
        conflict = duckdb_lock_conflict(str(error))  # the file is open in a process outside the lock
        print(f"error: {WarehouseBusy(paths.warehouse, *conflict) if conflict else error}", file=sys.stderr)
        return 2 if conflict else 1
    finally:
        lock.release()
    print(f"dbt docs built: open {page} in a browser (self-contained)")
    if args.serve:
        return serve_docs(paths, args.port)
    return 0
