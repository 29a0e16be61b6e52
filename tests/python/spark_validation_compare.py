"""Compare int_click_events_validated on DuckDB and on the `spark` target.

Lands one raw landing zone with
  (a) the exact fixture of tests/python/test_validation_rules.py (main file, CRLF b.jsonl, gzip
      file with bad bytes, empty file),
  (b) a `clickstream generate` sample with every kind of noise,
  (c) hand-written edge lines (IPs of each kind, escapes, nested properties, extra fields,
      huge epoch milliseconds, fractions, offsets, JSON leniencies, over-long lines),
runs `dbt seed` + `dbt run --select stg_click_events__files stg_click_events__file_reads (...) stg_click_events__lines
int_click_events_validated --full-refresh` on DuckDB and on Spark (session target, this
project's data/spark/session), and compares every row and column (as text, ordered by dt,
file_name, line_number). Exit code 0 when equal.

Usage (from the project root; one dbt process on the spark target at a time):
  .venv/bin/python tests/python/spark_validation_compare.py [--workdir /tmp/x] [--skip-run]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import Pipeline, event
from test_validation_rules import DT, MAIN_FILE, MAIN_LINES

from clickstream.paths import PROJECT_ROOT, PipelinePaths
from clickstream.pipeline.contract import EVENT_FIELDS

VENV_BIN = Path(sys.executable).parent
MODELS = [
    "stg_click_events__files",
    "stg_click_events__file_reads",
    "stg_click_events__unreadable_lines",
    "stg_click_events__lines",
    "int_click_events_validated",
]
# small enough for an over-long fixture line, large enough for the 1 MB line of the rules fixture
MAX_LINE_BYTES = 1_100_000
EDGE_DT = "2024-01-11"
COLUMNS = [
    "dt",
    "file_name",
    "line_number",
    "is_blank",
    "quarantine_reason",
    "quarantine_detail",
    "is_quarantined",
    "is_valid",
    "raw_line",
    *EVENT_FIELDS,
    "extra_fields",
]


def ev(event_id: str, ts: object = "2024-01-11T10:00:00Z", user: object = "u9", **extra: object) -> bytes:
    return event(event_id, user, ts, **extra)  # type: ignore[arg-type]


def raw(text: str) -> bytes:
    return text.encode()


def padded_line(event_id: str, size: int, pad: str = "p") -> bytes:
    """A valid event line of exactly `size` bytes (UTF-8), padded with an extra field."""
    line = ev(event_id, pad="")[:-2]
    fill = size - len(line) - 2
    body = pad * (fill // len(pad.encode())) + "p" * (fill % len(pad.encode()))
    result = line + body.encode() + b'"}'
    assert len(result) == size, (len(result), size)
    return result


def edge_lines() -> list[bytes]:
    ips = [
        "203.0.113.77",
        "::ffff:203.0.113.77",
        "::FFFF:10.1.2.3",
        "2001:db8:85a3::8a2e:370:7334",
        "2001:db8::1",
        "::1",
        "::",
        "2001:0db8:0000:0000:0000:0000:0000:0001",
        "fe80::",
        "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7",
        "1::2::3",
        "256.1.1.1",
        "1.2.3",
        " 10.0.0.9 ",
        "10.0.0.9\n",
        "\t10.0.0.9",
        "1.2.3.4.5",
        "abc",
        "",
        "2001:db8:0:0:1::",
        "0:0:0::1",
        ":1:2::",
        "1:2::3:",
        "12345::",
        "000.010.001.255",
        "1:2:3:4:5:6:7:8:9",
        "::ffff:1.2.3.4444",
    ]
    lines = [ev(f"ip{i}", ip=ip) for i, ip in enumerate(ips)]
    lines += [ev("ip-num", ip=12345), ev("ip-null", ip=None)]
    lines += [
        # escapes, unicode, nested properties, extra fields of every kind
        raw(
            '{"event_id":"esc1","user_id":"u\\u00e9\\n\\"q\\"","event_type":"click","event_ts":"2024-01-11T10:00:00Z",'
            '"page_url":"/a\\/b\\u2028\\ud83d\\ude00","referrer":"caf\u00e9","properties":{"z":1,"a":{"y":[1,2.5,"x\\t"],"b":null},'
            '"price":19.99,"big":1e22,"small":0.00012,"s":"\\u0001"}}'
        ),
        ev("props-array", properties=[3, {"b": 1, "a": 2}]),
        ev("props-string", properties='just "text"'),
        ev("props-number", properties=1.5),
        ev("props-int", properties=42),
        ev("props-bool", properties=True),
        ev("props-null", properties=None),
        ev("props-empty", properties={}),
        ev(
            "extra1",
            app_version="1.2.3",
            nested={"z": [1, {"k": "v"}], "a": None},
            n=7,
            f=0.5,
            b=False,
            nul=None,
            u='\u00e9"\\',
        ),
        raw(
            '{"x_first":1,"event_id":"extra2","user_id":"u9","event_type":"click","event_ts":"2024-01-11T10:00:00Z",'
            '"a b":"sp ace","c.d":2.50,"big":18446744073709551616,"neg":-5,"sci":1.5E-7}'
        ),
        # numbers as fields
        ev("page-num", page_url=1.0, referrer=12345678.9, user_agent=-0.0),
        ev("page-bool", page_url=True, referrer=[1, 2], user_agent={"b": 1, "a": 2}),
        # timestamps
        ev("ts-frac1", "2024-01-11T10:00:00.1Z"),
        ev("ts-frac6", "2024-01-11T10:00:00.123456Z"),
        ev("ts-frac7", "2024-01-11T10:00:00.1234567Z"),
        ev("ts-off", "2024-01-11T23:30:00-23:59"),
        ev("ts-off2", "2024-01-11T00:30:00+23:59"),
        ev("ts-off3", "2024-01-11T10:00:00+05:60"),
        ev("ts-off4", "2024-01-11T10:00:00+0500"),
        ev("ts-space", "2024-01-11 10:00:00"),
        ev("ts-nozone", "2024-01-11T10:00:00"),
        ev("ts-dateonly", "2024-01-11"),
        ev("ts-nl", "2024-01-11T10:00:00Z\n"),
        ev("ts-leap", "2024-02-29T10:00:00Z"),
        ev("ts-year0", "0000-01-01T00:00:00Z"),
        ev("ts-ms", 1704967200000),
        ev("ts-ms-neg", -1000),
        ev("ts-ms-zero", 0),
        ev("ts-ms-huge", 253402300800000),
        ev("ts-ms-max", 9223372036854775),
        ev("ts-ms-over", 9223372036854776),
        ev("ts-ms-min", -9223372036854775),
        ev("ts-ms-under", -9223372036854776),
        ev("ts-ms-ubig", 18446744073709551615),
        ev("ts-ms-ubig2", 18446744073709551616),
        ev("ts-ms-float", 1704967200000.0),
        ev("ts-ms-float2", 1.5e-7),
        ev("ts-ms-float3", 1e22),
        ev("ts-ms-string", "1704967200000"),
        ev("ts-bool", True),
        ev("ts-obj", {"b": 1, "a": "x"}),
        ev("ts-arr", [1, "2"]),
        ev("ts-future", "2024-01-12T00:10:00.000001Z"),
        ev("ts-late", "2024-01-07T23:59:59Z"),
        ev("ts-long-string", "x" * 150),
        ev("et-unknown", event_type='h\u00f6ver "x"'),
        ev("et-long", event_type="y" * 150),
        ev("  "),
        ev("vt-user", user="\u000b"),
        ev("ws-user", user=" \t\n\r\f"),
        ev("num-user", user=12),
        # kinds of the whole line
        raw("1"),
        raw("-1"),
        raw("-0"),
        raw("1.0"),
        raw("18446744073709551615"),
        raw("18446744073709551616"),
        raw("-9223372036854775809"),
        raw("true"),
        raw("null"),
        raw('"text"'),
        raw("[]"),
        raw("1e5"),
        raw('  {"event_id":"padded","user_id":"u9","event_type":"click","event_ts":"2024-01-11T10:00:00Z"}\t '),
        # JSON leniencies: trailing content, repeated keys (one rule on both engines)
        raw('{"event_id":"trail","user_id":"u9","event_type":"click","event_ts":"2024-01-11T10:00:00Z"} x'),
        raw('{"event_id":"two","user_id":"u9","event_type":"click","event_ts":"2024-01-11T10:00:00Z"}{"a":1}'),
        raw('{"event_id":"comma2","user_id":"u9","event_type":"click","event_ts":"2024-01-11T10:00:00Z"},{"a":1}'),
        raw(
            '{"event_id":"dup","event_id":"dup2","user_id":"u9","event_type":"click","event_ts":"2024-01-11T10:00:00Z"}'
        ),
        raw('{"event_id":"dupx","user_id":"u9","event_type":"click","event_ts":"2024-01-11T10:00:00Z","x":1,"x":2}'),
        raw(
            '{"event_id":"dup-nested","user_id":"u9","event_type":"click","event_ts":"2024-01-11T10:00:00Z",'
            '"properties":{"k":1,"k":2},"extra":{"q":1,"q":[2]}}'
        ),
        raw('{"event_id":"lead0","user_id":"u9","event_type":"click","event_ts":007}'),
        raw('{"event_id":"tab\tin","user_id":"u9","event_type":"click","event_ts":"2024-01-11T10:00:00Z"}'),
        raw("{'event_id': 'py'}"),
        raw(
            '{"event_id":"lone-surrogate","user_id":"u9","event_type":"click","event_ts":"2024-01-11T10:00:00Z","x":"\\ud800"}'
        ),
        raw("\u000b"),
        raw(" \f "),
        # over-long lines: DuckDB's max_line_size counts the line break before a line (none for
        # the first line of a file), so N-1 bytes is the longest line read after an LF
        padded_line("at-limit", MAX_LINE_BYTES - 1),
        padded_line("over-limit", MAX_LINE_BYTES),
        padded_line("at-limit-multibyte", MAX_LINE_BYTES - 1, "\u00e9"),
        padded_line("over-limit-multibyte", MAX_LINE_BYTES, "\u00e9"),
        raw(" " * (MAX_LINE_BYTES + 5)),
        b'{"event_id":"bad-\xe9-latin1","user_id":"u9"}',
        ev("after-rejects"),
    ]
    return lines


# Left out of the comparison unless --with-known-differences, with the reason (documented in
# docs/spark.md): DuckDB's json_valid accepts NaN/Infinity and trailing commas, Spark's
# try_parse_json does not; and (landed separately) DuckDB's line limit counts the line break
# before a line, which Spark cannot see (a CRLF line after the first of exactly N-1 bytes).
KNOWN_DIFFERENT_LINES = [
    raw('{"event_id":"nan","user_id":"u9","event_type":"click","event_ts":"2024-01-11T10:00:00Z","n":NaN}'),
    raw('{"event_id":"tcomma","user_id":"u9","event_type":"click","event_ts":"2024-01-11T10:00:00Z",}'),
]


def land(raw_root: Path, with_known_differences: bool) -> None:
    pipeline = Pipeline(PipelinePaths(raw_root, raw_root.parent / "unused.duckdb", raw_root.parent / "exports"))
    # (a) test_validation_rules.py's fixture, byte for byte
    pipeline.land(DT, MAIN_FILE, [line for line, _ in MAIN_LINES])
    pipeline.land(
        DT,
        "b.jsonl",
        [event("e40", "u3", "2024-01-10T09:00:00Z"), event("e1", "u1", "2024-01-10T10:00:00Z", page_url="/from-b")],
        newline=b"\r\n",
    )
    pipeline.land(
        DT,
        "click_events+1+0000000000.jsonl.gz",
        [
            event("e26", "u1", 1704880800000, page_url="/gz-copy"),
            b"\xff\xfe",
            event("e41", "u3", "2024-01-10T09:10:00Z"),
        ],
        compress=True,
    )
    pipeline.land(DT, "empty.jsonl", [])
    # (c) edge lines, LF and CRLF, and a file without a final newline
    lines = edge_lines()
    pipeline.land(EDGE_DT, "edge.jsonl", lines)
    pipeline.land(
        EDGE_DT,
        "edge_crlf.jsonl",
        [
            *lines[:40],
            padded_line("crlf-at-limit", MAX_LINE_BYTES - 2),
            padded_line("crlf-over-limit", MAX_LINE_BYTES),
            *lines[-3:],
        ],
        newline=b"\r\n",
    )
    pipeline.land(EDGE_DT, "edge_no_final_newline.jsonl", [ev("last-a"), ev("last-b")], trailing_newline=False)
    # a file's first line may have N bytes; a last line without a final newline counts the LF before it
    pipeline.land(
        EDGE_DT,
        "edge_first_line_at_limit.jsonl",
        [
            padded_line("first-n", MAX_LINE_BYTES),
            padded_line("second-n-1", MAX_LINE_BYTES - 1),
            padded_line("last-n-no-newline", MAX_LINE_BYTES),
        ],
        trailing_newline=False,
    )
    pipeline.land(
        EDGE_DT, "edge_first_line_over_limit.jsonl", [padded_line("first-n+1", MAX_LINE_BYTES + 1), ev("after-first")]
    )
    pipeline.land(
        EDGE_DT,
        "edge_crlf_first_line_at_limit.jsonl",
        [padded_line("crlf-first-n", MAX_LINE_BYTES), ev("after-crlf-first")],
        newline=b"\r\n",
    )
    if with_known_differences:
        pipeline.land(EDGE_DT, "known_differences.jsonl", KNOWN_DIFFERENT_LINES)
        pipeline.land(
            EDGE_DT,
            "known_differences_crlf.jsonl",
            [ev("crlf-first"), padded_line("crlf-n-1", MAX_LINE_BYTES - 1)],
            newline=b"\r\n",
        )
    # (b) a generated sample with every kind of noise
    noise = [
        "malformed_json=0.02",
        "invalid_utf8=0.01",
        "invalid_required_field=0.03",
        "invalid_timestamp=0.02",
        "unknown_event_type=0.01",
        "future_event=0.01",
        "blank_line=0.01",
        "whitespace_line=0.01",
    ]
    subprocess.run(
        [
            str(VENV_BIN / "python"),
            "-m",
            "clickstream",
            "generate",
            "--start-date",
            "2024-03-01",
            "--days",
            "2",
            "--events-per-day",
            "3000",
            "--seed",
            "7",
            "--raw-root",
            str(raw_root),
            "--gzip-every-nth-day",
            "2",
            "--crlf-every-nth-file",
            "2",
            "--max-records-per-file",
            "1000",
            "--extra-field-rate",
            "0.05",
            "--quiet",
            *[arg for rate in noise for arg in ("--noise-rate", rate)],
        ],
        check=True,
    )


def dbt(args: list[str], env: dict[str, str]) -> None:
    cmd = [str(VENV_BIN / "dbt"), *args]
    print("+", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout[-6000:], result.stderr[-3000:])
        raise SystemExit(f"dbt failed: {' '.join(args)}")


def duckdb_rows(warehouse: Path) -> list[tuple]:
    import duckdb

    select = ", ".join(
        "strftime(event_ts, '%Y-%m-%d %H:%M:%S.%f') as event_ts" if c == "event_ts" else f"cast({c} as varchar) as {c}"
        for c in COLUMNS
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            f"select {select} from intermediate.int_click_events_validated order by dt, file_name, line_number"
        ).fetchall()


SPARK_READER = r"""
import json, sys
from pyspark.sql import SparkSession
cols = json.loads(sys.argv[1])
spark = (SparkSession.builder.master("local[1]").enableHiveSupport()
         .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
         .config("spark.sql.warehouse.dir", "data/spark/session/warehouse")
         .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                 "jdbc:derby:;databaseName=data/spark/session/metastore_db;create=true")
         .config("spark.driver.extraJavaOptions", "-Dderby.system.home=data/spark/session")
         .config("spark.local.dir", "data/spark/session/tmp/local").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
select = ", ".join(
    "regexp_replace(date_format(event_ts, 'yyyy-MM-dd HH:mm:ss.SSSSSS'), '^\\\\+', '') as event_ts" if c == "event_ts"
    else f"cast({c} as string) as {c}" for c in cols)
rows = spark.sql(f"select {select} from intermediate.int_click_events_validated order by dt, file_name, line_number").collect()
print("ROWS=" + json.dumps([list(r) for r in rows]))
"""


def spark_rows(env: dict[str, str]) -> list[tuple]:
    result = subprocess.run(
        [str(VENV_BIN / "python"), "-c", SPARK_READER, json.dumps(COLUMNS)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    for line in result.stdout.splitlines():
        if line.startswith("ROWS="):
            return [tuple(r) for r in json.loads(line[5:])]
    print(result.stdout[-3000:], result.stderr[-3000:])
    raise SystemExit("could not read the Spark table")


def compare(duck: list[tuple], spark: list[tuple]) -> int:
    def key(row: tuple) -> tuple:
        return (row[0], row[1], int(row[2]))

    duck_by_key = {key(r): r for r in duck}
    spark_by_key = {key(r): r for r in spark}
    differences = 0
    for k in sorted(set(duck_by_key) | set(spark_by_key)):
        d, s = duck_by_key.get(k), spark_by_key.get(k)
        if d is None or s is None:
            differences += 1
            print(f"{k}: only on {'Spark' if d is None else 'DuckDB'}: {(s or d)[3:9]}")
            continue
        for column, dv, sv in zip(COLUMNS, d, s):
            if dv != sv:
                differences += 1
                print(f"{k} {column}: DuckDB {str(dv)[:300]!r} != Spark {str(sv)[:300]!r}")
    reasons: dict[str, int] = {}
    for row in duck:
        name = row[4] or ("blank" if row[3] == "true" else "valid")
        reasons[name] = reasons.get(name, 0) + 1
    print(f"rows: DuckDB {len(duck)}, Spark {len(spark)}; outcomes (DuckDB): {dict(sorted(reasons.items()))}")
    print(
        f"extra_fields rows: {sum(1 for r in duck if r[18] is not None)}, "
        f"properties rows: {sum(1 for r in duck if r[17] is not None)}"
    )
    print("EQUAL" if differences == 0 else f"{differences} DIFFERENCES")
    return differences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/spark_validation_compare"))
    parser.add_argument("--skip-run", action="store_true", help="compare the tables of a previous run")
    parser.add_argument(
        "--with-known-differences",
        action="store_true",
        help="also land the lines the engines are known to judge differently",
    )
    args = parser.parse_args(argv)
    raw_root = args.workdir / "raw"
    warehouse = args.workdir / "duck.duckdb"
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "CLICKSTREAM_WAREHOUSE": str(warehouse),
    }
    if not args.skip_run:
        if args.workdir.exists():
            subprocess.run(["rm", "-rf", str(args.workdir)], check=True)
        args.workdir.mkdir(parents=True)
        land(raw_root, args.with_known_differences)
        dbt_vars = json.dumps({"raw_root": str(raw_root), "max_line_bytes": MAX_LINE_BYTES})
        selection = ["--select", *MODELS]
        # plain dbt reads only checked files: the check log goes next to the warehouse (both targets read it)
        subprocess.run(
            [str(VENV_BIN / "clickstream"), "check-files", "--raw-root", str(raw_root), "--warehouse", str(warehouse)],
            check=True,
        )
        dbt(["seed", "--full-refresh", "--select", "event_types"], env)
        dbt(["run", "--full-refresh", "--vars", dbt_vars, *selection], env)
        dbt(["seed", "--target", "spark", "--full-refresh", "--select", "event_types"], env)
        dbt(["run", "--target", "spark", "--full-refresh", "--vars", dbt_vars, *selection], env)
    return 1 if compare(duckdb_rows(warehouse), spark_rows(env)) else 0


if __name__ == "__main__":
    sys.exit(main())
