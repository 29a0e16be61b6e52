#!/usr/bin/env python3
"""The pipeline's core job as one hand-written DuckDB script: the benchmark's floor.

A one-page DuckDB design with the pipeline's rules (docs/rules.md), so that the benchmark can
say how far the pipeline is from what a single script does with the same rules -- not fewer:

1. every line of every landed raw file read once as text (``read_csv`` of one VARCHAR column with
   the options of macros/ingest/read_raw_lines.sql: NUL delimiter, no quoting, rejects stored;
   one scan per file, numbered ``with ordinality``), empty raw files skipped as the pipeline
   does;
2. blank lines counted; every other line given the first quarantine reason that applies, in the
   seed's order: ``invalid_encoding`` and over-long lines (``malformed_json``) from the reader's
   rejects table, as int_click_events_validated's post-hook does; then ``json_valid`` (a repeated
   top-level key is malformed too), one ``json_type`` list and one ``json_extract_string`` list
   of the contract's fields, ``invalid_field``, ``invalid_timestamp`` (ISO 8601 with a real date,
   time and offset, or epoch milliseconds), ``unknown_event_type`` (the ``event_types`` seed),
   ``future_event`` (after the landing day's end plus the clock skew), ``too_late`` (before the
   landing day minus the late-arrival days);
3. line numbers: a file's rows after a rejected line are shifted past it, as the pipeline does;
4. the first landed copy of each ``event_id`` kept (earliest dt, then file name, then line), the
   later copies counted as duplicates;
5. sessions per user ordered by ``event_ts`` then ``event_id``, a new one when the gap is
   strictly greater than the timeout (compared in whole microseconds),
   ``session_id = md5(user_id || 0x1F || first event_id)``;
6. the events written as Parquet partitioned by ``event_date`` and the sessions (the pandas
   peer's columns) partitioned by ``session_date``.

Six statements: validate (every line, written once to Parquet beside the spill files, so that
the wide rows never have to fit in memory), the rejected lines, the counts, the line-number
shifts, the events (copies and sessions decided on the key columns, sorted narrow, then joined to
the wide rows once as they are written) and the sessions (one grouped pass over the events
written). They run in a fresh in-memory DuckDB with the pipeline's memory
limit (profiles.yml: 3GB unless told otherwise), spilling next to the output. It is NOT a
product path: no file-level checks
(a corrupt gzip makes it fail), no enrichment (IPs are written as sent, as by the pandas peer),
no marts, data tests, warehouse tables, incremental days or quarantine export. The benchmark
compares the pipeline with it (docs/benchmark.md); tests/python/test_duckdb_floor.py shows that
its counts, sessions and line numbers are the pipeline's on the same files.

Prints one JSON line: files, lines read, blank lines, quarantined lines per reason, duplicates,
events, sessions, and the seconds of the statements (in all and per step).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
from pathlib import Path

import duckdb

from clickstream.paths import PROJECT_ROOT, landing_day, raw_files
from clickstream.pipeline.contract import EVENT_FIELDS, quarantine_reasons
from clickstream.pipeline.dbt_vars import add_rule_options

LOG = logging.getLogger("clickstream.duckdb_floor")

# The reason codes in rule order (seeds/quarantine_reasons.csv).
REASONS = quarantine_reasons()
EVENT_TYPES_SEED = PROJECT_ROOT / "seeds" / "event_types.csv"
# The contract's fields, in one order: field_types[i] and field_texts[i] are field i (1-based).
CONTRACT_FIELDS = EVENT_FIELDS
# Rows per bucket of the line-number shift join (an equality join on (file, bucket) instead of a
# range join: each bucket holds one or a few intervals of equal shift).
SHIFT_BUCKET_ROWS = 1024

# One file's lines as text, numbered: the options of macros/ingest/read_raw_lines.sql.
READ_FILE_SQL = """
    select {file_no} as file_no, date '{dt}' as dt, ordinality as row_index, coalesce(line_text, '') as line_text
    from read_csv(
        [{path}],
        columns = {{'line_text': 'VARCHAR'}},
        header = false,
        auto_detect = false,
        delim = chr(0),
        quote = '',
        escape = '',
        strict_mode = false,
        max_line_size = {max_line_bytes},
        buffer_size = {buffer_size},
        store_rejects = true,
        rejects_table = 'floor_rejects',
        rejects_scan = 'floor_rejects_scans'
    ) with ordinality"""

# Every returned line, validated: blank flag, quarantine reason, the typed fields of a valid
# event; written to Parquet next to the spill files (read back through the view `lines`), so that
# the wide rows never have to fit in memory.
VALIDATE_SQL = """
copy (
with

raw_lines as (
{scans}
),

json_kinds as (
    select
        *,
        -- a valid JSON text that starts with '{{' is an object: json_type() only for the others
        case
            when json_valid(line_text)
                then case when starts_with(line_text, '{{') then 'OBJECT' else json_type(line_text) end
        end as json_kind_parsed
    from raw_lines
),

keys_listed as (
    select
        *,
        -- valid JSON is never blank: the blank test runs only on the other lines
        case when json_kind_parsed is null then {line_is_blank} else false end as is_blank,
        case when json_kind_parsed = 'OBJECT' then json_keys(line_text) end as top_level_keys
    from json_kinds
),

json_checked as (
    -- a repeated top-level key makes the line malformed_json
    select
        *,
        coalesce(top_level_keys = {contract_list}, false) as has_exactly_contract_keys,
        case
            when coalesce(top_level_keys = {contract_list}, false) then json_kind_parsed
            when not coalesce(list_unique(top_level_keys) < len(top_level_keys), false) then json_kind_parsed
        end as json_kind
    from keys_listed
),

fields_extracted as (
    select
        *,
        case when json_kind = 'OBJECT' then json_type(line_text, {contract_paths}) end as field_types,
        case when json_kind = 'OBJECT' then json_extract_string(line_text, {contract_paths}) end as field_texts
    from json_checked
),

fields_named as (
    select
        file_no,
        dt,
        row_index,
        line_text,
        is_blank,
        json_kind,
        top_level_keys,
        has_exactly_contract_keys,
        field_types[1] as event_id_type,
        field_texts[1] as event_id,
        field_types[2] as user_id_type,
        field_texts[2] as user_id,
        field_types[3] as event_type_type,
        field_texts[3] as event_type,
        field_types[4] as event_ts_type,
        field_texts[4] as event_ts_text,
        field_texts[5] as page_url,
        field_texts[6] as referrer,
        field_texts[7] as user_agent,
        field_texts[8] as ip,
        field_types[9] as properties_type,
        field_texts[9] as properties_text,
        regexp_extract(
            field_texts[4],
            '^([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})[T ]([0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}})(\\.[0-9]{{1,6}})?(Z|[+-][0-9]{{2}}:[0-9]{{2}})?$',
            ['day', 'time', 'fraction', 'zone']
        ) as ts_parts
    from fields_extracted
),

fields_typed as (
    select
        *,
        -- ISO 8601 (no offset = UTC; offset hours <= 23, minutes <= 59) or epoch milliseconds
        case
            when event_ts_type in ('BIGINT', 'UBIGINT') then try(epoch_ms(try_cast(event_ts_text as bigint)))
            when event_ts_type = 'VARCHAR' and ts_parts.day != ''
                then try_strptime(
                    ts_parts.day || ' ' || ts_parts.time || rpad(coalesce(nullif(ts_parts.fraction, ''), '.'), 7, '0'),
                    '%Y-%m-%d %H:%M:%S.%f'
                ) - case
                    when ts_parts.zone in ('', 'Z') then interval 0 minute
                    when substr(ts_parts.zone, 2, 2)::int <= 23 and substr(ts_parts.zone, 5, 2)::int <= 59
                        then to_minutes(
                            (case when substr(ts_parts.zone, 1, 1) = '-' then -1 else 1 end)
                            * (substr(ts_parts.zone, 2, 2)::int * 60 + substr(ts_parts.zone, 5, 2)::int)
                        )
                end
        end as event_ts,
        coalesce(event_type_type = 'VARCHAR' and event_type in (select event_type from event_types), false)
            as is_known_event_type
    from fields_named
),

reasons_assigned as (
    -- the first rule that applies, in the seed's order (after the reader's invalid_encoding)
    select
        *,
        case
            when is_blank then null
            when coalesce(json_kind, '') != 'OBJECT' then 'malformed_json'
            when not coalesce(event_id_type = 'VARCHAR' and not {event_id_is_blank}, false)
                or not coalesce(user_id_type = 'VARCHAR' and not {user_id_is_blank}, false)
                or not coalesce(event_type_type = 'VARCHAR' and not {event_type_is_blank}, false)
                or event_ts_type is null
                or event_ts_type = 'NULL'
                or (event_ts_type = 'VARCHAR' and event_ts_text = '')
                then 'invalid_field'
            when event_ts is null then 'invalid_timestamp'
            when not is_known_event_type then 'unknown_event_type'
            when event_ts > cast(dt as timestamp) + interval 1 day + to_minutes({clock_skew_minutes}) then 'future_event'
            when event_ts < cast(dt as timestamp) - to_days({late_arrival_days}) then 'too_late'
        end as quarantine_reason
    from fields_typed
),

validated as (
    select *, not is_blank and quarantine_reason is null as is_valid
    from reasons_assigned
)

select
    file_no,
    row_index,
    is_blank,
    quarantine_reason,
    is_valid,
    case when is_valid then event_id end as event_id,
    case when is_valid then user_id end as user_id,
    case when is_valid then event_type end as event_type,
    case when is_valid then event_ts end as event_ts,
    case when is_valid then page_url end as page_url,
    case when is_valid then referrer end as referrer,
    case when is_valid then user_agent end as user_agent,
    case when is_valid then ip end as ip,
    case
        when not is_valid then null
        when properties_text = '{{}}' and properties_type = 'OBJECT' then '{{}}'::json
        when properties_type in ('OBJECT', 'ARRAY') then properties_text::json
        when properties_type is not null then json_extract(line_text, '$.properties')
    end as properties,
    -- the line without the contract's fields, when it has others
    case
        when is_valid and not has_exactly_contract_keys
            and len(list_filter(top_level_keys, lambda key: key not in ({contract_names}))) > 0
            then json_merge_patch(line_text, '{removed_fields_patch}')
    end as extra_fields
from validated
) to {lines_dir} (format parquet, per_thread_output true)
"""

# The lines the reader rejected (invalid UTF-8, longer than max_line_bytes), one row per line.
REJECTED_SQL = """
create temp table rejected_lines as
select
    files.file_no,
    cast(errors.line as bigint) as line_number,
    case when bool_or(errors.error_type = 'INVALID ENCODING') then 'invalid_encoding' else 'malformed_json' end
        as quarantine_reason
from floor_rejects as errors
inner join floor_rejects_scans as scans
    on errors.scan_id = scans.scan_id and errors.file_id = scans.file_id
inner join files
    on scans.file_path = files.file_path
group by files.file_no, errors.line
"""

# A file's k-th returned row is physical line k + j, where j counts its rejected lines r_i (the
# i-th rejected line of the file) with r_i - i + 1 <= k (int_click_events_validated's post-hook).
# As intervals of returned rows [lo, hi] with the same shift j, cut into buckets of rows.
LINE_SHIFTS_SQL = """
create temp table line_shifts as
with

shift_points as (
    select
        file_no,
        line_number - row_number() over (partition by file_no order by line_number) + 1 as from_row,
        row_number() over (partition by file_no order by line_number) as shift
    from rejected_lines
),

steps as (
    select file_no, from_row, max(shift) as shift
    from shift_points
    group by file_no, from_row
),

file_rows as (
    select file_no, max(row_index) as last_row
    from lines
    group by file_no
),

intervals as (
    select
        steps.file_no,
        steps.from_row as lo,
        coalesce(lead(steps.from_row) over (partition by steps.file_no order by steps.from_row) - 1, file_rows.last_row)
            as hi,
        steps.shift
    from steps
    inner join file_rows on steps.file_no = file_rows.file_no
)

select file_no, unnest(generate_series(lo // {bucket}, hi // {bucket})) as bucket, lo, hi, shift
from intervals
where hi >= lo
"""

# The first landed copy of each event, its session, its file and line: Parquet by event date.
# Copies and sessions are decided on the key columns (a sort of narrow rows, in memory), then
# joined to the wide rows once, as they are written.
EVENTS_SQL = """
copy (
    with

    valid_keys as not materialized (
        select file_no, row_index, event_id, user_id, event_ts from lines where is_valid
    ),

    repeated_id_hashes as (
        -- most ids occur once: only the ids whose hash repeats are ranked (a hash collision only
        -- adds an id to rank), grouping 8-byte hashes rather than the ids themselves
        select hash(event_id) as id_hash from valid_keys group by id_hash having count(*) > 1
    ),

    later_copies as (
        select file_no, row_index
        from (
            select
                file_no,
                row_index,
                row_number() over (partition by event_id order by file_no, row_index) as landing_rank
            from valid_keys
            semi join repeated_id_hashes on hash(valid_keys.event_id) = repeated_id_hashes.id_hash
        )
        where landing_rank > 1
    ),

    kept_keys as (
        select * from valid_keys
        anti join later_copies
            on valid_keys.file_no = later_copies.file_no and valid_keys.row_index = later_copies.row_index
    ),

    session_starts_flagged as (
        select
            *,
            coalesce(epoch_us(event_ts) - epoch_us(lag(event_ts) over by_user) > {timeout_us}, true) as is_session_start
        from kept_keys
        window by_user as (partition by user_id order by event_ts, event_id)
    ),

    sessions_assigned as (
        -- the md5 of the session's first event, carried forward to the user's later events
        select
            file_no,
            row_index,
            last_value(case when is_session_start then md5(user_id || chr(31) || event_id) end ignore nulls) over (
                partition by user_id order by event_ts, event_id rows unbounded preceding
            ) as session_id
        from session_starts_flagged
    )

    select
        lines.event_id,
        lines.user_id,
        lines.event_type,
        lines.event_ts,
        cast(lines.event_ts as date) as event_date,
        sessions_assigned.session_id,
        lines.page_url,
        lines.referrer,
        lines.user_agent,
        lines.ip,
        lines.properties,
        lines.extra_fields,
        files.dt,
        files.file_name,
        lines.row_index + coalesce(line_shifts.shift, 0) as line_number
    from lines as lines
    inner join sessions_assigned
        on lines.file_no = sessions_assigned.file_no and lines.row_index = sessions_assigned.row_index
    inner join files on lines.file_no = files.file_no
    left join line_shifts
        on
            lines.file_no = line_shifts.file_no
            and lines.row_index // {bucket} = line_shifts.bucket
            and lines.row_index between line_shifts.lo and line_shifts.hi
) to {events_dir} (format parquet, partition_by (event_date))
"""

# One row per session (the pandas peer's columns), from the events just written.
SESSIONS_SQL = """
copy (
    select
        session_id,
        user_id,
        min(event_ts) as session_start,
        max(event_ts) as session_end,
        cast(min(event_ts) as date) as session_date,
        cast(epoch_us(max(event_ts)) - epoch_us(min(event_ts)) as double) / 1000000 as duration_seconds,
        count(*) as event_count,
        count(*) filter (where event_type = 'page_view') as page_view_count,
        count(*) filter (where event_type = 'click') as click_count,
        arg_min(page_url, (event_ts, event_id)) filter (where event_type = 'page_view') as landing_page,
        arg_max(page_url, (event_ts, event_id)) filter (where event_type = 'page_view') as exit_page,
        count(*) = 1 and count(*) filter (where event_type = 'page_view') = 1 as is_bounce,
        bool_or(event_type = 'purchase') as has_purchase,
        min(dt) as first_dt,
        max(dt) as last_dt
    from read_parquet({events_glob}, hive_partitioning = false)
    group by session_id, user_id
) to {sessions_dir} (format parquet, partition_by (session_date))
"""


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_string_list(items: list[str] | tuple[str, ...]) -> str:
    return "[" + ", ".join(sql_string(item) for item in items) + "]"


def is_blank_sql(text: str) -> str:
    """SQL: TRUE when `text` is empty or only the pipeline's blank characters (its regex
    [ \\t\\n\\r\\f]*); trim() runs only on the rare texts that start with one of them."""
    return (
        f"case when {text} = '' then true when ascii({text}) not in (9, 10, 12, 13, 32) then false "
        f"else trim({text}, ' ' || chr(9) || chr(10) || chr(13) || chr(12)) = '' end"
    )


def validate_sql(
    files: list[tuple[int, str, Path]],
    lines_dir: Path,
    max_line_bytes: int,
    clock_skew_minutes: int,
    late_arrival_days: int,
) -> str:
    """The validation statement over the given (file_no, dt, path) files, writing to `lines_dir`."""
    scans = "\n    union all\n".join(
        READ_FILE_SQL.format(
            file_no=file_no,
            dt=dt,
            path=sql_string(str(path)),
            max_line_bytes=int(max_line_bytes),
            buffer_size=max(2 * int(max_line_bytes), 32 * 1024 * 1024),
        )
        for file_no, dt, path in files
    )
    removed_fields_patch = json.dumps(dict.fromkeys(CONTRACT_FIELDS), separators=(",", ":"))
    return VALIDATE_SQL.format(
        scans=scans,
        lines_dir=sql_string(str(lines_dir)),
        line_is_blank=is_blank_sql("line_text"),
        event_id_is_blank=is_blank_sql("event_id"),
        user_id_is_blank=is_blank_sql("user_id"),
        event_type_is_blank=is_blank_sql("event_type"),
        contract_list=sql_string_list(CONTRACT_FIELDS),
        contract_paths=sql_string_list([f"$.{field}" for field in CONTRACT_FIELDS]),
        contract_names=", ".join(sql_string(field) for field in CONTRACT_FIELDS),
        removed_fields_patch=removed_fields_patch.replace("'", "''"),
        clock_skew_minutes=int(clock_skew_minutes),
        late_arrival_days=int(late_arrival_days),
    )


def run(
    raw_root: Path,
    output_dir: Path,
    memory_limit: str | None,
    threads: int | None,
    timeout_minutes: int,
    clock_skew_minutes: int = 10,
    late_arrival_days: int = 3,
    max_line_bytes: int = 16 * 1024 * 1024,
    event_types: Path = EVENT_TYPES_SEED,
) -> dict[str, object]:
    """Run the script in a fresh in-memory database; returns its counts and seconds. Writes
    <output_dir>/events/event_date=*/ and <output_dir>/sessions/session_date=*/."""
    all_files = raw_files(raw_root)
    if not all_files:
        raise FileNotFoundError(f"no raw files under {raw_root}/click_events/dt=YYYY-MM-DD/")
    # sorted by path, so by landing day then file name: file_no is the landing order
    files = [(no, landing_day(path.parent.name) or "", path) for no, path in enumerate(all_files)]
    readable = [(no, dt, path) for no, dt, path in files if path.stat().st_size > 0]  # an empty file has no line
    shutil.rmtree(output_dir, ignore_errors=True)
    output_dir.mkdir(parents=True)
    spill_dir = output_dir.parent / (output_dir.name + ".spill")
    shutil.rmtree(spill_dir, ignore_errors=True)
    spill_dir.mkdir(parents=True)
    config: dict[str, str | bool | int] = {
        "preserve_insertion_order": False,
        "temp_directory": str(spill_dir),
        # a partitioned COPY buffers up to this many rows per date and thread before writing them
        # (DuckDB's default, 524288, held ~2.5 GB more at 10M events); one row group instead
        "partitioned_write_flush_threshold": 122880,
    }
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    counts: dict[str, object] = {
        "files": len(files),
        "lines_read": 0,
        "blank_lines": 0,
        "quarantined": dict.fromkeys(REASONS, 0),
        "quarantined_lines": 0,
        "duplicates": 0,
        "events": 0,
        "sessions": 0,
    }
    steps: dict[str, float] = {}
    try:
        if readable:
            with duckdb.connect(":memory:", config=config) as con:
                counts.update(
                    run_statements(
                        con,
                        readable,
                        files,
                        output_dir,
                        spill_dir,
                        steps,
                        timeout_minutes=timeout_minutes,
                        clock_skew_minutes=clock_skew_minutes,
                        late_arrival_days=late_arrival_days,
                        max_line_bytes=max_line_bytes,
                        event_types=event_types,
                    )
                )
    finally:
        shutil.rmtree(spill_dir, ignore_errors=True)
    return {**counts, "seconds": round(sum(steps.values()), 3), "step_seconds": steps}


def run_statements(
    con: duckdb.DuckDBPyConnection,
    readable: list[tuple[int, str, Path]],
    files: list[tuple[int, str, Path]],
    output_dir: Path,
    spill_dir: Path,
    steps: dict[str, float],
    *,
    timeout_minutes: int,
    clock_skew_minutes: int,
    late_arrival_days: int,
    max_line_bytes: int,
    event_types: Path,
) -> dict[str, object]:
    """The script's statements, one after the other on `con`; each one's seconds go to `steps`."""

    def step(name: str, sql: str) -> list[tuple]:
        started = time.perf_counter()
        rows = con.execute(sql).fetchall()
        steps[name] = round(time.perf_counter() - started, 3)
        LOG.debug("%s: %.2f s", name, steps[name])
        return rows

    con.execute("create temp table files (file_no integer, dt date, file_name varchar, file_path varchar)")
    con.executemany("insert into files values (?, ?, ?, ?)", [(no, dt, p.name, str(p)) for no, dt, p in files])
    con.execute(
        "create temp table event_types as select event_type from read_csv("
        f"{sql_string(str(event_types))}, header = true, auto_detect = false, "
        "columns = {'event_type': 'VARCHAR', 'description': 'VARCHAR'})"
    )
    lines_dir = spill_dir / "lines"
    step("validate", validate_sql(readable, lines_dir, max_line_bytes, clock_skew_minutes, late_arrival_days))
    con.execute(f"create temp view lines as select * from read_parquet({sql_string(str(lines_dir / '*.parquet'))})")
    [(has_rejects,)] = con.execute(
        "select count(*) from duckdb_tables() where temporary and table_name = 'floor_rejects'"
    ).fetchall()
    if has_rejects:
        step("rejected lines", REJECTED_SQL)
    else:
        con.execute("create temp table rejected_lines (file_no integer, line_number bigint, quarantine_reason varchar)")
    reason_counts = ", ".join(f"count(*) filter (where quarantine_reason = {sql_string(r)})" for r in REASONS)
    [counted] = step(
        "count lines",
        f"select count(*), count(*) filter (where is_blank), count(*) filter (where is_valid), {reason_counts} "
        "from lines",
    )
    rejected = dict(con.execute("select quarantine_reason, count(*) from rejected_lines group by all").fetchall())
    step("line shifts", LINE_SHIFTS_SQL.format(bucket=SHIFT_BUCKET_ROWS))
    events_dir, sessions_dir = output_dir / "events", output_dir / "sessions"
    [(events,)] = step(
        "events",
        EVENTS_SQL.format(
            timeout_us=int(timeout_minutes) * 60 * 1_000_000,
            bucket=SHIFT_BUCKET_ROWS,
            events_dir=sql_string(str(events_dir)),
        ),
    )
    sessions = 0
    if events:
        [(sessions,)] = step(
            "sessions",
            SESSIONS_SQL.format(
                events_glob=sql_string(str(events_dir / "*" / "*.parquet")),
                sessions_dir=sql_string(str(sessions_dir)),
            ),
        )
    lines_returned, blank, valid_lines = (int(n) for n in counted[:3])
    quarantined = {r: int(n) + int(rejected.get(r, 0)) for r, n in zip(REASONS, counted[3:], strict=True)}
    return {
        "lines_read": lines_returned + sum(int(n) for n in rejected.values()),
        "blank_lines": blank,
        "quarantined": quarantined,
        "quarantined_lines": sum(quarantined.values()),
        "duplicates": valid_lines - int(events),
        "events": int(events),
        "sessions": int(sessions),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="duckdb_floor.py",
        description=(
            "The benchmark's floor: the pipeline's core job as one hand-written DuckDB script with the "
            "same rules (blank lines, the seven quarantine reasons, line numbers, first landed copy, "
            "sessions) writing the events and sessions as Parquet partitioned by date. Not a product "
            "path: no file checks, enrichment, marts, tests or warehouse. Prints one JSON line "
            "(counts per reason, duplicates, events, sessions, seconds)."
        ),
    )
    parser.add_argument(
        "--raw-root", required=True, help="raw landing zone holding click_events/dt=YYYY-MM-DD/ folders"
    )
    parser.add_argument(
        "--output-dir",
        required=True,
        help="where to write events/ and sessions/ as Parquet (replaced on every run)",
    )
    parser.add_argument(
        "--memory-limit",
        default="3GB",
        help="DuckDB memory_limit, as in profiles.yml (default: 3GB); 'none' leaves DuckDB's own default (80%% of RAM)",
    )
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: DuckDB's, one per core)")
    add_rule_options(parser, ("session_timeout_minutes", "clock_skew_minutes", "late_arrival_days", "max_line_bytes"))
    parser.add_argument(
        "--event-types",
        default=str(EVENT_TYPES_SEED),
        help="CSV with the accepted event types (default: seeds/event_types.csv)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    memory_limit = None if args.memory_limit.lower() == "none" else args.memory_limit
    try:
        result = run(
            Path(args.raw_root).expanduser().resolve(),
            Path(args.output_dir).expanduser().resolve(),
            memory_limit,
            args.threads,
            args.session_timeout_minutes,
            args.clock_skew_minutes,
            args.late_arrival_days,
            args.max_line_bytes,
            Path(args.event_types).expanduser().resolve(),
        )
    except (FileNotFoundError, duckdb.Error) as error:
        print(f"duckdb_floor: error: {error}", file=sys.stderr)
        return 1
    LOG.info(
        "floor: %d lines, %d blank, %d quarantined, %d duplicates, %d events, %d sessions in %.1f s",
        result["lines_read"],
        result["blank_lines"],
        result["quarantined_lines"],
        result["duplicates"],
        result["events"],
        result["sessions"],
        result["seconds"],
    )
    print(json.dumps(result))  # keys in a fixed order; the reasons in rule order
    return 0


if __name__ == "__main__":
    sys.exit(main())
