"""Benchmark the Kafka lander (`clickstream kafka land`): fill a topic with N generated events, then time the lander from
that filled topic to the last file landed and committed.

Starts its own in-memory tansu broker on a free 127.0.0.1 port unless ``--bootstrap-servers`` is
given. Steps: generate one landing day of ``--events`` events (`clickstream generate`, noise
included), publish them (`clickstream kafka publish`) to a fresh topic with ``--partitions`` partitions,
then run the lander as a subprocess with ``--max-messages <all>`` into a temporary raw root and
check that every message was landed. Prints and (``--json PATH``) writes:

- ``messages``, ``bytes`` (landed line bytes, uncompressed), ``files``;
- ``lander_seconds`` / ``messages_per_second`` / ``mb_per_second``: the lander's own busy time,
  from its first message to its last file landed and committed (no process start-up, no group
  join);
- ``end_to_end_seconds`` / ``end_to_end_messages_per_second``: the whole lander process, start-up
  and group join included;
- ``publish_seconds``: filling the topic (not part of the lander's numbers).

``--events 2000`` keeps it tiny for CI.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from clickstream.ingest import publish as publish_events
from clickstream.local.broker import TansuBroker

#: tansu answers JoinGroup after ~session.timeout.ms / 2 (see start_test_broker.py)
TANSU_GROUP_SETTINGS = "session.timeout.ms=6000\nheartbeat.interval.ms=1000\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench_kafka_lander.py",
        description="Fill a topic with N generated events, then time `clickstream kafka land` end to end "
        "from the filled topic; prints messages/s, MB/s and seconds.",
    )
    add = parser.add_argument
    add("--events", type=int, default=200_000, metavar="N", help="events to generate (default: 200000)")
    add("--partitions", type=int, default=8, metavar="P", help="topic partitions (default: 8)")
    add("--gzip", action="store_true", help="run the lander with --gzip")
    add("--roll-messages", type=int, default=100_000, metavar="N", help="lander --roll-messages (default: 100000)")
    add("--seed", type=int, default=42, help="generator seed (default: 42)")
    add(
        "--bootstrap-servers",
        metavar="HOST:PORT",
        help="use this broker instead of starting a local tansu (a fresh topic is created)",
    )
    add(
        "--kafka-config",
        type=Path,
        metavar="FILE",
        help="librdkafka settings for publisher and lander (see clickstream kafka land --help)",
    )
    add("--json", type=Path, metavar="PATH", help="also write the numbers as JSON to PATH")
    add("--keep", action="store_true", help="keep the temporary directory (landed files, logs)")
    return parser


def run(args: argparse.Namespace, work: Path, bootstrap: str) -> dict[str, Any]:
    from clickstream.ingest import generate as generate_events

    raw_source, raw_landed = work / "source", work / "landed"
    config = args.kafka_config
    if config is None:
        config = work / "kafka.conf"
        config.write_text(TANSU_GROUP_SETTINGS, encoding="utf-8")
    topic = f"bench_{os.getpid()}_{int(time.time())}"
    assert (
        generate_events.main(
            [
                "--start-date",
                "2024-03-01",
                "--days",
                "1",
                "--events-per-day",
                str(args.events),
                "--seed",
                str(args.seed),
                "--gzip-every-nth-day",
                "0",
                "--raw-root",
                str(raw_source),
                "--quiet",
            ]
        )
        == 0
    )
    messages = sum(1 for _ in publish_events.iter_landed_lines(raw_source))
    started = time.monotonic()
    code = publish_events.main(
        [
            "--bootstrap-servers",
            bootstrap,
            "--topic",
            topic,
            "--partitions",
            str(args.partitions),
            "--from-raw-root",
            str(raw_source),
            "--quiet",
            *(["--kafka-config", str(args.kafka_config)] if args.kafka_config else []),
        ]
    )
    if code != 0:
        raise RuntimeError(f"publish_events failed with exit code {code}")
    publish_seconds = time.monotonic() - started
    summary = work / "lander-summary.json"
    command = [
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
        f"{topic}_lander",
        "--raw-root",
        str(raw_landed),
        "--kafka-config",
        str(config),
        "--max-messages",
        str(messages),
        "--idle-timeout",
        "30",
        "--roll-messages",
        str(args.roll_messages),
        "--dt-from-timestamp",
        "--summary-json",
        str(summary),
        *(["--gzip"] if args.gzip else []),
    ]
    started = time.monotonic()
    with open(work / "lander.log", "w") as log:
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=log)
    end_to_end = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(f"lander exited {result.returncode}; see {work / 'lander.log'}")
    stats = json.loads(summary.read_text())
    if stats["messages"] != messages or stats["lines"] != messages:
        raise RuntimeError(f"landed {stats['lines']} lines of {messages} messages")
    return {
        "messages": messages,
        "partitions": args.partitions,
        "gzip": args.gzip,
        "bytes": stats["bytes"],
        "bytes_on_disk": stats["bytes_on_disk"],
        "files": stats["files"],
        "lander_seconds": stats["busy_seconds"],
        "messages_per_second": stats["messages_per_second"],
        "mb_per_second": stats["mb_per_second"],
        "end_to_end_seconds": round(end_to_end, 3),
        "end_to_end_messages_per_second": round(messages / end_to_end, 1),
        "publish_seconds": round(publish_seconds, 3),
        "broker": "tansu (in memory, local)" if not args.bootstrap_servers else args.bootstrap_servers,
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}",
    }


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    work = Path(tempfile.mkdtemp(prefix="clickstream-bench-"))
    broker = None
    try:
        if args.bootstrap_servers:
            bootstrap = args.bootstrap_servers
        else:
            broker = TansuBroker(log_path=work / "tansu.log").start()
            bootstrap = broker.bootstrap
        numbers = run(args, work, bootstrap)
    finally:
        if broker is not None:
            broker.stop()
        if not args.keep:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    print(
        f"bench_kafka_lander: {numbers['messages']} messages ({numbers['bytes'] / 1e6:.1f} MB, "
        f"{numbers['partitions']} partitions{', gzip' if numbers['gzip'] else ''}) landed in "
        f"{numbers['lander_seconds']:.2f} s: {numbers['messages_per_second']:,.0f} messages/s, "
        f"{numbers['mb_per_second']:.1f} MB/s; end to end (process start, group join) "
        f"{numbers['end_to_end_seconds']:.2f} s = {numbers['end_to_end_messages_per_second']:,.0f} "
        f"messages/s; filling the topic took {numbers['publish_seconds']:.2f} s"
        + (f"; kept {work}" if args.keep else "")
    )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(numbers, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
