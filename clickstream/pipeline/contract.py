"""The public tables' contract as the Python side reads it: every fact has one home on the dbt
side, and this module reads it there instead of keeping a copy.

- Public tables: the models in ``models/marts/`` (dbt_project.yml gives them schema ``main``);
  a table's key is its ``unique_key`` config.
- Export (``clickstream export``): a mart's ``meta.export`` in its own ``config()``
  (``models/marts/<mart>.sql``): ``partition_column``, the date column that names the hive
  directories ``<column>=YYYY-MM-DD`` (``none``: the table is exported whole, one file), and
  ``order_by``, the rows' order in each file. A mart without ``meta.export`` is not exported.
- Spark storage and tested window: the same ``config()``'s ``partition_by`` and
  ``meta.refreshed_window_column`` (read by dbt itself; here for the tests that compare them).
- Quarantine reasons: ``seeds/quarantine_reasons.csv``, in rule order.

The model facts come from a dbt manifest: the one the last dbt run on a warehouse wrote
(``run_manifest``: the contract the warehouse's tables were built with), or the project's as it
is now (``project_manifest``: ``dbt parse``, cached per content of the dbt project's files).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from clickstream.paths import PROJECT_ROOT, PipelinePaths
from clickstream.pipeline.dbt_process import dbt_command

QUARANTINE_REASONS_SEED = PROJECT_ROOT / "seeds" / "quarantine_reasons.csv"
MARTS_FOLDER = "marts"
# What `dbt parse` reads: a change to any of these files can change the manifest.
DBT_PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests", "analyses")
DBT_FILE_SUFFIXES = (".sql", ".yml", ".yaml", ".csv", ".md")


class ContractError(RuntimeError):
    """The dbt project's contract cannot be read; the message says where and what to fix."""


@dataclass(frozen=True)
class PublicTable:
    """A public table (a model in models/marts/) as its model's config describes it."""

    name: str
    key: str
    # The Parquet export: exported, by which date column (None: whole, one file), rows in which order.
    exported: bool
    partition_column: str | None
    order_by: tuple[str, ...]
    # Why the export's partition column differs from Spark's partition_by, when it does.
    partition_by_differs: str | None
    spark_partition_by: tuple[str, ...]
    refreshed_window_column: str | None
    # The columns documented in the model's yml, in their order.
    documented_columns: tuple[str, ...]
    source_file: str

    @property
    def order_by_sql(self) -> str:
        """The export's ORDER BY list (portable SQL)."""
        return ", ".join(self.order_by)


def dbt_target_path(paths: PipelinePaths) -> Path:
    """dbt's target directory for this warehouse (next to it), so runs against different
    warehouses never share compiled files, run results or manifests."""
    return paths.warehouse.parent / "dbt_target"


def load_manifest(path: Path) -> dict[str, Any]:
    """A manifest.json written by dbt."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ContractError(f"cannot read the dbt manifest {path}: {error}") from error


def parse_project(target_path: Path, paths: PipelinePaths, target: str = "dev") -> Path:
    """Run `dbt parse` (no warehouse is opened) writing target_path/manifest.json; returns its path."""
    result = dbt_command(paths, ["parse", "--no-partial-parse"], target, target_path, target_path / "logs").run()
    manifest = target_path / "manifest.json"
    if result.returncode != 0 or not manifest.exists():
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise ContractError(f"`dbt parse` failed, so the public tables' contract cannot be read:\n{tail}")
    return manifest


def run_manifest(paths: PipelinePaths, target: str = "dev") -> dict[str, Any]:
    """The manifest of the last dbt run on this warehouse (`clickstream refresh` writes it to
    dbt_target_path()); when there is none yet, `dbt parse` writes it there first."""
    manifest = dbt_target_path(paths) / "manifest.json"
    if not manifest.exists():
        parse_project(dbt_target_path(paths), paths, target)
    return load_manifest(manifest)


def project_fingerprint() -> str:
    """A hash of every file `dbt parse` reads and of dbt's version: equal fingerprints, equal manifests."""
    digest = hashlib.sha256(metadata.version("dbt-core").encode())
    for part in DBT_PROJECT_PARTS:
        root = PROJECT_ROOT / part
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.suffix in DBT_FILE_SUFFIXES)
        for file in files:
            if file.is_file():
                digest.update(str(file.relative_to(PROJECT_ROOT)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@cache
def project_manifest() -> dict[str, Any]:
    """The dbt project's manifest as its files are now, from `dbt parse` (about 5 s), cached in the
    temporary directory per content of the project (so parallel test processes parse once)."""
    checkout = hashlib.sha256(str(PROJECT_ROOT).encode()).hexdigest()[:8]
    cache_dir = Path(tempfile.gettempdir()) / f"clickstream-dbt-manifest-{os.getuid()}-{checkout}"
    cached = cache_dir / f"{project_fingerprint()}.json"
    if not cached.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="parse-", dir=cache_dir))
        try:
            scratch = PipelinePaths(work / "raw", work / "unused.duckdb", work / "exports")
            manifest = parse_project(work / "target", scratch)
            for stale in cache_dir.glob("*.json"):
                stale.unlink(missing_ok=True)
            os.replace(manifest, cached)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return load_manifest(cached)


def _string_list(value: Any, what: str, source: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ContractError(f"{source}: {what} must be a column name or a list of column names, got {value!r}")


def public_table(node: dict[str, Any]) -> PublicTable:
    """One public table from its manifest node (a model in models/marts/)."""
    config, source = node["config"], node["original_file_path"]
    meta = config.get("meta") or {}
    export = meta.get("export")
    if export is not None and not isinstance(export, dict):
        raise ContractError(f"{source}: meta.export must be a mapping (partition_column, order_by), got {export!r}")
    export = export or {}
    partition_column = export.get("partition_column")
    order_by = _string_list(export.get("order_by"), "meta.export.order_by", source)
    if "export" in meta and not order_by:
        raise ContractError(f"{source}: meta.export needs order_by, the columns that order each exported file's rows")
    if partition_column is not None and not isinstance(partition_column, str):
        raise ContractError(f"{source}: meta.export.partition_column must be a column name or none")
    key = config.get("unique_key")
    if not isinstance(key, str):
        raise ContractError(f"{source}: a public table needs one unique_key column (its key), got {key!r}")
    return PublicTable(
        name=node["name"],
        key=key,
        exported="export" in meta,
        partition_column=partition_column,
        order_by=order_by,
        partition_by_differs=export.get("partition_by_differs"),
        spark_partition_by=_string_list(config.get("partition_by"), "partition_by", source),
        refreshed_window_column=meta.get("refreshed_window_column"),
        documented_columns=tuple(node.get("columns") or {}),
        source_file=source,
    )


def public_tables(manifest: dict[str, Any]) -> tuple[PublicTable, ...]:
    """Every public table of the project (the models in models/marts/), by name."""
    project = manifest["metadata"].get("project_name", "clickstream")
    nodes = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["package_name"] == project
        and len(node["fqn"]) > 2
        and node["fqn"][1] == MARTS_FOLDER
    ]
    if not nodes:
        raise ContractError(f"the dbt manifest has no models in models/{MARTS_FOLDER}/: is it this project's?")
    return tuple(public_table(node) for node in sorted(nodes, key=lambda n: n["name"]))


def exported_tables(manifest: dict[str, Any]) -> tuple[PublicTable, ...]:
    """The public tables with a meta.export, by name."""
    return tuple(table for table in public_tables(manifest) if table.exported)


# The fields of the event contract, in the order of int_click_events_validated's field lists
# (docs/rules.md); any other field of a line is an extra field. The model's own copy is its
# `contract_fields` list.
EVENT_FIELDS = (
    "event_id",
    "user_id",
    "event_type",
    "event_ts",
    "page_url",
    "referrer",
    "user_agent",
    "ip",
    "properties",
)


@cache
def quarantine_reasons() -> tuple[str, ...]:
    """The quarantine reason codes in rule order (seeds/quarantine_reasons.csv)."""
    try:
        with open(QUARANTINE_REASONS_SEED, newline="", encoding="utf-8") as handle:
            rows = sorted(csv.DictReader(handle), key=lambda row: int(row["rule_order"]))
    except (OSError, KeyError, ValueError) as error:
        raise ContractError(f"cannot read the quarantine reasons from {QUARANTINE_REASONS_SEED}: {error}") from error
    return tuple(row["reason"] for row in rows)
