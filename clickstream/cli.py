"""The ``clickstream`` command: one entry point, a subcommand for each job.

Each subcommand is a module with ``main(argv, prog)``; this module only routes to it, so
``clickstream <command> --help`` is that module's own help and the modules stay importable and
testable on their own. Modules are imported when their command runs, so ``clickstream --help``
and light commands do not pay for the heavy imports of the others.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass

from clickstream import __version__


@dataclass(frozen=True)
class Command:
    """A subcommand: the module whose ``main(argv, prog)`` runs it, and its one-line help."""

    module: str
    help: str


COMMANDS: dict[str, Command] = {
    "sample": Command(
        "clickstream.pipeline.sample",
        "land a sample, refresh, export, build the docs and the report (what `make run` does)",
    ),
    "generate": Command("clickstream.ingest.generate", "write generated click events into the landing zone"),
    "check-files": Command(
        "clickstream.ingest.file_check",
        "check landed raw files as a whole (gzip integrity, type, size, sha256) before dbt reads them",
    ),
    "refresh": Command(
        "clickstream.pipeline.refresh", "process the landed days not processed yet (dbt build), then export Parquet"
    ),
    "export": Command("clickstream.pipeline.export", "write the public tables' changed (or all) Parquet partitions"),
    "report": Command("clickstream.report.html", "write the self-contained HTML report on the warehouse"),
    "docs": Command("clickstream.pipeline.docs", "build the dbt docs site; --serve serves it"),
}
# Commands with commands of their own: `clickstream kafka publish`, ...
GROUPS: dict[str, tuple[str, dict[str, Command]]] = {
    "kafka": (
        "publish events to Kafka, or land a topic into the landing zone",
        {
            "publish": Command("clickstream.ingest.publish", "publish generated or landed events to a Kafka topic"),
            "land": Command("clickstream.ingest.land", "land a Kafka topic as raw files, exactly once per offset"),
        },
    ),
}
# Commands whose module parses its own sub-commands (start / status / stop).
SERVICES: dict[str, Command] = {
    "spark": Command(
        "clickstream.local.spark_cluster",
        "start | status | stop a local Spark standalone cluster with its Thrift server",
    ),
    "broker": Command("clickstream.local.broker", "start | status | stop | run the local tansu Kafka test broker"),
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser; it only lists the commands (each command parses its own options)."""
    parser = argparse.ArgumentParser(
        prog="clickstream",
        description="A partitioned, append-only, replayable click-event pipeline on dbt + DuckDB. "
        "`clickstream <command> --help` describes each command.",
    )
    parser.add_argument("--version", action="version", version=f"clickstream {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for name, command in COMMANDS.items():
        sub.add_parser(name, help=command.help, add_help=False)
    for name, (group_help, _) in GROUPS.items():
        sub.add_parser(name, help=group_help + " (" + " | ".join(GROUPS[name][1]) + ")", add_help=False)
    for name, command in SERVICES.items():
        sub.add_parser(name, help=command.help, add_help=False)
    return parser


def group_parser(name: str) -> argparse.ArgumentParser:
    """The parser of a command group; it only lists the group's commands."""
    group_help, commands = GROUPS[name]
    parser = argparse.ArgumentParser(
        prog=f"clickstream {name}", description=group_help[0].upper() + group_help[1:] + "."
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for command_name, command in commands.items():
        sub.add_parser(command_name, help=command.help, add_help=False)
    return parser


def run(command: Command, argv: list[str], prog: str) -> int:
    """Import a command's module and run its main()."""
    module = importlib.import_module(command.module)
    return int(module.main(argv, prog=prog) or 0)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    name, rest = (argv[0], argv[1:]) if argv else (None, [])
    if name in COMMANDS:
        return run(COMMANDS[name], rest, f"clickstream {name}")
    if name in SERVICES:
        return run(SERVICES[name], rest, f"clickstream {name}")
    if name in GROUPS:
        commands = GROUPS[name][1]
        if rest and rest[0] in commands:
            return run(commands[rest[0]], rest[1:], f"clickstream {name} {rest[0]}")
        group_parser(name).parse_args(rest)  # prints the group's help or a usage error, and exits
        return 2
    build_parser().parse_args(argv)  # --help, --version, or a usage error naming the commands
    return 2
