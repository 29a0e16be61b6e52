"""Kafka client settings shared by the Kafka scripts (publish_events, land_from_kafka, the bench).

Any librdkafka setting (https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md),
for example SASL/TLS, comes from, in increasing order of precedence:

1. ``--kafka-config FILE``: ``key=value`` lines (``#`` or ``!`` starts a comment line, blank
   lines are ignored, whitespace around key and value is stripped), e.g.
   ``security.protocol=SASL_SSL``;
2. environment variables ``CLICKSTREAM_KAFKA_<UPPER_SNAKE>``, mapped to librdkafka's
   ``lower.dotted`` names: ``CLICKSTREAM_KAFKA_SASL_PASSWORD`` -> ``sasl.password``;
3. the script's own options (``--bootstrap-servers`` ...).

Secrets never come from the repository: a config file inside the project directory that holds a
secret-looking setting (password, secret, private key, token, JAAS config) is refused; keep such
files outside the work tree (or pass the secret in the environment). Secret values are never
logged (see :func:`redacted`).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from clickstream.paths import PROJECT_ROOT

ENV_PREFIX = "CLICKSTREAM_KAFKA_"
#: A setting whose name contains one of these is a secret: never logged, never read from the repo.
SECRET_MARKERS = (
    "password",
    "secret",
    "jaas",
    "token",
    "key.pem",
    "certificate.pem",
    "keystore",
    "private",
    "oauthbearer.config",
    "sasl.oauthbearer.client",
)
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

LOG = logging.getLogger("clickstream.kafka_config")


class KafkaConfigError(ValueError):
    """A Kafka setting is malformed, conflicting or comes from a forbidden place."""


def is_secret(key: str) -> bool:
    """True for settings whose value must not be logged or kept in the repository."""
    lowered = key.lower()
    return any(marker in lowered for marker in SECRET_MARKERS)


def redacted(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with secret values replaced by ``***`` and callables by their name, for logs."""
    out: dict[str, Any] = {}
    for key, value in sorted(config.items()):
        if callable(value):
            out[key] = getattr(value, "__name__", "<callable>")
        elif is_secret(key):
            out[key] = "***"
        else:
            out[key] = value
    return out


def parse_config_lines(lines: Iterable[str], source: str = "<config>") -> dict[str, str]:
    """Parse ``key=value`` lines; raises :class:`KafkaConfigError` naming the bad line."""
    config: dict[str, str] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not KEY_PATTERN.match(key):
            raise KafkaConfigError(
                f"{source}:{number}: expected key=value with a librdkafka "
                f"setting name (lower.dotted), got {raw.rstrip()!r}"
            )
        config[key] = value
    return config


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
        return True
    except ValueError:
        return False


def read_config_file(path: Path, project_root: Path = PROJECT_ROOT) -> dict[str, str]:
    """Settings from a ``key=value`` file; refuses secrets kept inside the project directory."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KafkaConfigError(f"cannot read --kafka-config {path}: {exc.strerror or exc}") from None
    config = parse_config_lines(text.splitlines(), str(path))
    secrets = sorted(key for key in config if is_secret(key))
    if secrets and _inside(path, project_root):
        raise KafkaConfigError(
            f"{path} is inside the project directory {project_root} and holds secret settings "
            f"({', '.join(secrets)}): keep secrets out of the repository; move the file elsewhere "
            f"or pass them as {ENV_PREFIX}<NAME> environment variables"
        )
    return config


def env_name(key: str) -> str:
    """``sasl.password`` -> ``CLICKSTREAM_KAFKA_SASL_PASSWORD``."""
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", key).upper()


def config_from_env(environ: Mapping[str, str]) -> dict[str, str]:
    """Settings from ``CLICKSTREAM_KAFKA_<UPPER_SNAKE>`` variables (``_`` becomes ``.``)."""
    config: dict[str, str] = {}
    for name, value in environ.items():
        if name.startswith(ENV_PREFIX) and len(name) > len(ENV_PREFIX):
            key = name[len(ENV_PREFIX) :].lower().replace("_", ".")
            config[key] = value
    return config


def client_config(
    *,
    bootstrap_servers: str | None,
    config_file: Path | None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The merged librdkafka configuration: file < environment < options (``overrides``)."""
    config: dict[str, Any] = {}
    if config_file is not None:
        config.update(read_config_file(config_file))
    config.update(config_from_env(os.environ if environ is None else environ))
    if bootstrap_servers:
        config["bootstrap.servers"] = bootstrap_servers
    config.update(overrides or {})
    if not config.get("bootstrap.servers"):
        raise KafkaConfigError(
            "no bootstrap servers: pass --bootstrap-servers, set bootstrap.servers in "
            f"--kafka-config or set {env_name('bootstrap.servers')}"
        )
    return config


def add_client_arguments(parser: argparse.ArgumentParser) -> None:
    """``--bootstrap-servers`` and ``--kafka-config``, with the precedence explained."""
    parser.add_argument(
        "--bootstrap-servers",
        metavar="HOST:PORT[,...]",
        help=f"Kafka bootstrap servers (else bootstrap.servers from --kafka-config or "
        f"${env_name('bootstrap.servers')})",
    )
    parser.add_argument(
        "--kafka-config",
        type=Path,
        metavar="FILE",
        help="librdkafka settings as key=value lines (SASL/TLS, timeouts...); overridden by "
        f"{ENV_PREFIX}<UPPER_SNAKE> environment variables (e.g. {env_name('sasl.password')}"
        " -> sasl.password), which the options override. A file inside the project "
        "directory must not hold secrets",
    )


def ensure_topic(
    admin: Any,
    topic: str,
    partitions: int,
    replication_factor: int = 1,
    topic_config: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[bool, int]:
    """Create ``topic`` unless it exists; returns (created, partition count)."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import NewTopic

    # list every topic: a metadata request naming the topic could auto-create it with the
    # broker's default partition count
    existing = admin.list_topics(timeout=timeout).topics.get(topic)
    if existing is not None and existing.error is None and existing.partitions:
        return False, len(existing.partitions)
    futures = admin.create_topics(
        [NewTopic(topic, partitions, replication_factor, config=dict(topic_config or {}))],
        operation_timeout=timeout,
        request_timeout=timeout,
    )
    created = True
    try:
        futures[topic].result(timeout=timeout)
    except KafkaException as exc:
        if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise
        created = False
    deadline = time.monotonic() + timeout
    while True:  # wait until the metadata shows every partition
        meta = admin.list_topics(timeout=timeout).topics.get(topic)
        if meta is not None and meta.error is None and len(meta.partitions) >= (partitions if created else 1):
            return created, len(meta.partitions)
        if time.monotonic() > deadline:
            raise TimeoutError(f"topic {topic} not visible in the metadata after {timeout:.0f} s")
        time.sleep(0.1)
