"""The Kafka ingestion path against a real Kafka-protocol broker (tansu, in memory, on a free
127.0.0.1 port): publish_events.py -> topic -> land_from_kafka.py -> raw files -> refresh.

- round trip: a generated 3-day sample published to an 8-partition topic and landed with
  --dt-from-timestamp gives the same warehouse (fct_sessions, fct_events, ...) as landing the
  same sample directly with `clickstream generate`;
- every user's events land in one partition's files, in publish order;
- SIGKILL at every stage of a file's life (and from outside while files are open): after each
  kill every committed offset is in a landed file; in the end every message is landed exactly
  once and the warehouse equals the direct one;
- bad messages (invalid UTF-8, not JSON, blank, tombstones, line breaks) neither crash the lander
  nor disappear; SIGTERM/SIGINT land the open file, commit and exit 0; a rebalance finishes the
  open files before giving partitions up; a file name taken by other content is never
  overwritten.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import Pipeline
from kafka_broker import (
    committed_offsets,
    kafka_config_file,
    lander_command,
    last_progress,
    read_landed,
    read_topic,
    run_lander,
    temp_files,
    unique,
    wait_for,
)

from clickstream.ingest import generate as generate_events
from clickstream.ingest import kafka_config
from clickstream.ingest import land as land_from_kafka
from clickstream.ingest import publish as publish_events
from clickstream.local.broker import TansuBroker
from clickstream.paths import PROJECT_ROOT, PipelinePaths

pytestmark = pytest.mark.kafka

START, DAYS, EVENTS_PER_DAY, SEED, PARTITIONS = "2024-06-01", 3, 2000, 11, 8
GENERATOR_ARGS = [
    "--start-date",
    START,
    "--days",
    str(DAYS),
    "--events-per-day",
    str(EVENTS_PER_DAY),
    "--seed",
    str(SEED),
]


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TansuBroker]:
    """A tansu broker on a free 127.0.0.1 port, in memory; stopped (killed if need be) afterwards,
    and killed with this process if pytest itself dies (PR_SET_PDEATHSIG)."""
    with TansuBroker(log_path=tmp_path_factory.mktemp("tansu") / "tansu.log") as tansu:
        yield tansu


def make_pipeline(base: Path, name: str) -> Pipeline:
    return Pipeline(PipelinePaths(base / name / "raw", base / name / "w.duckdb", base / name / "exports"))


@pytest.fixture(scope="module")
def sample(broker, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The sample landed directly by the generator (refreshed), and published to a topic."""
    base = tmp_path_factory.mktemp("kafka")
    direct = make_pipeline(base, "direct")
    assert generate_events.main([*GENERATOR_ARGS, "--raw-root", str(direct.paths.raw_root), "--quiet"]) == 0
    assert direct.refresh("--full-refresh") == 0
    topic = unique("click_events")
    assert (
        publish_events.main(
            [
                "--bootstrap-servers",
                broker.bootstrap,
                "--topic",
                topic,
                "--partitions",
                str(PARTITIONS),
                "--generate",
                *GENERATOR_ARGS,
                "--quiet",
            ]
        )
        == 0
    )
    return {
        "base": base,
        "direct": direct,
        "topic": topic,
        "config": kafka_config_file(base),
        "messages": read_topic(broker.bootstrap, topic),
    }


@pytest.fixture(scope="module")
def landed(broker, sample) -> Pipeline:
    """The sample landed from the topic in-process (gzip, small files), then refreshed."""
    pipeline = make_pipeline(sample["base"], "kafka")
    summary = sample["base"] / "roundtrip-summary.json"
    code = land_from_kafka.main(
        [
            "--bootstrap-servers",
            broker.bootstrap,
            "--topic",
            sample["topic"],
            "--group-id",
            unique("roundtrip"),
            "--raw-root",
            str(pipeline.paths.raw_root),
            "--kafka-config",
            str(sample["config"]),
            "--dt-from-timestamp",
            "--gzip",
            "--roll-messages",
            "400",
            "--idle-timeout",
            "2",
            "--summary-json",
            str(summary),
        ]
    )
    assert code == 0
    stats = json.loads(summary.read_text())
    assert stats["messages"] == stats["lines"] == sum(len(m) for m in sample["messages"].values())
    assert pipeline.refresh("--full-refresh") == 0
    return pipeline


def source_lines(raw_root: Path) -> list[tuple[str, bytes]]:
    """(dt, line) of the directly landed sample, in publish order."""
    return [(dt, line) for dt, _name, line in publish_events.iter_landed_lines(raw_root)]


#: Columns that say where a raw line sits (file name, line number, ids hashed from them): they
#: differ between the generator's files and the lander's, everything else must not.
LOCATION_COLUMNS = {
    "file_name",
    "line_number",
    "quarantine_id",
    "duplicate_id",
    "kept_file_name",
    "kept_line_number",
    "file_count",
}


def comparable(pipeline: Pipeline, table: str) -> list[tuple]:
    columns = [
        r[0]
        for r in pipeline.query(
            "select column_name from duckdb_columns() where schema_name = 'main' and table_name = ? "
            "order by column_index",
            [table],
        )
    ]
    kept = [c for c in columns if c not in LOCATION_COLUMNS]
    return pipeline.query(f"select {', '.join(kept)} from main.{table} order by all")


def assert_same_warehouse(kafka: Pipeline, direct: Pipeline) -> None:
    """Same tables, except where the raw lines sit (file names and line numbers differ)."""
    assert kafka.query("select * from main.fct_sessions order by session_id") == direct.query(
        "select * from main.fct_sessions order by session_id"
    )
    tables = [
        r[0] for r in direct.query("select table_name from duckdb_tables() where schema_name = 'main' order by 1")
    ]
    assert {"fct_events", "fct_sessions", "agg_daily_clicks", "quarantined_events", "agg_ingest_daily"} <= set(tables)
    for table in tables:  # every public table, new marts included
        assert comparable(kafka, table) == comparable(direct, table), table


# ----------------------------------------------------------------------------
# round trip, ordering
# ----------------------------------------------------------------------------


def test_round_trip_gives_the_same_warehouse_as_landing_directly(sample, landed) -> None:
    direct = sample["direct"]
    assert direct.query("select count(*) from main.fct_sessions")[0][0] > 500
    assert {r[0] for r in landed.query("select distinct dt from main.agg_ingest_daily")} == {
        r[0] for r in direct.query("select distinct dt from main.agg_ingest_daily")
    }
    assert_same_warehouse(landed, direct)
    # the sample has noise of every kind, and it went through Kafka too
    reasons = {r[0] for r in landed.query("select distinct quarantine_reason from main.quarantined_events")}
    assert {"invalid_encoding", "malformed_json", "invalid_field"} <= reasons
    assert landed.query("select sum(duplicate_lines), sum(blank_lines) from main.agg_ingest_daily")[0] > (0, 0)


def test_landed_files_follow_the_naming_contract(sample, landed) -> None:
    files = read_landed(landed.paths.raw_root)
    names = [f.name for f in files]
    assert all(n.endswith(".jsonl.gz") for n in names) and len(names) == len(set(names))
    topic = sample["messages"]
    for f in files:
        # no tombstones or multi-line values here: line i is offset start + i, byte for byte
        offsets = dict((o, v) for o, _k, v in topic[f.partition])
        assert f.lines == [offsets[f.start_offset + i] for i in range(len(f.lines))]
        assert 0 < len(f.lines) <= 400
    assert not temp_files(landed.paths.raw_root)


def test_each_user_lands_in_one_partition_in_publish_order(sample, landed) -> None:
    published: dict[bytes, list[bytes]] = defaultdict(list)
    for _dt, line in source_lines(sample["direct"].paths.raw_root):
        key = publish_events.message_key(line)
        if key is not None:
            published[key].append(line)
    partitions: dict[bytes, set[int]] = defaultdict(set)
    landed_order: dict[bytes, list[bytes]] = defaultdict(list)
    for f in read_landed(landed.paths.raw_root):  # partition, then offset order
        for line in f.lines:
            key = publish_events.message_key(line)
            if key is not None:
                partitions[key].add(f.partition)
                landed_order[key].append(line)
    assert len(published) > 50
    assert all(len(p) == 1 for p in partitions.values())
    assert landed_order == published
    assert len({next(iter(p)) for p in partitions.values()}) == PARTITIONS  # users spread over all


# ----------------------------------------------------------------------------
# crash safety
# ----------------------------------------------------------------------------


def covered(files, partition: int) -> set[int]:
    """Offsets covered by the landed files of a partition (no gaps in this topic)."""
    return {f.start_offset + i for f in files if f.partition == partition for i in range(len(f.lines))}


def test_sigkill_at_any_point_loses_nothing_and_lands_nothing_twice(broker, sample) -> None:
    pipeline = make_pipeline(sample["base"], "crash")
    raw, group, topic = pipeline.paths.raw_root, unique("crash"), sample["topic"]
    command = lander_command(
        broker.bootstrap,
        topic,
        group,
        raw,
        sample["config"],
        "--dt-from-timestamp",
        "--roll-messages",
        "150",
        "--idle-timeout",
        "1.5",
    )
    faults = [
        "after_rename:3",  # landed, not committed: must be adopted, not landed twice
        "line_written:900",  # a file open, lines buffered
        "before_rename:5",  # written and fsynced, not renamed
        "after_commit:4",
        "before_fsync:2",
    ]
    logs = []
    for fault in faults:
        result = run_lander(command, env={land_from_kafka.FAULT_ENV: fault})
        assert result.returncode == -signal.SIGKILL, (fault, result.returncode, result.stderr[-3000:])
        logs.append(result.stderr)
        files = read_landed(raw)
        committed = committed_offsets(broker.bootstrap, topic, group, PARTITIONS)
        for partition, offset in committed.items():  # nothing committed is missing
            assert set(range(offset or 0)) <= covered(files, partition), (fault, partition)
        assert len({f.name for f in files}) == len(files)
    # killed from outside while files are open (rolled only by time, which does not come)
    process = subprocess.Popen(
        lander_command(
            broker.bootstrap,
            topic,
            group,
            raw,
            sample["config"],
            "--dt-from-timestamp",
            "--roll-messages",
            "100000",
            "--roll-seconds",
            "600",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: temp_files(raw), 30, "an open temporary file")
        time.sleep(0.5)
    finally:
        process.kill()
        process.wait(10)
    assert temp_files(raw)
    # a clean run finishes the job
    final = run_lander(command)
    assert final.returncode == 0, final.stderr[-3000:]
    logs.append(final.stderr)
    # a run after "after_rename" found the landed-but-uncommitted file and adopted it
    assert "is already landed" in "".join(logs[1:]) and "kept dt=" in "".join(logs[1:])
    assert not temp_files(raw)
    files = read_landed(raw)
    for partition, messages in sample["messages"].items():
        landed_lines = [line for f in files if f.partition == partition for line in f.lines]
        assert landed_lines == [value for _o, _k, value in messages], f"partition {partition}"
    assert committed_offsets(broker.bootstrap, topic, group, PARTITIONS) == {
        p: len(m) for p, m in sample["messages"].items()
    }
    assert pipeline.refresh("--full-refresh") == 0
    assert_same_warehouse(pipeline, sample["direct"])


# ----------------------------------------------------------------------------
# bad messages, signals, rebalance, conflicts
# ----------------------------------------------------------------------------


def produce(bootstrap: str, topic: str, partitions: int, messages: list[tuple[bytes | None, bytes | None]]) -> None:
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    kafka_config.ensure_topic(admin, topic, partitions)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for key, value in messages:
        producer.produce(topic, key=key, value=value)
    assert producer.flush(30) == 0


def test_bad_messages_are_landed_or_counted_never_lost(broker, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    valid = json.dumps(
        {"event_id": "e-valid", "user_id": "u1", "event_type": "click", "event_ts": now.isoformat()}
    ).encode()
    pretty = json.dumps(
        {"event_id": "e-pretty", "user_id": "u1", "event_type": "click", "event_ts": now.isoformat()}, indent=1
    ).encode()
    bad_utf8 = b'{"event_id":"e-bad","user_id":"u1","event_type":"click","event_ts":"x\xff\xfe"}'
    messages = [
        (b"u1", valid),
        (b"u1", bad_utf8),
        (b"u1", b"connection reset by peer"),
        (b"u1", b"[1,2,3]"),
        (b"u1", b""),
        (b"u1", None),
        (None, None),
        (b"u1", pretty),
        (b"u1", b'{"a":1}\r{"b":2}'),
        (None, b"not json \x00\x01 binary"),
    ]
    topic = unique("bad")
    produce(broker.bootstrap, topic, 1, messages)
    pipeline = make_pipeline(tmp_path, "bad")
    summary = tmp_path / "summary.json"
    result = run_lander(
        lander_command(
            broker.bootstrap,
            topic,
            unique("bad"),
            pipeline.paths.raw_root,
            kafka_config_file(tmp_path),
            "--idle-timeout",
            "1.5",
            "--summary-json",
            str(summary),
        )
    )
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads(summary.read_text())
    assert (stats["messages"], stats["tombstones"], stats["multiline_values"], stats["lines"]) == (10, 2, 2, 6)
    assert "tombstones 2" in result.stdout and "multi-line values 2" in result.stdout
    [landed_file] = read_landed(pipeline.paths.raw_root)
    assert landed_file.dt >= now.date().isoformat()  # the wall clock's UTC date
    assert landed_file.lines == [
        valid,
        bad_utf8,
        b"connection reset by peer",
        b"[1,2,3]",
        b"",
        b"not json \x00\x01 binary",
    ]
    sidecars = sorted((pipeline.paths.raw_root / "_multiline" / "click_events").glob("dt=*/*.bin"))
    assert [p.name for p in sidecars] == ["click_events+0+0000000007.bin", "click_events+0+0000000008.bin"]
    assert [p.read_bytes() for p in sidecars] == [pretty, b'{"a":1}\r{"b":2}']
    # a second run has nothing left to do
    again = run_lander(
        lander_command(
            broker.bootstrap,
            topic,
            unique("bad"),
            pipeline.paths.raw_root,
            kafka_config_file(tmp_path),
            "--idle-timeout",
            "1.5",
        )
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert "kept" in again.stderr  # another group re-reads the topic: the file is adopted, not copied
    assert len(read_landed(pipeline.paths.raw_root)) == 1
    assert pipeline.refresh() == 0
    reasons = Counter(r[0] for r in pipeline.query("select quarantine_reason from main.quarantined_events"))
    assert reasons == {"invalid_encoding": 1, "malformed_json": 3}
    assert pipeline.query("select event_id from main.fct_events") == [("e-valid",)]
    assert pipeline.query("select blank_lines, lines_read from main.agg_ingest_daily") == [(1, 6)]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_lands_the_open_file_commits_and_exits_0(broker, tmp_path: Path, signum: int) -> None:
    topic, group = unique("sig"), unique("sig")
    values = [json.dumps({"n": i}).encode() for i in range(500)]
    produce(broker.bootstrap, topic, 1, [(b"k", v) for v in values])
    raw = tmp_path / "raw"
    log = tmp_path / "lander.log"
    with open(log, "w") as stderr:
        process = subprocess.Popen(
            lander_command(
                broker.bootstrap,
                topic,
                group,
                raw,
                kafka_config_file(tmp_path),
                "--roll-messages",
                "100000",
                "--roll-seconds",
                "600",
                "--log-interval",
                "0.2",
            ),
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            wait_for(lambda: "{0: (500, None)}" in log.read_text(), 30, "all 500 messages read, none committed")
            assert temp_files(raw) and not read_landed(raw)  # an open file, nothing landed yet
            process.send_signal(signum)
            stdout, _ = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 0, log.read_text()[-3000:]
    assert f"signal {signum.name}" in log.read_text()
    assert "messages 500" in stdout
    [landed_file] = read_landed(raw)
    assert (landed_file.name, landed_file.lines) == ("click_events+0+0000000000.jsonl", values)
    assert not temp_files(raw)
    assert committed_offsets(broker.bootstrap, topic, group, 1) == {0: 500}


def test_rebalance_finishes_open_files_before_giving_partitions_up(broker, tmp_path: Path) -> None:
    topic, group = unique("rebalance"), unique("rebalance")
    first = [(f"u{i % 50}".encode(), json.dumps({"n": i}).encode()) for i in range(2000)]
    produce(broker.bootstrap, topic, 4, first)
    raw, config = tmp_path / "raw", kafka_config_file(tmp_path)
    command = lander_command(
        broker.bootstrap,
        topic,
        group,
        raw,
        config,
        "--roll-messages",
        "100000",
        "--roll-seconds",
        "600",
        "--log-interval",
        "0.2",
    )
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    processes: list[subprocess.Popen] = []
    try:
        with open(logs[0], "w") as err:
            processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err))
        wait_for(lambda: "assigned partitions [0, 1, 2, 3]" in logs[0].read_text(), 30, "A owns every partition")
        wait_for(lambda: len(temp_files(raw)) == 4, 30, "A has a file open per partition")
        with open(logs[1], "w") as err:
            processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err))
        wait_for(lambda: "assigned partitions" in logs[1].read_text(), 30, "B gets partitions")
        assert "revoked: finishing their open files" in logs[0].read_text()
        assert len(read_landed(raw)) == 4  # A landed and committed what it had before giving up
        assert committed_offsets(broker.bootstrap, topic, group, 4) == {
            p: len(m) for p, m in read_topic(broker.bootstrap, topic).items()
        }
        second = [(f"u{i % 50}".encode(), json.dumps({"n": i}).encode()) for i in range(2000, 3000)]
        produce(broker.bootstrap, topic, 4, second)
        expected = read_topic(broker.bootstrap, topic)
        ends = {p: len(m) for p, m in expected.items()}
        wait_for(
            lambda: {p: o[0] for log in logs for p, o in last_progress(log).items()} == ends,
            30,
            "both members to read the new messages",
        )
        assert len(temp_files(raw)) == 4  # ... into open files
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            assert process.wait(30) == 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    files = read_landed(raw)
    for partition, messages in expected.items():
        assert [line for f in files if f.partition == partition for line in f.lines] == [
            value for _o, _k, value in messages
        ]
    assert committed_offsets(broker.bootstrap, topic, group, 4) == {p: len(m) for p, m in expected.items()}


def test_a_file_name_taken_by_other_content_is_never_overwritten(broker, tmp_path: Path) -> None:
    topic, group = unique("conflict"), unique("conflict")
    produce(broker.bootstrap, topic, 1, [(b"k", b'{"n":1}'), (b"k", b'{"n":2}')])
    raw = tmp_path / "raw"
    folder = raw / "click_events" / "dt=2024-01-01"
    folder.mkdir(parents=True)
    taken = folder / "click_events+0+0000000000.jsonl"
    taken.write_bytes(b'{"n":1}\n{"other":true}\n')
    result = run_lander(
        lander_command(broker.bootstrap, topic, group, raw, kafka_config_file(tmp_path), "--idle-timeout", "1.5")
    )
    assert result.returncode == land_from_kafka.EXIT_CONFLICT, result.stderr[-3000:]
    assert "differs" in result.stderr
    assert taken.read_bytes() == b'{"n":1}\n{"other":true}\n'
    assert len(read_landed(raw)) == 1 and not temp_files(raw)
    assert committed_offsets(broker.bootstrap, topic, group, 1) == {0: None}


# ----------------------------------------------------------------------------
# configuration and command lines (no broker)
# ----------------------------------------------------------------------------


def test_kafka_settings_from_file_environment_and_options(tmp_path: Path) -> None:
    conf = tmp_path / "client.properties"
    conf.write_text(
        "# comment\n\nsecurity.protocol = SASL_SSL\nsasl.mechanism=PLAIN\nsasl.password=file\n"
        "bootstrap.servers=file:9092\n"
    )
    env = {"CLICKSTREAM_KAFKA_SASL_PASSWORD": "env", "CLICKSTREAM_KAFKA_SSL_CA_LOCATION": "/etc/ca.pem", "OTHER": "x"}
    config = kafka_config.client_config(bootstrap_servers="cli:9092", config_file=conf, environ=env)
    assert config == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "PLAIN",
        "sasl.password": "env",
        "ssl.ca.location": "/etc/ca.pem",
        "bootstrap.servers": "cli:9092",
    }
    assert kafka_config.redacted(config)["sasl.password"] == "***"
    assert kafka_config.env_name("sasl.password") == "CLICKSTREAM_KAFKA_SASL_PASSWORD"
    with pytest.raises(kafka_config.KafkaConfigError, match="no bootstrap servers"):
        kafka_config.client_config(bootstrap_servers=None, config_file=None, environ={})
    bad = tmp_path / "bad.properties"
    bad.write_text("security.protocol\n")
    with pytest.raises(kafka_config.KafkaConfigError, match=":1: expected key=value"):
        kafka_config.read_config_file(bad)


def test_secrets_are_refused_from_files_inside_the_repository(tmp_path: Path) -> None:
    inside = tmp_path / "repo" / "kafka.conf"
    inside.parent.mkdir()
    inside.write_text("sasl.username=me\nsasl.password=hunter2\n")
    with pytest.raises(kafka_config.KafkaConfigError, match="keep secrets out of the repository"):
        kafka_config.read_config_file(inside, project_root=tmp_path / "repo")
    assert kafka_config.read_config_file(inside, project_root=tmp_path / "elsewhere")["sasl.password"] == "hunter2"


def test_the_lander_refuses_auto_commit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLICKSTREAM_KAFKA_ENABLE_AUTO_COMMIT", "true")
    assert land_from_kafka.main(["--bootstrap-servers", "127.0.0.1:1", "--raw-root", str(tmp_path)]) == 2
    assert "enable.auto.commit=true is not allowed" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "clickstream", "kafka", "land"],
        ["-m", "clickstream", "kafka", "publish"],
        ["scripts/bench_kafka_lander.py"],
        ["-m", "clickstream", "broker"],
    ],
)
def test_help_explains_every_option(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, *command, "--help"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout and "--" in result.stdout


# ----------------------------------------------------------------------------
# the lander's state machine with a fake consumer (no broker)
# ----------------------------------------------------------------------------


class FakeMessage:
    def __init__(self, partition: int, offset: int, value: bytes | None, ts_ms: int = 1_717_200_000_000) -> None:
        self._p, self._o, self._v, self._ts = partition, offset, value, ts_ms

    def partition(self) -> int:
        return self._p

    def offset(self) -> int:
        return self._o

    def value(self) -> bytes | None:
        return self._v

    def timestamp(self) -> tuple[int, int]:
        return (1, self._ts)

    def error(self) -> None:
        return None


class FakeConsumer:
    """Records commits and seeks; nothing committed at the start."""

    def __init__(self) -> None:
        self.commits: list[tuple[int, int]] = []
        self.seeks: list[tuple[int, int]] = []

    def committed(self, partitions, timeout=None):
        from confluent_kafka import TopicPartition

        return [TopicPartition(p.topic, p.partition, -1001) for p in partitions]

    def commit(self, offsets, asynchronous=True):
        self.commits.extend((tp.partition, tp.offset) for tp in offsets)
        return offsets

    def seek(self, tp) -> None:
        self.seeks.append((tp.partition, tp.offset))

    def close(self) -> None:
        pass


def fake_lander(raw: Path, **options) -> tuple[land_from_kafka.Lander, FakeConsumer]:
    from confluent_kafka import TopicPartition

    consumer = FakeConsumer()
    lander = land_from_kafka.Lander(land_from_kafka.Options(topic="t", group_id="g", raw_root=raw, **options), consumer)
    lander.on_assign(consumer, [TopicPartition("t", 0)])
    return lander, consumer


def test_a_name_taken_while_writing_rewinds_and_adopts_the_other_file(tmp_path: Path) -> None:
    values = [json.dumps({"n": i}).encode() for i in range(5)]
    lander, consumer = fake_lander(tmp_path, roll_messages=5, dt_from_timestamp=True)
    for offset in range(4):
        lander.handle(FakeMessage(0, offset, values[offset]))
    # meanwhile a zombie former owner lands a shorter file under the same name
    folder = tmp_path / "click_events" / "dt=2024-06-01"
    (folder / "click_events+0+0000000000.jsonl").write_bytes(b"".join(v + b"\n" for v in values[:3]))
    lander.handle(FakeMessage(0, 4, values[4]))  # rolls: the name is taken by other content
    assert consumer.seeks == [(0, 0)] and consumer.commits == [] and lander.stats.rewinds == 1
    lander.handle(FakeMessage(0, 4, values[4]))  # the rest of the fetched batch is ignored
    for state in lander.states.values():
        state.skip_rest_of_batch = False  # (the next consume() call)
    for offset in range(5):  # read again from the rewind point
        lander.handle(FakeMessage(0, offset, values[offset]))
    lander.shutdown()
    assert consumer.commits == [(0, 3), (0, 5)]  # the other file kept, then the rest landed
    assert [(f.name, f.lines) for f in read_landed(tmp_path)] == [
        ("click_events+0+0000000000.jsonl", values[:3]),
        ("click_events+0+0000000003.jsonl", values[3:]),
    ]
    assert not temp_files(tmp_path)


def test_files_roll_at_utc_midnight_and_skip_records_between_files(tmp_path: Path) -> None:
    lander, consumer = fake_lander(tmp_path)
    lander.today = 19_875  # 2024-06-01
    lander.handle(FakeMessage(0, 0, b'{"a":1}'))
    lander.handle(FakeMessage(0, 1, None))  # a tombstone inside the open file's range
    lander.today = 19_876
    lander.roll_due()  # midnight: the file of the 1st lands under dt=2024-06-01
    assert consumer.commits == [(0, 2)]
    lander.handle(FakeMessage(0, 2, None))
    lander.handle(FakeMessage(0, 3, b'{"a":1}\n'))  # a line break: to the sidecar
    lander.roll_due()  # only skipped records since the last file: committed right away
    assert consumer.commits == [(0, 2), (0, 4)]
    lander.handle(FakeMessage(0, 4, b'{"b":2}'))
    lander.shutdown()
    assert consumer.commits[-1] == (0, 5)
    assert [(f.dt, f.name, f.lines) for f in read_landed(tmp_path)] == [
        ("2024-06-01", "click_events+0+0000000000.jsonl", [b'{"a":1}']),
        ("2024-06-02", "click_events+0+0000000004.jsonl", [b'{"b":2}']),
    ]
    [sidecar] = (tmp_path / "_multiline" / "click_events").glob("dt=2024-06-02/*")
    assert (sidecar.name, sidecar.read_bytes()) == ("click_events+0+0000000003.bin", b'{"a":1}\n')
    assert (lander.stats.tombstones, lander.stats.multiline, lander.stats.files) == (2, 1, 2)
