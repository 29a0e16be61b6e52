"""Compare every model after validation between DuckDB and Spark, row for row.

Not a pytest file (the lead folds it into the real equality test). For each landing zone
(the fixtures of test_incremental_sessions.py and test_enrichment.py, an edge-case zone for the
URL / user-agent / revenue macros, and a `clickstream generate` sample):

1. full refresh on DuckDB (``dbt build --full-refresh``) into its own warehouse;
2. export ``intermediate.int_click_events_validated`` and ``staging.stg_click_events__files`` to
   Parquet and load them as tables into the ``spark`` target's session warehouse (a pyspark
   script with that target's settings), as the validation model is ported separately;
3. ``dbt seed`` + ``dbt run --full-refresh`` of every model after validation on the ``spark``
   target (optionally ``dbt test``);
4. write every compared Spark table to Parquet and compare it with DuckDB's table: same column
   names, same rows (ordered by all columns), values equal (JSON compared as text, timestamps
   as UTC, numbers by value).

Run from the project root (the spark target's paths are relative to it), with no other dbt
process on the spark target:

    .venv/bin/python tests/python/spark_models_compare.py --work /tmp/compare [--test] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
from conftest import COMPARED_TABLES, Pipeline, event

from clickstream.paths import PROJECT_ROOT, PipelinePaths

VENV_BIN = Path(sys.executable).parent
DBT = str(VENV_BIN / "dbt")

# schema.table -> columns that order its rows (then every other column)
TABLES = {
    "intermediate.int_duplicate_copies_identified": ["dt", "file_name", "line_number"],
    "intermediate.int_click_events_deduplicated": ["dt", "file_name", "line_number"],
    "intermediate.int_click_events_enriched": ["event_id"],
    "intermediate.int_events_sessionized": ["event_id"],
    "intermediate.int_sessions_rebuilt": ["session_id"],
    "intermediate.int_sessions_replaced": ["session_id"],
    "intermediate.int_refresh_changed_partitions": ["table_name", "partition_date"],
    **{f"main.{table}": [key] for table, key in COMPARED_TABLES.items()},
}

SPARK_CONF = textwrap.dedent("""
    from pyspark.sql import SparkSession
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.driver.memory", "2g")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.warehouse.dir", "data/spark/session/warehouse")
        .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                "jdbc:derby:;databaseName=data/spark/session/metastore_db;create=true")
        .config("spark.hadoop.hive.downloaded.resources.dir",
                "data/spark/session/tmp/resources/${hive.session.id}_resources")
        .config("spark.hadoop.hive.exec.local.scratchdir", "data/spark/session/tmp/scratch")
        .config("spark.driver.extraJavaOptions", "-Dderby.system.home=data/spark/session")
        .config("spark.local.dir", "data/spark/session/tmp/local")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .enableHiveSupport()
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
""")


# --- landing zones ------------------------------------------------------------------------------


def land_sessions(raw: Path) -> None:
    from test_incremental_sessions import land_two_days

    land_two_days(Pipeline(PipelinePaths(raw, raw.parent / "unused.duckdb", raw.parent / "unused")))


def land_enrichment(raw: Path) -> None:
    from test_enrichment import land

    land(Pipeline(PipelinePaths(raw, raw.parent / "unused.duckdb", raw.parent / "unused")))


def land_edges(raw: Path) -> None:
    """URL decoding, query parameters, user agents and revenue values where the engines'
    functions differ (macros url_query_parameter, url_decode_or_null, try_cast_integer)."""
    site = "https://Shop.Example.com"
    urls = [
        f"{site}/?utm_source=caf%E9&utm_medium=cpc",  # Latin-1 byte: kept as is
        f"{site}/?utm_source=caf%C3%A9&utm_medium=e%2Bmail",  # UTF-8: decoded
        f"{site}/?utm_source=a%zz%C3%A9&utm_campaign=50%",  # % without hex digits kept
        f"{site}/?utm_source=%EF%BF%BD%ef%bf%bd&utm_term=x%C3",  # encoded U+FFFD; a cut sequence
        f"{site}/?utm_source=\ufffd%C3%A9&utm_content=%C3%28",  # literal U+FFFD; invalid pair
        f"{site}/?utm_source=spring+sale%21&fbclid=&gclid=%",
        "https://www.Example.org:8080/a/b?x=1#frag",
        "/relative/path?utm_medium=social&utm_source=%E2%82%AC",
        "HTTP://WWW.EXAMPLE.NET",
        "mailto:someone@example.com",
        "https://user@host.example.com/p",
        "https://xn--bcher-kva.example/p?utm_source=b%C3%BCcher",
        "https://\u0130STANBUL.example/?utm_source=%C4%B0G&utm_medium=CPC",  # DuckDB: lower('İG') = 'ig'
        "https://\u03a3\u039f\u03a6\u039f\u03a3.example/",  # no final-sigma rule on DuckDB
    ]
    agents = [
        "Mozilla/5.0 (Linux; Android 14; SM-X200) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
        "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)",
        "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80) Presto/2.5.25",
        "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) SamsungBrowser/4.0 TV Safari/537.36",
        "curl/8.4.0",
        "python-requests/2.31",
        "HeadlessChrome/120.0",
        "\u017fpider",  # RE2's (?i) folds U+017F to s: a bot on both
        "\u212aindle",  # the Kelvin sign folds to k: a tablet on both
        "Version/17\rSafari/",  # RE2's `.` matches \r
        "\r",
        "\u2028",
        "x",
        " ",
    ]
    referrers = [
        "https://www.google.com/search?q=x",
        "https://m.facebook.com/",
        "https://mail.google.com/",
        "https://sub.news.ycombinator.com/",
        "https://shop.example.com/cart",
        "android-app://com.slack",
        "https://WWW.Bing.com",
        "not a url",
    ]
    quantities = ["2", "2.5", "3.5", "1e2", " 3 ", "abc", "", "0.5", "2147483648", None, 4, 2.5, True]
    lines = []
    for i, url in enumerate(urls):
        lines.append(
            event(
                f"url{i:02d}",
                f"uu{i % 3}",
                f"2024-05-01T10:{i:02d}:00Z",
                page_url=url,
                referrer=referrers[i % len(referrers)],
                user_agent=agents[i % len(agents)],
            )
        )
    for i, agent in enumerate(agents):
        lines.append(
            event(f"ua{i:02d}", f"ua{i}", f"2024-05-01T11:{i:02d}:00Z", page_url=f"{site}/ua", user_agent=agent)
        )
    for i, quantity in enumerate(quantities):
        properties = {"price": "10.25", "country": ["DE", "FR", None][i % 3]}
        if quantity is not None:
            properties["quantity"] = quantity
        lines.append(
            event(
                f"buy{i:02d}",
                f"buyer{i}",
                f"2024-05-01T12:{i:02d}:00Z",
                event_type="purchase",
                page_url=f"{site}/checkout",
                properties=properties,
            )
        )
    lines.append(
        event(
            "rev1",
            "buyer99",
            "2024-05-01T13:00:00Z",
            event_type="purchase",
            properties={"revenue": 19.999, "price": 1, "quantity": 3},
        )
    )
    lines.append(event("rev2", "buyer99", "2024-05-01T13:00:01Z", event_type="purchase", properties={"revenue": "1e2"}))
    pipeline = Pipeline(PipelinePaths(raw, raw.parent / "unused.duckdb", raw.parent / "unused"))
    pipeline.land("2024-05-01", "a.jsonl", lines)


def land_generated(raw: Path) -> None:
    subprocess.run(
        [
            sys.executable,
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
            str(raw),
            "--quiet",
        ],
        check=True,
    )


DATASETS = {"sessions": land_sessions, "enrichment": land_enrichment, "edges": land_edges, "generated": land_generated}


# --- running -----------------------------------------------------------------------------------


def run(cmd: list[str], env: dict[str, str] | None = None, check: bool = True) -> int:
    print("+", " ".join(cmd), flush=True)
    proc = subprocess.run(
        cmd,
        cwd=PROJECT_ROOT,
        env={**os.environ, "DO_NOT_TRACK": "1", "DBT_PROFILES_DIR": str(PROJECT_ROOT), **(env or {})},
        capture_output=True,
        text=True,
    )
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-25:])
    if proc.returncode != 0:
        print(tail, flush=True)
        if check:
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    else:
        print(
            "\n".join(
                line
                for line in proc.stdout.splitlines()
                if "Done." in line or "ERROR" in line or "FAIL" in line or "WARN " in line
            ),
            flush=True,
        )
    return proc.returncode


def spark_script(body: str) -> None:
    code = SPARK_CONF + textwrap.dedent(body)
    proc = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-5000:])
        raise SystemExit("pyspark script failed")


def build(name: str, work: Path, with_tests: bool, daily: bool = False) -> None:
    base = work / name
    raw = base / "raw"
    if not raw.exists():
        DATASETS[name](raw)
    duck = base / "duck.duckdb"
    duck.unlink(missing_ok=True)
    if not daily:
        build_batch(base, raw, duck, {}, full_refresh=True, with_tests=with_tests)
    else:
        # day by day on both engines (the Spark marts then use the replace strategy)
        days = sorted(path.name.removeprefix("dt=") for path in (raw / "click_events").glob("dt=*"))
        for number, day in enumerate(days):
            build_batch(
                base,
                raw,
                duck,
                {"run_date": day},
                full_refresh=number == 0,
                with_tests=with_tests and number == len(days) - 1,
            )


def build_batch(base: Path, raw: Path, duck: Path, extra_vars: dict, full_refresh: bool, with_tests: bool) -> None:
    refresh = ["--full-refresh"] if full_refresh else []
    vars_ = json.dumps({"raw_root": str(raw), **extra_vars})
    # plain dbt reads only checked files (the check log is next to the warehouse; checked once)
    run([str(VENV_BIN / "clickstream"), "check-files", "--raw-root", str(raw), "--warehouse", str(duck)])
    # DuckDB: a new warehouse each time; a full refresh would process every landed day, run_date or not
    run(
        [DBT, "build", *([] if "run_date" in extra_vars else refresh), "--vars", vars_],
        env={"CLICKSTREAM_WAREHOUSE": str(duck)},
        check=False,
    )
    exports = base / "exports"
    exports.mkdir(exist_ok=True)
    with duckdb.connect(str(duck), read_only=True) as con:
        for table in ("intermediate.int_click_events_validated", "staging.stg_click_events__files"):
            # JSON columns (properties, extra_fields) become strings with the same text, as on Spark
            columns = ", ".join(
                f'"{name}"::varchar as "{name}"' if kind == "JSON" else f'"{name}"'
                for name, kind, *_ in con.execute(f"describe {table}").fetchall()
            )
            con.execute(f"copy (select {columns} from {table}) to '{exports / table}.parquet'")
    spark_script(f"""
        for schema in ("staging", "intermediate", "main", "clickstream"):
            spark.sql(f"create database if not exists {{schema}}")
        for table in ("intermediate.int_click_events_validated", "staging.stg_click_events__files"):
            spark.sql(f"drop table if exists {{table}}")
            spark.read.parquet(f"{exports}/{{table}}.parquet").write.mode("overwrite").format("parquet").saveAsTable(table)
    """)
    if full_refresh:
        run([DBT, "seed", "--target", "spark", "--full-refresh"])
    run(
        [
            DBT,
            "run",
            "--target",
            "spark",
            *refresh,
            "--select",
            "int_duplicate_copies_identified+",
            "quarantined_events",
            "--exclude",
            "int_click_events_validated",
            "stg_click_events__files",
            "stg_click_events__file_reads",
            "stg_click_events__unreadable_lines",
            "stg_click_events__lines",
            "--vars",
            vars_,
        ],
        check=False,
    )
    if with_tests:
        run(
            [
                DBT,
                "test",
                "--target",
                "spark",
                "--exclude",
                "int_click_events_validated",
                "stg_click_events__files",
                "stg_click_events__file_reads",
                "stg_click_events__unreadable_lines",
                "stg_click_events__lines",
                "source:*",
                "--vars",
                vars_,
            ],
            check=False,
        )
    out = base / "spark_out"
    spark_script(f"""
        import shutil
        shutil.rmtree("{out}", ignore_errors=True)
        for table in {sorted(TABLES)!r}:
            try:
                spark.table(table).write.parquet(f"{out}/{{table}}")
            except Exception as error:
                print("missing", table, str(error).splitlines()[0])
    """)


# --- comparing ---------------------------------------------------------------------------------


def normalized(value: object) -> object:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, Decimal):
        return value.normalize() if value == value.to_integral_value() else value
    return value


def sort_key(row: tuple) -> tuple:
    return tuple(
        (value is None, str(type(value).__name__) if value is None else "", value if value is not None else 0)
        for value in row
    )


def compare(name: str, work: Path) -> dict[str, str]:
    base = work / name
    results = {}
    con = duckdb.connect(str(base / "duck.duckdb"), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    for table, keys in TABLES.items():
        spark_path = base / "spark_out" / table
        if not spark_path.exists():
            results[table] = "MISSING on Spark"
            continue
        duck_cols = [row[0] for row in con.execute(f"describe {table}").fetchall()]
        duck_types = {row[0]: row[1] for row in con.execute(f"describe {table}").fetchall()}
        spark_desc = con.execute(f"describe select * from read_parquet('{spark_path}/*.parquet')").fetchall()
        spark_cols = [row[0] for row in spark_desc]
        problems = []
        if sorted(duck_cols) != sorted(spark_cols):
            problems.append(
                f"columns differ: only DuckDB {sorted(set(duck_cols) - set(spark_cols))}, "
                f"only Spark {sorted(set(spark_cols) - set(duck_cols))}"
            )
        cols = [c for c in duck_cols if c in spark_cols]
        ordered = keys + [c for c in cols if c not in keys]
        select = ", ".join(f'"{c}"::varchar' if duck_types[c] == "JSON" else f'"{c}"' for c in ordered)
        duck_rows = sorted(
            (tuple(normalized(v) for v in row) for row in con.execute(f"select {select} from {table}").fetchall()),
            key=sort_key,
        )
        spark_select = ", ".join(f'"{c}"' for c in ordered)
        spark_rows = sorted(
            (
                tuple(normalized(v) for v in row)
                for row in con.execute(f"select {spark_select} from read_parquet('{spark_path}/*.parquet')").fetchall()
            ),
            key=sort_key,
        )
        if len(duck_rows) != len(spark_rows):
            problems.append(f"row counts differ: DuckDB {len(duck_rows)}, Spark {len(spark_rows)}")
        diffs = [(d, s) for d, s in zip(duck_rows, spark_rows) if d != s]
        if diffs:
            d, s = diffs[0]
            cells = {c: (dv, sv) for c, dv, sv in zip(ordered, d, s) if dv != sv}
            problems.append(f"{len(diffs)} rows differ, first: key {d[: len(keys)]} {cells}")
        results[table] = "; ".join(problems) if problems else f"equal ({len(duck_rows)} rows)"
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="scratch directory (landing zones, warehouses)")
    parser.add_argument("--only", action="append", choices=sorted(DATASETS), help="dataset(s) to run (default: all)")
    parser.add_argument("--test", action="store_true", help="also run dbt test on the spark target")
    parser.add_argument("--compare-only", action="store_true", help="compare what the last run left")
    parser.add_argument(
        "--daily",
        action="store_true",
        help="refresh day by day (run_date) instead of one full refresh; needs the Spark replace strategy",
    )
    args = parser.parse_args(argv)
    failed = False
    for name in args.only or list(DATASETS):
        print(f"=== {name}", flush=True)
        if not args.compare_only:
            build(name, args.work, args.test, args.daily)
        for table, result in compare(name, args.work).items():
            failed |= not result.startswith("equal")
            print(f"{name:10} {table:45} {result}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
