"""Publish click events to a Kafka topic: generated ones, or landed raw files replayed.

Sources:

- ``--generate --start-date D --days N --events-per-day K --seed S``: runs
  ``clickstream generate`` with these arguments into a temporary directory, then replays it, so the
  topic receives exactly the lines that ``clickstream generate`` would land (noise included);
- ``--from-raw-root PATH [--dates D,...]``: replays the landed files under
  ``PATH/click_events/dt=*/``.

Replay order is the pipeline's "landed first" order: landing date, then file name, then line.
Each line (without its LF / CRLF terminator) is one message, its raw bytes unchanged: invalid
UTF-8, malformed JSON and blank lines included. The key is the event's ``user_id`` when the line
is a JSON object with a string ``user_id``, else none (librdkafka then spreads such messages
over the partitions). Keys are hashed with ``murmur2_random`` (the Java client's partitioner),
so a user's events all go to one partition, in publish order; the producer is idempotent, so
retries neither reorder nor duplicate them.

Timestamps (``--timestamps``): ``landed`` (default) sets each message's create time to its source
file's landing date (midnight UTC plus its position in that day in ms), so that
``clickstream kafka land --dt-from-timestamp`` lands it under the same ``dt``; ``now`` leaves it to
the producer (current time). The topic is created with ``--partitions`` partitions if it does
not exist (an existing topic keeps its partition count).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from clickstream.ingest import kafka_config
from clickstream.options import date_arg, dates_arg, int_at_least

LOG = logging.getLogger("clickstream.publish_events")
TABLE_DIR = "click_events"
DAY_MS = 86_400_000


def iter_landed_lines(raw_root: Path, dates: set[str] | None = None) -> Iterator[tuple[str, str, bytes]]:
    """(dt, file name, line) of every landed line, in dt, file name, line order."""
    topic_dir = raw_root / TABLE_DIR
    if not topic_dir.is_dir():
        return
    for day_dir in sorted(p for p in topic_dir.iterdir() if p.is_dir() and p.name.startswith("dt=")):
        dt = day_dir.name[3:]
        if dates is not None and dt not in dates:
            continue
        files = sorted(p for p in day_dir.iterdir() if p.is_file() and p.name.endswith((".jsonl", ".jsonl.gz")))
        for path in files:
            data = path.read_bytes()
            if path.name.endswith(".gz"):
                data = zlib.decompress(data, 47)
            lines = data.split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()
            for line in lines:
                yield dt, path.name, line[:-1] if line.endswith(b"\r") else line


def message_key(line: bytes) -> bytes | None:
    """The UTF-8 ``user_id`` of a JSON-object line, else None."""
    if b'"user_id"' not in line:
        return None
    try:
        obj = json.loads(line)
    except (UnicodeDecodeError, ValueError):
        return None
    user = obj.get("user_id") if isinstance(obj, dict) else None
    if not isinstance(user, str):
        return None
    # a JSON escape can decode to a lone surrogate ("\\ud800"): keep it, deterministically
    return user.encode("utf-8", "surrogatepass")


def day_start_ms(dt: str) -> int:
    return int(datetime.combine(date.fromisoformat(dt), datetime.min.time(), UTC).timestamp() * 1000)


@dataclass
class PublishStats:
    messages: int = 0
    keyed: int = 0
    bytes: int = 0
    delivered: int = 0
    failed: int = 0
    first_error: str | None = None
    per_dt: Counter = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def on_delivery(self, err: Any, _msg: Any) -> None:
        if err is None:
            self.delivered += 1
        else:
            self.failed += 1
            if self.first_error is None:
                self.first_error = str(err)


def publish(
    producer: Any, topic: str, lines: Iterator[tuple[str, str, bytes]], timestamps: str, stats: PublishStats
) -> None:
    """Produce every line; blocks while the local queue is full; flushes at the end."""
    current_dt, day_ms, seq = "", 0, 0
    produce, poll = producer.produce, producer.poll
    for dt, _name, line in lines:
        key = message_key(line)
        kwargs: dict[str, Any] = {}
        if timestamps == "landed":
            if dt != current_dt:
                current_dt, day_ms, seq = dt, day_start_ms(dt), 0
            kwargs["timestamp"] = day_ms + min(seq, DAY_MS - 1)
            seq += 1
        while True:
            try:
                produce(topic, value=line, key=key, on_delivery=stats.on_delivery, **kwargs)
                break
            except BufferError:
                poll(0.05)
        stats.messages += 1
        stats.keyed += key is not None
        stats.bytes += len(line)
        stats.per_dt[dt] += 1
        if stats.messages % 10_000 == 0:
            poll(0)
    remaining = producer.flush(120)
    if remaining:
        stats.failed += remaining
        stats.first_error = stats.first_error or f"{remaining} messages not delivered after 120 s"


def _topic_config(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


def build_parser(prog: str = "clickstream kafka publish") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Publish generated click events, or replay landed raw files, to a Kafka topic, "
        "keyed by user_id (one partition per user, in order). Creates the topic if needed.",
        epilog="Examples:\n"
        "  clickstream kafka publish --bootstrap-servers 127.0.0.1:9092 --generate --start-date 2024-03-01 --days 2\n"
        "  clickstream kafka publish --bootstrap-servers 127.0.0.1:9092 --from-raw-root data/raw --dates 2024-03-01\n"
        "See docs/kafka.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    kafka_config.add_client_arguments(parser)
    add = parser.add_argument
    add("--topic", default="click_events", help="topic (default: click_events)")
    add("--partitions", type=int, default=8, metavar="N", help="partitions when the topic is created (default: 8)")
    add(
        "--replication-factor",
        type=int,
        default=1,
        metavar="N",
        help="replication factor when the topic is created (default: 1)",
    )
    add(
        "--topic-config",
        type=_topic_config,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="topic setting when the topic is created, repeatable (e.g. retention.ms=-1 to keep "
        "replayed old days, whose timestamps would otherwise be past retention)",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--generate", action="store_true", help="publish what `clickstream generate` generates with the options below"
    )
    source.add_argument(
        "--from-raw-root", type=Path, metavar="PATH", help="replay the landed files under PATH/click_events/dt=*/"
    )
    add(
        "--dates",
        type=dates_arg,
        metavar="YYYY-MM-DD[,...]",
        help="with --from-raw-root: only these landing dates (default: all)",
    )
    add("--start-date", type=date_arg, metavar="YYYY-MM-DD", help="with --generate: first landing day")
    add("--days", type=int_at_least(1), default=1, metavar="N", help="with --generate: landing days (default: 1)")
    add(
        "--events-per-day",
        type=int_at_least(1),
        default=10_000,
        metavar="K",
        help="with --generate: events per day (default: 10000)",
    )
    add("--seed", type=int, default=42, metavar="S", help="with --generate: seed (default: 42)")
    add(
        "--noise-scale",
        type=float,
        default=1.0,
        metavar="X",
        help="with --generate: multiply every noise rate by X; 0 = no noise (default: 1)",
    )
    add(
        "--timestamps",
        choices=("landed", "now"),
        default="landed",
        help="message create time: the source file's landing date (landed, default) or the current time",
    )
    add(
        "--partitioner",
        default="murmur2_random",
        help="librdkafka partitioner for keyed messages (default: murmur2_random, as Java clients)",
    )
    add("--quiet", action="store_true", help="log warnings only")
    return parser


def main(argv: list[str] | None = None, prog: str = "clickstream kafka publish") -> int:
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    LOG.setLevel(logging.WARNING if args.quiet else logging.INFO)
    if args.generate and not args.start_date:
        parser.print_usage(sys.stderr)
        print("clickstream kafka publish: error: --generate needs --start-date", file=sys.stderr)
        return 2
    from confluent_kafka import KafkaException, Producer
    from confluent_kafka.admin import AdminClient

    try:
        base = kafka_config.client_config(bootstrap_servers=args.bootstrap_servers, config_file=args.kafka_config)
        producer_conf = {
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 20,
            "compression.type": "lz4",
            "partitioner": args.partitioner,
            **base,
        }
        admin = AdminClient(dict(base))
        producer = Producer(producer_conf)
    except (kafka_config.KafkaConfigError, KafkaException, ValueError) as exc:
        print(f"publish_events: error: {exc}", file=sys.stderr)
        return 2
    LOG.info("producer settings: %s", kafka_config.redacted(producer_conf))
    try:
        created, partitions = kafka_config.ensure_topic(
            admin, args.topic, args.partitions, args.replication_factor, dict(args.topic_config)
        )
    except (KafkaException, TimeoutError) as exc:
        print(f"publish_events: error: cannot create or describe topic {args.topic}: {exc}", file=sys.stderr)
        return 1
    LOG.info("topic %s: %s, %d partitions", args.topic, "created" if created else "exists", partitions)
    if not created and partitions != args.partitions:
        LOG.warning("topic %s has %d partitions, not --partitions %d (kept)", args.topic, partitions, args.partitions)

    stats = PublishStats()
    with tempfile.TemporaryDirectory(prefix="clickstream-publish-") as tmp:
        if args.generate:
            from clickstream.ingest import generate

            raw_root = Path(tmp) / "raw"
            code = generate.main(
                [
                    "--start-date",
                    args.start_date.isoformat(),
                    "--days",
                    str(args.days),
                    "--events-per-day",
                    str(args.events_per_day),
                    "--seed",
                    str(args.seed),
                    "--noise-scale",
                    str(args.noise_scale),
                    "--raw-root",
                    str(raw_root),
                    "--quiet",
                ]
            )
            if code != 0:
                return code
            dates = None
        else:
            raw_root = args.from_raw_root
            dates = {day.isoformat() for day in args.dates} if args.dates else None
            if not (raw_root / TABLE_DIR).is_dir():
                print(f"publish_events: error: no {TABLE_DIR}/ under {raw_root}", file=sys.stderr)
                return 2
        publish(producer, args.topic, iter_landed_lines(raw_root, dates), args.timestamps, stats)
    seconds = time.monotonic() - stats.started
    if stats.failed:
        LOG.error("%d of %d messages not delivered; first error: %s", stats.failed, stats.messages, stats.first_error)
    summary = (
        f"publish_events summary: topic {args.topic} | messages {stats.messages} | keyed {stats.keyed} | "
        f"unkeyed {stats.messages - stats.keyed} | bytes {stats.bytes} | delivered {stats.delivered} | "
        f"failed {stats.failed} | dates {dict(sorted(stats.per_dt.items()))} | seconds {seconds:.2f} | "
        f"messages/s {stats.messages / seconds if seconds else 0:.0f}"
    )
    print(summary, flush=True)
    return 1 if stats.failed else 0


if __name__ == "__main__":
    sys.exit(main())
