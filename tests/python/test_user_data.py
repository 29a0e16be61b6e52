"""Issue #19 item 1, "user data is sacred": hand-landed raw files survive `make run` in every
variant (the sample never generates over a landing day that holds files: with or without
START_DATE, a sample overlapping part of the user's days, a sample over its own earlier days) and
`make clean`; `clickstream generate --overwrite` is the one way to replace landed files, says so
in --help, and never replaces a day the warehouse has processed.

The `make run` test drives the real Makefile (`make -C <project> run`, the paths as make
variables, which make exports to `clickstream sample`), with tiny samples: three runs, four landing
days refreshed in all (marked slow: each run also builds the dbt docs)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import event

from clickstream.ingest import generate
from clickstream.paths import PROJECT_ROOT
from clickstream.pipeline.lock import WarehouseLock

USER_DAYS = ("2024-03-05", "2024-03-06", "2024-03-07")


def land_user_files(raw_root: Path) -> dict[Path, bytes]:
    """Hand-written files on the user's days (a plain file each, plus a note beside one): their bytes."""
    files = {}
    for n, day in enumerate(USER_DAYS):
        folder = raw_root / "click_events" / f"dt={day}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "my_export.jsonl"
        path.write_bytes(
            b"\n".join(event(f"mine-{day}-{i}", f"user{i}", f"{day}T1{i}:00:00Z") for i in range(3 + n)) + b"\n"
        )
        files[path] = path.read_bytes()
    note = raw_root / "click_events" / f"dt={USER_DAYS[0]}" / "README.txt"
    note.write_text("exported by hand from the old tracker\n")
    files[note] = note.read_bytes()
    return files


def tree(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def make(*args: str, cwd: Path = PROJECT_ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    # -o .venv/.installed: never (re)install the venv from a test, whatever the stamp's age
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(cwd), "-f", str(PROJECT_ROOT / "Makefile"), *args],
        env={**os.environ, "DO_NOT_TRACK": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow  # three `make run`s (dbt docs each), four landing days refreshed: ~2-4 min on a busy machine
def test_make_run_never_touches_landed_files_in_any_variant(tmp_path: Path) -> None:
    data = tmp_path / "data"  # laid out like the default data/ folder
    raw, warehouse, exports = data / "raw", data / "warehouse" / "clickstream.duckdb", data / "exports"
    mine = land_user_files(raw)
    where = [f"CLICKSTREAM_RAW_ROOT={raw}", f"CLICKSTREAM_WAREHOUSE={warehouse}", f"CLICKSTREAM_EXPORT_ROOT={exports}"]
    today = datetime.now(UTC).date()

    def run(*variables: str) -> str:
        result = make("-o", ".venv/.installed", "run", *where, "EVENTS_PER_DAY=40", *variables)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-4000:]
        assert {p: b for p, b in tree(raw).items() if p in mine} == mine, "a hand-landed file changed"
        assert set(mine) <= set(tree(raw)), "a hand-landed file is gone"
        return output

    # 1. No START_DATE: a 1-day sample ending today, beside the user's days; every day refreshed.
    output = run("DAYS=1")
    assert "Outputs" in output  # where the warehouse, exports, docs and report are
    sample_days = [today.isoformat()]
    if datetime.now(UTC).date() != today:
        pytest.skip("the UTC day changed during the run")
    landed = sorted(p.name for p in (raw / "click_events").iterdir())
    assert landed == [f"dt={d}" for d in (*USER_DAYS, *sample_days)]
    sample_files = {p: b for p, b in tree(raw).items() if p not in mine}
    assert sample_files
    with duckdb.connect(str(warehouse), read_only=True) as con:
        processed = [
            r[0] for r in con.execute("select cast(dt as varchar) from main.agg_ingest_daily order by dt").fetchall()
        ]
        assert processed == [*USER_DAYS, *sample_days]
        # the user's events are in the warehouse, as landed
        assert con.execute("select count(*) from main.fct_events where event_id like 'mine-%'").fetchone() == (12,)
    # 2. START_DATE given, the sample overlapping part of the user's days (2024-03-07 .. 09).
    output = run("START_DATE=2024-03-07", "DAYS=3")
    assert "already hold files" in output
    assert not (raw / "click_events" / "dt=2024-03-08").exists()
    # 3. No START_DATE again, over the sample's own earlier day (today) and one more (yesterday).
    output = run("DAYS=2")
    assert "already hold files" in output
    assert tree(raw) == {**mine, **sample_files}, "the sample's own earlier files must not change either"
    assert not (raw / "click_events" / f"dt={(today - timedelta(days=1)).isoformat()}").exists()


def test_the_sample_never_generates_into_a_day_folder_holding_anything(tmp_path: Path) -> None:
    """A wanted day whose folder holds no raw file but something else (a note): the sample does not
    generate there either (it would have asked for --overwrite), and leaves the folder as it is."""
    raw = tmp_path / "raw"
    note = raw / "click_events" / "dt=2024-03-06" / "notes.txt"
    note.parent.mkdir(parents=True)
    note.write_text("to land tomorrow\n")
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "CLICKSTREAM_RAW_ROOT": str(raw),
        "CLICKSTREAM_WAREHOUSE": str(tmp_path / "wh" / "clickstream.duckdb"),
        "CLICKSTREAM_EXPORT_ROOT": str(tmp_path / "exports"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "clickstream", "sample", "--start-date", "2024-03-05", "--days", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "already hold files" in result.stderr, result.stderr[-3000:]
    assert "--overwrite" not in result.stderr and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert tree(raw) == {note: b"to land tomorrow\n"}


def test_make_clean_keeps_data(tmp_path: Path) -> None:
    """`make clean` in a copy of the project's layout (so the project's own target/ is left to the
    tests running beside this one): dbt's target/ and logs/, the linters' .lint/ and test-artifacts/
    go, data/ stays."""
    mine = land_user_files(tmp_path / "data" / "raw")
    kept = {
        tmp_path / "data" / "warehouse" / "clickstream.duckdb": b"warehouse",
        tmp_path / "data" / "exports" / "x": b"x",
    }
    for path, body in kept.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    for name in ("target", "logs", ".lint", "test-artifacts"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "f").write_text("build output")
    result = make("clean", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert tree(tmp_path / "data") == {**mine, **kept}
    assert not any((tmp_path / name).exists() for name in ("target", "logs", ".lint", "test-artifacts"))


def test_no_make_target_removes_the_landing_zone_or_the_warehouse() -> None:
    """Every `rm` in the Makefile's recipes names build outputs only (no data/, no CLICKSTREAM_ path)."""
    recipes = [line.strip() for line in (PROJECT_ROOT / "Makefile").read_text().splitlines() if line.startswith("\t")]
    removals = [line for line in recipes if line.startswith("rm ") or " rm " in line or "rmdir" in line]
    assert removals == ["rm -rf target logs .lint test-artifacts"]


def run_generate(raw: Path, warehouse: Path, *args: str) -> int:
    return generate.main(
        [
            "--raw-root",
            str(raw),
            "--warehouse",
            str(warehouse),
            "--events-per-day",
            "30",
            "--quiet",
            *args,
        ]
    )


def test_generate_overwrite_is_explicit_and_never_replaces_a_processed_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "clickstream.duckdb"
    assert generate.main(["--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--overwrite" in help_text and "DELETED, hand-landed files included" in help_text
    assert "never replaced" in help_text
    assert run_generate(raw, warehouse, "--start-date", "2024-03-04", "--days", "1") == 0
    mine = land_user_files(raw)
    symlinked = raw / "click_events" / "dt=2024-03-08"
    symlinked.mkdir()
    (symlinked / "elsewhere.jsonl").symlink_to(next(iter(mine)))
    before = tree(raw)
    capsys.readouterr()
    # Without --overwrite: refused, whatever the day holds (a symbolic link too).
    for day in ("2024-03-04", "2024-03-06", "2024-03-08"):
        assert run_generate(raw, warehouse, "--start-date", day, "--days", "1") == 2
        assert "pass --overwrite" in capsys.readouterr().err
    # A warehouse that processed 2024-03-04 and 2024-03-05: --overwrite never replaces those days.
    warehouse.parent.mkdir()
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "create table main.agg_ingest_daily as select * from (values (DATE '2024-03-04'), (DATE '2024-03-05')) t(dt)"
        )
    for start, days, named in (("2024-03-04", "1", "2024-03-04"), ("2024-03-05", "2", "2024-03-05")):
        assert run_generate(raw, warehouse, "--start-date", start, "--days", days, "--overwrite") == 2
        err = capsys.readouterr().err
        assert f"has processed landing day(s) {named};" in err and "Traceback" not in err
    # ... nor when --warehouse is no warehouse (it cannot tell), without a traceback.
    not_a_warehouse = tmp_path / "notes.txt"
    not_a_warehouse.write_text("not a database")
    for bad in (tmp_path, not_a_warehouse):
        assert run_generate(raw, bad, "--start-date", "2024-03-06", "--days", "1", "--overwrite") == 2
        err = capsys.readouterr().err
        assert "point --warehouse" in err and "Traceback" not in err, err
    # ... nor while a writer holds the warehouse (it cannot tell which days are processed).
    lock = WarehouseLock(warehouse, "clickstream refresh").acquire()
    try:
        code = subprocess.run(
            [
                sys.executable,
                "-m",
                "clickstream",
                "generate",
                "--raw-root",
                str(raw),
                "--warehouse",
                str(warehouse),
                "--start-date",
                "2024-03-06",
                "--days",
                "1",
                "--overwrite",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        lock.release()
    assert code.returncode == 2 and "is writing the warehouse" in code.stderr, code.stderr
    assert tree(raw) == before
    # An unprocessed day: --overwrite, named explicitly, replaces its files (the user's included).
    assert run_generate(raw, warehouse, "--start-date", "2024-03-06", "--days", "1", "--overwrite") == 0
    assert not (raw / "click_events" / "dt=2024-03-06" / "my_export.jsonl").exists()
    assert {p: b for p, b in tree(raw).items() if "dt=2024-03-06" not in str(p)} == {
        p: b for p, b in before.items() if "dt=2024-03-06" not in str(p)
    }
