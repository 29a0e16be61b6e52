"""Helpers for the Kafka ingestion tests: reading a topic back, the group's
committed offsets, the landed files per partition, and running the lander as a subprocess."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import time
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path

from clickstream.paths import PROJECT_ROOT

#: tansu answers JoinGroup after ~session.timeout.ms / 2: keep it short so that joins (and
#: rejoins after a SIGKILLed member) take a second or two, not 23 s.
FAST_GROUP_SETTINGS = "session.timeout.ms=1500\nheartbeat.interval.ms=300\n"


def unique(name: str) -> str:
    return f"{name}_{uuid.uuid4().hex[:8]}"


def kafka_config_file(directory: Path) -> Path:
    path = directory / "kafka.conf"
    path.write_text("# test settings for tansu\n" + FAST_GROUP_SETTINGS, encoding="utf-8")
    return path


def read_topic(
    bootstrap: str, topic: str, timeout: float = 30.0
) -> dict[int, list[tuple[int, bytes | None, bytes | None]]]:
    """Every message of the topic as (offset, key, value), per partition, in offset order.

    Reads until every partition reports end-of-partition (tansu's ListOffsets answers a high
    watermark of 1 whatever the partition holds, so watermarks cannot be used)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": unique("reader"),
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    try:
        partitions = sorted(consumer.list_topics(topic, timeout=timeout).topics[topic].partitions)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        out: dict[int, list] = {p: [] for p in partitions}
        at_end: set[int] = set()
        deadline = time.monotonic() + timeout
        while len(at_end) < len(partitions):
            assert time.monotonic() < deadline, "timed out reading the topic back"
            for msg in consumer.consume(1000, 0.2):
                error = msg.error()
                if error is not None:
                    assert error.code() == KafkaError._PARTITION_EOF, error
                    at_end.add(msg.partition())
                    continue
                at_end.discard(msg.partition())
                out[msg.partition()].append((msg.offset(), msg.key(), msg.value()))
        for messages in out.values():
            assert [o for o, _k, _v in messages] == list(range(len(messages))), "offset gap"
        return out
    finally:
        consumer.close()


def committed_offsets(bootstrap: str, topic: str, group: str, partitions: int) -> dict[int, int | None]:
    """The group's committed offset per partition (None: nothing committed)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        result = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=30)
        return {tp.partition: (tp.offset if tp.offset >= 0 else None) for tp in result}
    finally:
        consumer.close()


@dataclass(frozen=True)
class LandedFile:
    dt: str
    name: str
    partition: int
    start_offset: int
    lines: list[bytes]


def read_landed(raw_root: Path) -> list[LandedFile]:
    """Every final file under raw_root/click_events, sorted by partition and start offset."""
    files = []
    for path in (raw_root / "click_events").glob("dt=*/*"):
        if path.name.startswith(".") or not path.name.endswith((".jsonl", ".jsonl.gz")):
            continue  # temporary files
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = zlib.decompress(data, 47)
        lines = data.split(b"\n")
        assert lines[-1] == b"", f"{path} does not end with a newline"
        stem = path.name.split(".")[0]
        _, partition, offset = stem.split("+")
        files.append(LandedFile(path.parent.name[3:], path.name, int(partition), int(offset), lines[:-1]))
    return sorted(files, key=lambda f: (f.partition, f.start_offset))


def temp_files(raw_root: Path) -> list[Path]:
    return sorted(p for p in raw_root.rglob(".*") if p.is_file())


def lander_command(bootstrap: str, topic: str, group: str, raw_root: Path, config: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "clickstream",
        "kafka",
        "land",
        "--bootstrap-servers",
        bootstrap,
        "--topic",
        topic,
        "--group-id",
        group,
        "--raw-root",
        str(raw_root),
        "--kafka-config",
        str(config),
        *extra,
    ]


def run_lander(
    command: list[str], env: dict[str, str] | None = None, timeout: float = 90.0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT
    )


def last_progress(log: Path) -> dict[int, tuple[int | None, int | None]]:
    """Partition -> (next offset, committed offset) from the lander's last progress log line."""
    found: dict = {}
    for line in log.read_text().splitlines():
        match = re.search(r"progress: .* partitions (\{.*\})$", line)
        if match:
            found = ast.literal_eval(match.group(1))
    return found


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
