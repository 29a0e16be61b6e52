"""Write one self-contained HTML observability report from the clickstream warehouse.

The warehouse is opened read-only; while another process writes it (a refresh holds the
warehouse lock, clickstream/pipeline/lock.py), the report reads the published state instead (the
Parquet exports and a small snapshot, clickstream/report/published.py) and says so in a banner at
the top of the page and on stdout. The report holds inline SVG charts (drawn here, in Python:
no JavaScript, no CDN, works offline), each with a small table of its numbers:

- events and sessions per event day (fct_events.event_date, fct_sessions.session_date), each count
  bots included and humans only: the human-only ones are the analyst marts' figures
  (agg_daily_clicks.event_count and session_count, agg_daily_funnel.session_count);
- quarantine rate by reason per landing day (agg_ingest_daily);
- duplicates per landing day (agg_ingest_daily.duplicate_lines);
- late arrivals: for each landing day, how many kept events happened 0, 1, 2, 3 days earlier
  (fct_events.dt - fct_events.event_ts::date);
- freshness: now - newest event_ts, now - newest landing day and, when the table
  audit.refresh_runs exists, now - the end of the last successful refresh;
- session duration and events-per-session distributions (fct_sessions);
- top pages (fct_events.page_url of page_view events);
- the files quarantined at file level (main.quarantined_files), a table;
- the unread entries of the landing zone: per landing day (agg_ingest_daily.unread_entries) and,
  when audit.refresh_run_steps exists, the list the last refresh recorded (step `landing zone`).

Every count says whether bots are included (fct_events and fct_sessions keep bots, flagged
is_bot; the analyst marts leave them out): its label, caption or column header says "bots
included" or "humans only" (raw line counts are before bots are told apart: all lines).

Output is deterministic for a given warehouse except the generated-at time and the freshness
values. An empty warehouse gives a report whose charts say "no data".
"""

from __future__ import annotations

import argparse
import contextlib
import html
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from clickstream.durations import human_duration
from clickstream.options import int_at_least
from clickstream.paths import PipelinePaths, add_path_options, path_problems, unusable_location
from clickstream.pipeline.contract import quarantine_reasons
from clickstream.pipeline.lock import LockHolder, current_holder
from clickstream.pipeline.warehouse import WarehouseBusy, connect_duckdb
from clickstream.report.published import PublishedUnavailable, open_published

# A colour-blind-friendly qualitative palette (Okabe-Ito), fixed so the output is deterministic.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
# audit.refresh_runs.status values of a refresh that ended well (clickstream/pipeline/audit.py writes
# 'success', or 'nothing_to_do' when every landed day was already processed; 'running', 'failed',
# 'interrupted' for a run that died without recording its end).
SUCCESS_STATUSES = ("success", "nothing_to_do")
DURATION_BUCKETS = (  # (label, upper bound in seconds, exclusive; None = no bound)
    ("0 s (1 event)", 0.0),
    ("< 1 min", 60.0),
    ("1-5 min", 300.0),
    ("5-15 min", 900.0),
    ("15-30 min", 1800.0),
    ("30-60 min", 3600.0),
    ("1-2 h", 7200.0),
    ("> 2 h", None),
)
EVENT_COUNT_BUCKETS = (  # (label, lowest count, highest count; None = no bound)
    ("1", 1, 1),
    ("2", 2, 2),
    ("3", 3, 3),
    ("4", 4, 4),
    ("5", 5, 5),
    ("6-10", 6, 10),
    ("11-20", 11, 20),
    ("21-50", 21, 50),
    ("> 50", 51, None),
)
MAIN_TABLES = ("fct_events", "fct_sessions", "agg_ingest_daily")
MAX_DAYS = 90  # per-day charts show at most the latest this many days (the summary counts all)


# --------------------------------------------------------------------------------------------
# SVG drawing
# --------------------------------------------------------------------------------------------


def esc(value: object) -> str:
    """HTML/SVG-escaped text (page URLs and reasons come from raw, untrusted data)."""
    return html.escape(str(value), quote=True)


def fmt_int(value: float) -> str:
    return f"{round(value):,}"


def fmt_pct(value: float) -> str:
    return f"{value:.2f}%"


def nice_ticks(maximum: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `maximum` (1-2-2.5-5 steps)."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [0.0]
    while ticks[-1] < maximum - 1e-12:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def tick_label(value: float, percent: bool) -> str:
    if percent:
        return f"{value:g}%"
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 10_000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


@dataclass
class Series:
    name: str
    values: list[float]
    color: str
    formatter: Callable[[float], str] = fmt_int


def empty_svg(width: int = 720, height: int = 160) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="no data" class="no-data">'
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#fafafa" stroke="#ccc" '
        f'stroke-dasharray="4 3"/><text x="{width / 2:.1f}" y="{height / 2 + 5:.1f}" '
        f'text-anchor="middle" class="no-data-label">no data</text></svg>'
    )


def legend_rows(series: list[Series], width: float) -> list[list[tuple[Series, float]]]:
    """Legend entries with their x offsets, wrapped into rows that fit `width`."""
    rows: list[list[tuple[Series, float]]] = [[]]
    x = 0.0
    for s in series:
        entry_w = 24 + 7 * len(s.name)
        if rows[-1] and x + entry_w > width:
            rows.append([])
            x = 0.0
        rows[-1].append((s, x))
        x += entry_w
    return rows


def legend(series: list[Series], x: float, y: float, width: float) -> list[str]:
    parts = []
    for r, row in enumerate(legend_rows(series, width)):
        for s, dx in row:
            ly = y + 18 * r
            parts.append(f'<rect x="{x + dx:.1f}" y="{ly - 9:.1f}" width="10" height="10" fill="{s.color}"/>')
            parts.append(f'<text x="{x + dx + 14:.1f}" y="{ly:.1f}" class="legend">{esc(s.name)}</text>')
    return parts


def column_chart(
    categories: list[str],
    series: list[Series],
    *,
    stacked: bool = False,
    percent: bool = False,
    y_label: str = "",
    width: int = 720,
    height: int = 300,
) -> str:
    """Vertical bars: grouped (one bar per series) or stacked, one group per category."""
    if not categories or not series or all(v == 0 for s in series for v in s.values):
        return empty_svg(width)
    left, right, top = 64, 16, 20
    legend_count = len(legend_rows(series, width - left - right)) if len(series) > 1 else 0
    bottom = 30 + 18 * legend_count + (8 if legend_count else 0)
    height += 18 * max(legend_count - 1, 0)
    plot_w, plot_h = width - left - right, height - top - bottom
    if stacked:
        maximum = max(sum(s.values[i] for s in series) for i in range(len(categories)))
    else:
        maximum = max(v for s in series for v in s.values)
    ticks = nice_ticks(maximum)
    top_value = ticks[-1]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img">'
    ]
    for tick in ticks:
        y = top + plot_h - plot_h * tick / top_value
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{tick_label(tick, percent)}</text>'
        )
    if y_label:
        parts.append(
            f'<text transform="translate(14 {top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" class="axis-label">{esc(y_label)}</text>'
        )
    group_w = plot_w / len(categories)
    inner = group_w * 0.8
    bar_w = inner if stacked else inner / len(series)
    label_every = max(1, math.ceil(len(categories) * 58 / plot_w))
    for i, category in enumerate(categories):
        x0 = left + group_w * i + (group_w - inner) / 2
        base = 0.0
        for j, s in enumerate(series):
            value = s.values[i]
            h = plot_h * value / top_value
            x = x0 if stacked else x0 + bar_w * j
            y = top + plot_h - plot_h * (base + value) / top_value
            if value > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar_w - 1, 1):.1f}" height="{max(h, 0.5):.1f}" '
                    f'fill="{s.color}"><title>{esc(category)} \u2014 {esc(s.name)}: {s.formatter(value)}</title></rect>'
                )
            if stacked:
                base += value
        if i % label_every == 0:
            cx = left + group_w * (i + 0.5)
            parts.append(
                f'<text x="{cx:.1f}" y="{top + plot_h + 16}" text-anchor="middle" class="tick">{esc(category)}</text>'
            )
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" class="axis"/>')
    if len(series) > 1:
        parts += legend(series, left, top + plot_h + 44, width - left - right)
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    labels: list[str],
    values: list[float],
    *,
    color: str = PALETTE[0],
    formatter=fmt_int,
    titles: list[str] | None = None,
    width: int = 720,
    label_width: int = 330,
    label_chars: int = 48,
) -> str:
    """Horizontal bars, one per label, the value written after the bar."""
    if not labels:
        return empty_svg(width)
    row_h, top, bottom, right = 22, 10, 10, 80
    height = top + bottom + row_h * len(labels)
    plot_w = width - label_width - right
    maximum = max(values)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img">'
    ]
    for i, (label, value) in enumerate(zip(labels, values)):
        y = top + row_h * i
        title = esc(titles[i] if titles else label)
        w = plot_w * value / maximum if maximum else 0
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" class="bar-label"><title>{title}</title>{esc(truncate(label, label_chars))}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 6}" fill="{color}"><title>{title}: {formatter(value)}</title></rect>'
        )
        parts.append(f'<text x="{label_width + w + 6:.1f}" y="{y + 15}" class="value">{formatter(value)}</text>')
    parts.append(f'<line x1="{label_width}" x2="{label_width}" y1="{top}" y2="{height - bottom}" class="axis"/>')
    parts.append("</svg>")
    return "".join(parts)


def heat_color(t: float) -> str:
    """White (t=0) to dark blue (t=1)."""
    low, high = (247, 251, 255), (8, 69, 148)
    return "#" + "".join(f"{round(a + (b - a) * t):02x}" for a, b in zip(low, high))


def heatmap(
    row_labels: list[str],
    col_labels: list[str],
    matrix: list[list[float]],
    *,
    formatter=fmt_int,
    width: int = 720,
    row_title: str = "",
    col_title: str = "",
) -> str:
    """A grid of cells, one per (row, column), shaded by log(1 + value), the value written in it."""
    if not row_labels or not col_labels or not any(v for row in matrix for v in row):
        return empty_svg(width)
    left, top, right, row_h = 110, 44, 10, 26
    height = top + row_h * len(row_labels) + 10
    cell_w = (width - left - right) / len(col_labels)
    scale = math.log1p(max(v for row in matrix for v in row))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img">'
    ]
    if col_title:
        parts.append(
            f'<text x="{left + (width - left - right) / 2:.1f}" y="14" text-anchor="middle" class="axis-label">{esc(col_title)}</text>'
        )
    if row_title:
        parts.append(f'<text x="4" y="{top - 8}" class="axis-label">{esc(row_title)}</text>')
    for j, col in enumerate(col_labels):
        parts.append(
            f'<text x="{left + cell_w * (j + 0.5):.1f}" y="{top - 8}" text-anchor="middle" class="tick">{esc(col)}</text>'
        )
    for i, row in enumerate(row_labels):
        y = top + row_h * i
        parts.append(f'<text x="{left - 8}" y="{y + 17}" text-anchor="end" class="tick">{esc(row)}</text>')
        for j, col in enumerate(col_labels):
            value = matrix[i][j]
            t = math.log1p(value) / scale if scale else 0.0
            x = left + cell_w * j
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{cell_w - 2:.1f}" height="{row_h - 2}" fill="{heat_color(t)}" '
                f'class="cell"><title>{esc(row)} \u2014 {esc(col)}: {formatter(value)}</title></rect>'
            )
            color = "#fff" if t > 0.55 else "#222"
            parts.append(
                f'<text x="{x + cell_w / 2 - 1:.1f}" y="{y + 17}" text-anchor="middle" class="cell-value" '
                f'style="fill:{color}">{formatter(value)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def table(headers: list[str], rows: list[list[object]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


@dataclass
class Chart:
    name: str
    title: str
    caption: str
    svg: str
    table_html: str = ""


@dataclass
class Panel:
    name: str
    title: str
    caption: str
    table_html: str


@dataclass
class ReportData:
    charts: list[Chart] = field(default_factory=list)
    summary: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)  # sections with a table and no chart
    banner: str = ""  # set when the report shows the published state (a writer holds the warehouse)


class Warehouse:
    """Read-only queries on the warehouse; a missing table reads as empty."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.tables = {
            (schema, name)
            for schema, name in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        } | {
            (schema, name)
            for schema, name in con.execute(
                "select schema_name, view_name from duckdb_views() where not internal"
            ).fetchall()
        }

    def has(self, schema: str, table_name: str) -> bool:
        return (schema, table_name) in self.tables

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()


def iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value.isoformat() if isinstance(value, date) else str(value)


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def days_note(total_days: int) -> str:
    return f" Showing the latest {MAX_DAYS} of {total_days} days." if total_days > MAX_DAYS else ""


# The columns of the events and sessions per day table: (header, what it counts). The human-only
# ones are the analyst marts' own figures for the day.
DAILY_COLUMNS = (
    ("events, bots included", "fct_events rows of the event day"),
    ("events, humans only", "= agg_daily_clicks.event_count"),
    ("sessions started, bots included", "fct_sessions rows of the session day"),
    ("sessions started, humans only", "= agg_daily_funnel.session_count"),
    ("human sessions with events that day", "= agg_daily_clicks.session_count"),
)


def daily_counts(wh: Warehouse) -> dict[date, tuple[int, int, int, int, int]]:
    """Per UTC day, the counts of DAILY_COLUMNS, in that order."""
    events = (
        {
            day: (total, humans, human_sessions)
            for day, total, humans, human_sessions in wh.rows(
                "select event_date, count(*), count(*) filter (where not is_bot), "
                "count(distinct session_id) filter (where not is_bot) from main.fct_events group by 1"
            )
        }
        if wh.has("main", "fct_events")
        else {}
    )
    sessions = (
        {
            day: (total, humans)
            for day, total, humans in wh.rows(
                "select session_date, count(*), count(*) filter (where not is_bot) from main.fct_sessions group by 1"
            )
        }
        if wh.has("main", "fct_sessions")
        else {}
    )
    counts = {}
    for day in set(events) | set(sessions):
        total, humans, human_sessions = events.get(day, (0, 0, 0))
        started, started_humans = sessions.get(day, (0, 0))
        counts[day] = (total, humans, started, started_humans, human_sessions)
    return counts


def chart_events_sessions(wh: Warehouse) -> Chart:
    counts = daily_counts(wh)
    all_days = sorted(counts)
    days = all_days[-MAX_DAYS:]
    labels = [iso(d) for d in days]
    columns = list(zip(*(counts[d] for d in days))) if days else [[] for _ in DAILY_COLUMNS]
    series = [
        Series("events, bots included", list(columns[0]), PALETTE[5]),
        Series("events, humans only", list(columns[1]), PALETTE[0]),
        Series("sessions started, bots included", list(columns[2]), PALETTE[6]),
        Series("sessions started, humans only", list(columns[3]), PALETTE[1]),
    ]
    svg = column_chart(labels, series, y_label="count")
    return Chart(
        "events-sessions-per-day",
        "Events and sessions per day (bots included and humans only)",
        "Valid, deduplicated events per UTC event day (fct_events.event_date) and sessions per UTC "
        "day of their start (fct_sessions.session_date), each counted with bots included (the fact "
        "tables keep bots, flagged is_bot) and humans only (bots excluded, as in the analyst marts: the "
        "humans-only events are agg_daily_clicks.event_count, the humans-only sessions started "
        "agg_daily_funnel.session_count, the human sessions with events that day agg_daily_clicks."
        "session_count, which also counts sessions started the day before). Days before the first "
        "landing day hold the late events that landed later." + days_note(len(all_days)),
        svg,
        table(
            ["event day", *(header for header, _ in DAILY_COLUMNS)],
            [[lab, *(fmt_int(v) for v in counts[d])] for lab, d in zip(labels, days)],
        ),
    )


def ingest_rows(wh: Warehouse) -> list[dict]:
    if not wh.has("main", "agg_ingest_daily"):
        return []
    cursor = wh.con.execute("select * from main.agg_ingest_daily order by dt")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def chart_quarantine(ingest: list[dict], total_days: int) -> Chart:
    labels = [iso(r["dt"]) for r in ingest]
    has_lines = any(r.get("lines_read", 0) for r in ingest)
    series = []
    reasons = quarantine_reasons()
    for k, reason in enumerate(reasons):
        values = [100.0 * r.get(f"{reason}_lines", 0) / r["lines_read"] if r.get("lines_read") else 0.0 for r in ingest]
        series.append(Series(reason, values, PALETTE[k % len(PALETTE)], fmt_pct))
    if not has_lines:
        svg = empty_svg()
    elif all(v == 0 for s in series for v in s.values):
        svg = zero_svg("no quarantined lines")
    else:
        svg = column_chart(labels, series, stacked=True, percent=True, y_label="% of lines read")
    rows = []
    for r in ingest:
        read = r.get("lines_read", 0)
        rows.append(
            [
                iso(r["dt"]),
                fmt_int(read),
                fmt_int(r.get("quarantined_lines", 0)),
                fmt_pct(100.0 * r.get("quarantined_lines", 0) / read) if read else "-",
            ]
            + [fmt_int(r.get(f"{reason}_lines", 0)) for reason in reasons]
        )
    return Chart(
        "quarantine-rate",
        "Quarantine rate by reason, per landing day",
        "Quarantined raw lines as a share of the lines read on each landing day (agg_ingest_daily), "
        "stacked by reason code (the first rule that applies). Raw lines, bots included (bots are told "
        "apart only in valid events)." + days_note(total_days),
        svg,
        table(["landing day", "lines read", "quarantined", "rate", *reasons], rows),
    )


def zero_svg(message: str, width: int = 720, height: int = 120) -> str:
    """A frame saying that every value is zero (data exists, nothing to draw)."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{esc(message)}">'
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#f4fbf6" stroke="#9c9"/>'
        f'<text x="{width / 2:.1f}" y="{height / 2 + 5:.1f}" text-anchor="middle" class="zero-label">{esc(message)}</text></svg>'
    )


def chart_duplicates(ingest: list[dict], total_days: int) -> Chart:
    labels = [iso(r["dt"]) for r in ingest]
    values = [r.get("duplicate_lines", 0) for r in ingest]
    if not any(r.get("lines_read", 0) for r in ingest):
        svg = empty_svg()
    elif not any(values):
        svg = zero_svg("no duplicates")
    else:
        svg = column_chart(labels, [Series("duplicates", values, PALETTE[3])], y_label="duplicate lines")
    rows = []
    for r in ingest:
        valid_or_dup = r.get("valid_events", 0) + r.get("duplicate_lines", 0)
        rows.append(
            [
                iso(r["dt"]),
                fmt_int(r.get("duplicate_lines", 0)),
                fmt_pct(100.0 * r.get("duplicate_lines", 0) / valid_or_dup) if valid_or_dup else "-",
            ]
        )
    return Chart(
        "duplicates-per-day",
        "Duplicates per landing day",
        "Valid lines that were a later copy of an event already landed (duplicate_events; the copy "
        "landed first is kept), bots included. Rate = duplicates / (valid events + duplicates), both "
        "bots included." + days_note(total_days),
        svg,
        table(["landing day", "duplicates", "rate"], rows),
    )


def chart_late_arrivals(wh: Warehouse) -> Chart:
    rows = (
        wh.rows("select dt, (dt - event_ts::date) as lag_days, count(*) from main.fct_events group by all order by all")
        if wh.has("main", "fct_events")
        else []
    )
    all_days = sorted({r[0] for r in rows})
    days = all_days[-MAX_DAYS:]
    lags = sorted({r[1] for r in rows} | ({0, 1, 2, 3} if rows else set()))
    counts = {(r[0], r[1]): r[2] for r in rows}

    def lag_name(lag: int) -> str:
        if lag < 0:
            return f"{-lag} day(s) after (clock skew)"
        return "same day" if lag == 0 else f"{lag} day{'s' if lag > 1 else ''} earlier"

    svg = heatmap(
        [iso(d) for d in days],
        [lag_name(lag) for lag in lags],
        [[counts.get((d, lag), 0) for lag in lags] for d in days],
        row_title="landing day",
        col_title="event happened (UTC day vs landing day)",
    )
    table_rows = []
    for d in days:
        total = sum(counts.get((d, lag), 0) for lag in lags)
        table_rows.append(
            [iso(d)]
            + [fmt_int(counts.get((d, lag), 0)) for lag in lags]
            + [fmt_pct(100.0 * (total - counts.get((d, 0), 0)) / total) if total else "-"]
        )
    return Chart(
        "late-arrivals",
        "Late arrivals: event day vs landing day",
        "For each landing day (row), the kept events (fct_events, bots included) by how many days before "
        "the landing day they happened (dt - event_ts::date); shading is logarithmic. Events more than "
        "late_arrival_days (3) late are quarantined as too_late and are not counted here." + days_note(len(all_days)),
        svg,
        table(["landing day"] + [lag_name(lag) for lag in lags] + ["late share"], table_rows),
    )


def last_refresh_runs(wh: Warehouse) -> tuple[datetime | None, tuple | None]:
    """(end of the last successful refresh, (started_at, ended_at, status) of the latest run)."""
    placeholders = ", ".join("?" for _ in SUCCESS_STATUSES)
    last_ok = wh.rows(
        "select max(coalesce(ended_at, started_at)) from audit.refresh_runs "
        f"where lower(trim(status::varchar)) in ({placeholders})",
        list(SUCCESS_STATUSES),
    )[0][0]
    latest = wh.rows(
        "select started_at, ended_at, status from audit.refresh_runs "
        "order by started_at desc nulls last, run_id desc limit 1"
    )
    return last_ok, (latest[0] if latest else None)


def chart_freshness(wh: Warehouse, now: datetime, data: ReportData) -> Chart:
    newest_event = newest_day = None
    if wh.has("main", "fct_events"):
        newest_event, newest_day = wh.rows("select max(event_ts), max(dt) from main.fct_events")[0]
    if wh.has("main", "agg_ingest_daily"):
        processed = wh.rows("select max(dt) from main.agg_ingest_daily")[0][0]
        if processed is not None and (newest_day is None or processed > newest_day):
            newest_day = processed
    labels, values, rows = [], [], []
    if newest_event is not None:
        age = (now - as_utc(newest_event)).total_seconds()
        labels.append("now - newest event_ts")
        values.append(age / 3600)
        rows.append(["newest event (event_ts, UTC)", iso(newest_event), human_duration(age)])
    if newest_day is not None:
        start = datetime(newest_day.year, newest_day.month, newest_day.day, tzinfo=UTC)
        age = (now - start).total_seconds()
        labels.append("now - newest landing day")
        values.append(age / 3600)
        rows.append(["newest processed landing day (dt, start of day UTC)", iso(newest_day), human_duration(age)])
    if wh.has("audit", "refresh_runs"):
        try:
            audit = last_refresh_runs(wh)
        except duckdb.Error as error:  # another shape than expected: say so, keep the report
            audit = None
            data.notes.append(
                f"audit.refresh_runs could not be read ({type(error).__name__}): the last successful refresh time is not shown."
            )
        if audit is not None:
            last_ok, last_any = audit
            if last_ok is not None:
                age = (now - as_utc(last_ok)).total_seconds()
                labels.append("now - last successful refresh")
                values.append(age / 3600)
                rows.append(["last successful refresh (audit.refresh_runs, end)", iso(last_ok), human_duration(age)])
            else:
                rows.append(["last successful refresh (audit.refresh_runs)", "none recorded", "-"])
            if last_any:
                started, ended, status = last_any
                rows.append(
                    [
                        "latest refresh run (audit.refresh_runs)",
                        f"started {iso(started)}, ended {iso(ended) if ended else '-'}",
                        f"status {status}",
                    ]
                )
    else:
        data.notes.append(
            "audit.refresh_runs does not exist in this warehouse: the last successful refresh time is not shown."
        )
    svg = bar_chart(
        labels,
        [max(v, 0.0) for v in values],
        color=PALETTE[2],
        formatter=lambda hours: human_duration(hours * 3600),
        label_width=230,
    )
    return Chart(
        "freshness",
        "Freshness",
        f"How old the newest data is at report time ({now.strftime('%Y-%m-%d %H:%M:%S')} UTC): "
        "newest event time, start of the newest processed landing day and, when audit.refresh_runs "
        "exists, the end of the last successful refresh.",
        svg,
        table(["what", "value", "age"], rows),
    )


def chart_session_duration(wh: Warehouse) -> Chart:
    cases, lower = [], None
    for _, upper in DURATION_BUCKETS:
        if lower is None:
            cond = f"duration_seconds <= {upper}"
        elif upper is None:
            cond = f"duration_seconds > {lower}" if lower == 0 else f"duration_seconds >= {lower}"
        else:
            cond = (
                f"duration_seconds > {lower}" if lower == 0 else f"duration_seconds >= {lower}"
            ) + f" and duration_seconds < {upper}"
        cases.append(f"count(*) filter (where {cond})")
        lower = upper
    counts = (
        list(wh.rows(f"select {', '.join(cases)} from main.fct_sessions")[0]) if wh.has("main", "fct_sessions") else []
    )
    labels = [label for label, _ in DURATION_BUCKETS]
    svg = column_chart(
        labels if counts else [], [Series("sessions, bots included", counts, PALETTE[5])], y_label="sessions"
    )
    total = sum(counts)
    rows = [[lab, fmt_int(c), fmt_pct(100.0 * c / total)] for lab, c in zip(labels, counts)] if total else []
    return Chart(
        "session-duration",
        "Session length",
        "Sessions (fct_sessions, bots included) by duration (last event - first event). A session ends "
        "after a gap of more than 30 minutes, so single-event sessions last 0 s.",
        svg,
        table(["duration", "sessions, bots included", "share"], rows),
    )


def chart_events_per_session(wh: Warehouse) -> Chart:
    cases = []
    for _, low, high in EVENT_COUNT_BUCKETS:
        cond = f"event_count >= {low}" + (f" and event_count <= {high}" if high is not None else "")
        cases.append(f"count(*) filter (where {cond})")
    counts = (
        list(wh.rows(f"select {', '.join(cases)} from main.fct_sessions")[0]) if wh.has("main", "fct_sessions") else []
    )
    labels = [label for label, _, _ in EVENT_COUNT_BUCKETS]
    svg = column_chart(
        labels if counts else [], [Series("sessions, bots included", counts, PALETTE[4])], y_label="sessions"
    )
    total = sum(counts)
    rows = [[lab, fmt_int(c), fmt_pct(100.0 * c / total)] for lab, c in zip(labels, counts)] if total else []
    return Chart(
        "events-per-session",
        "Events per session",
        "Sessions (fct_sessions, bots included) by their number of events (fct_sessions.event_count).",
        svg,
        table(["events", "sessions, bots included", "share"], rows),
    )


def chart_top_pages(wh: Warehouse, top: int) -> Chart:
    rows = (
        wh.rows(
            "select page_url, count(*) as views from main.fct_events "
            "where event_type = 'page_view' and page_url is not null "
            "group by page_url order by views desc, page_url limit ?",
            [top],
        )
        if wh.has("main", "fct_events") and top > 0
        else []
    )
    total = (
        wh.rows("select count(*) from main.fct_events where event_type = 'page_view'")[0][0]
        if wh.has("main", "fct_events")
        else 0
    )
    labels = [r[0] for r in rows]
    values = [r[1] for r in rows]
    svg = bar_chart(labels, values, color=PALETTE[0])
    return Chart(
        "top-pages",
        f"Top {top} pages",
        "Most viewed pages: fct_events.page_url of page_view events (all days), bots included.",
        svg,
        table(
            ["page", "page views, bots included", "share of page views"],
            [[lab, fmt_int(v), fmt_pct(100.0 * v / total) if total else "-"] for lab, v in zip(labels, values)],
        ),
    )


def quarantined_files_panel(wh: Warehouse, limit: int = 50) -> tuple[Panel, int]:
    """The files quarantined at file level (main.quarantined_files), newest landing day first,
    and how many there are in all."""
    rows = []
    if wh.has("main", "quarantined_files"):
        rows = wh.rows(
            "select dt, file_name, quarantine_reason, size_bytes, quarantine_detail "
            "from main.quarantined_files order by dt desc, file_name"
        )
    shown = [
        [iso(dt), name, reason, "-" if size is None else fmt_int(size), detail]
        for dt, name, reason, size, detail in rows[:limit]
    ]
    caption = (
        "Landed raw files that cannot be read as a whole (corrupt, truncated or non-gzip .jsonl.gz, empty .gz, "
        "unreadable, or not a regular file), skipped whole: their lines are not counted anywhere else. Land a "
        "corrected copy under another name to recover their events (main.quarantined_files)."
    )
    if not rows:
        caption = "No landed file was quarantined at file level. " + caption
    elif len(rows) > limit:
        caption += f" Showing the latest {limit} of {len(rows)}."
    headers = ["landing day", "file", "reason", "bytes", "detail"]
    return Panel("quarantined-files", "Files quarantined at file level", caption, table(headers, shown)), len(rows)


def unread_entries_panel(wh: Warehouse, ingest: list[dict], limit: int = 50) -> tuple[Panel, int]:
    """The landing days whose folder holds unread entries (agg_ingest_daily.unread_entries), newest
    first, then the entries the last refresh listed (audit.refresh_run_steps, step `landing
    zone`: with those of no landing day); and how many unread entries the processed days hold."""
    days = [(r["dt"], r.get("unread_entries") or 0) for r in reversed(ingest) if r.get("unread_entries")]
    rows = [[iso(dt), fmt_int(count), "counted in agg_ingest_daily.unread_entries"] for dt, count in days[:limit]]
    listed: list[str] = []
    if wh.has("audit", "refresh_run_steps") and wh.has("audit", "refresh_runs"):
        last = wh.rows(
            "select s.message from audit.refresh_run_steps s where s.step = 'landing zone' and s.run_id = "
            "(select run_id from audit.refresh_runs order by started_at desc limit 1)"
        )
        if last:  # the last refresh found unread entries: its message lists them, one a line
            listed = (last[0][0] or "").splitlines()[1:]
    rows += [["(last refresh)", "", entry] for entry in listed[:limit]]
    caption = (
        "Entries under the raw root that no refresh reads (wrong extension or case, wrong folder level, no dt= or "
        "a bad date): the refresh lists them as a warning before dbt runs (--strict-landing-zone: an error). Per "
        "landing day, the ones in its folder; then every entry the last refresh listed (audit.refresh_run_steps)."
    )
    if not rows:
        caption = "No unread entry in the landing zone. " + caption
    elif len(listed) > limit:
        caption += f" Showing {limit} of the {len(listed)} entries listed."
    headers = ["landing day", "unread entries", "entry (reason)"]
    total = sum(count for _, count in days)
    return Panel("unread-entries", "Unread entries in the landing zone", caption, table(headers, rows)), total


def last_batches_panel(wh: Warehouse, limit: int = 10) -> Panel:
    """The latest refresh runs (audit.refresh_runs), newest first: status, landing days, seconds,
    and, from audit.processed_files, the files each run processed first and its lag (its end minus
    the landing time of the oldest of those files: how long they waited to be in the tables)."""
    rows: list[list[object]] = []
    if wh.has("audit", "refresh_runs"):
        first_records = (
            "select run_id, count(*) as new_files, min(mtime_ns) as oldest_mtime_ns from ("
            "select file_path, arg_min(run_id, processed_at) as run_id, arg_min(mtime_ns, processed_at) as mtime_ns "
            "from audit.processed_files group by file_path) group by run_id"
            if wh.has("audit", "processed_files")
            else "select null::varchar as run_id, null::bigint as new_files, null::bigint as oldest_mtime_ns where false"
        )
        try:
            runs = wh.rows(
                f"with first_records as ({first_records}) "
                "select runs.started_at, runs.ended_at, runs.status, runs.landing_days, first_records.new_files, "
                "first_records.oldest_mtime_ns from audit.refresh_runs as runs left join first_records using (run_id) "
                f"order by runs.started_at desc nulls last, runs.run_id desc limit {limit}"
            )
        except duckdb.Error:  # an audit table from before these columns: runs only
            runs = [
                (started, ended, status, None, None, None)
                for started, ended, status in wh.rows(
                    "select started_at, ended_at, status from audit.refresh_runs "
                    f"order by started_at desc nulls last, run_id desc limit {limit}"
                )
            ]
        for started, ended, status, days, new_files, oldest_ns in runs:
            seconds = (ended - started).total_seconds() if started and ended else None
            lag = (
                (as_utc(ended) - datetime.fromtimestamp(oldest_ns / 1e9, UTC)).total_seconds()
                if ended is not None and oldest_ns is not None
                else None
            )
            rows.append(
                [
                    iso(started),
                    status,
                    (days or "-").replace(",", ", "),
                    "-" if new_files is None else fmt_int(new_files),
                    "-" if seconds is None else human_duration(seconds),
                    "-" if lag is None else human_duration(lag),
                ]
            )
    caption = (
        "The latest refresh runs (audit.refresh_runs), newest first: the landing days each processed, the files it "
        "processed first (audit.processed_files), how long it took, and its lag: its end minus the landing time "
        "(modification time) of the oldest of those files, how long new data waited to be in the tables."
    )
    if not rows:
        caption = "No refresh run is recorded. " + caption
    headers = ["started (UTC)", "status", "landing days", "new files", "took", "lag"]
    return Panel("last-batches", "Last batches", caption, table(headers, rows))


def collect(con: duckdb.DuckDBPyConnection, now: datetime, top_pages: int) -> ReportData:
    wh = Warehouse(con)
    data = ReportData()
    missing = [t for t in MAIN_TABLES if not wh.has("main", t)]
    if missing:
        data.notes.append(
            "Missing tables (read as empty; run `clickstream refresh` first): "
            + ", ".join(f"main.{t}" for t in missing)
            + "."
        )
    ingest = ingest_rows(wh)
    recent_ingest = ingest[-MAX_DAYS:]
    events = (
        wh.rows(
            "select count(*), count(*) filter (where not is_bot), count(distinct user_id), "
            "count(distinct user_id) filter (where not is_bot) from main.fct_events"
        )[0]
        if wh.has("main", "fct_events")
        else (0, 0, 0, 0)
    )
    sessions = (
        wh.rows("select count(*), count(*) filter (where not is_bot) from main.fct_sessions")[0]
        if wh.has("main", "fct_sessions")
        else (0, 0)
    )
    lines = sum(r.get("lines_read", 0) for r in ingest)
    quarantined = sum(r.get("quarantined_lines", 0) for r in ingest)
    duplicates = sum(r.get("duplicate_lines", 0) for r in ingest)
    first_last = f"{iso(ingest[0]['dt'])} .. {iso(ingest[-1]['dt'])}" if ingest else "none"
    data.summary = [
        ("landing days processed", f"{len(ingest)} ({first_last})"),
        ("raw lines read (all)", fmt_int(lines)),
        ("events kept, bots included", fmt_int(events[0])),
        ("events kept, humans only", fmt_int(events[1])),
        ("users, bots included", fmt_int(events[2])),
        ("users, humans only", fmt_int(events[3])),
        ("sessions, bots included", fmt_int(sessions[0])),
        ("sessions, humans only", fmt_int(sessions[1])),
        (
            "quarantined lines (all)",
            f"{fmt_int(quarantined)}" + (f" ({fmt_pct(100.0 * quarantined / lines)})" if lines else ""),
        ),
        ("duplicate lines (all)", fmt_int(duplicates)),
    ]
    files_panel, quarantined_files = quarantined_files_panel(wh)
    data.summary.append(("files quarantined", fmt_int(quarantined_files)))
    unread_panel, unread = unread_entries_panel(wh, ingest)
    data.summary.append(("unread entries (all)", fmt_int(unread)))
    data.panels = [last_batches_panel(wh), files_panel, unread_panel]
    data.charts = [
        chart_freshness(wh, now, data),
        chart_events_sessions(wh),
        chart_quarantine(recent_ingest, len(ingest)),
        chart_duplicates(recent_ingest, len(ingest)),
        chart_late_arrivals(wh),
        chart_session_duration(wh),
        chart_events_per_session(wh),
        chart_top_pages(wh, top_pages),
    ]
    return data


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

STYLE = """
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 24px auto; max-width: 1240px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; }
.meta { color: #666; font-size: 13px; margin-top: 0; }
.summary { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0; padding: 0; list-style: none; }
.summary li { background: #f3f6fa; border: 1px solid #dde4ee; border-radius: 6px; padding: 8px 12px; font-size: 13px; }
.summary b { display: block; font-size: 17px; }
.notes { background: #fff8e6; border: 1px solid #f0d890; border-radius: 6px; padding: 8px 12px; font-size: 13px; }
section { border-top: 1px solid #e3e3e3; padding-top: 8px; margin-top: 20px; }
h2 { font-size: 17px; margin: 6px 0; }
.row { display: flex; flex-wrap: wrap; gap: 20px; align-items: flex-start; }
figure.chart { margin: 0; flex: 0 1 720px; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
figcaption, p.caption { font-size: 12px; color: #555; margin-top: 4px; max-width: 720px; }
table.data { border-collapse: collapse; font-size: 12px; }
table.data th, table.data td { border: 1px solid #ddd; padding: 2px 6px; text-align: right; }
table.data td:first-child, table.data th:first-child { text-align: left; max-width: 360px; overflow-wrap: anywhere; }
table.data th { background: #f3f3f3; }
.tables { overflow-x: auto; max-width: 100%; }
svg text { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; fill: #333; }
svg .tick { font-size: 11px; } svg .legend, svg .value, svg .bar-label { font-size: 12px; }
svg .axis-label { font-size: 12px; fill: #555; }
svg .grid { stroke: #e6e6e6; } svg .axis { stroke: #888; }
svg .cell-value { font-size: 12px; }
svg .no-data-label { font-size: 16px; fill: #999; } svg .zero-label { font-size: 15px; fill: #3a7a3a; }
.banner { background: #fdecea; border: 1px solid #e6a19a; border-radius: 6px; padding: 8px 12px; font-size: 14px; }
"""


def render_html(data: ReportData, warehouse: Path, now: datetime) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Everything is inline: forbid any network fetch (and any script) outright.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>clickstream report</title>",
        f"<style>{STYLE}</style></head><body>",
        *([f'<p class="banner" id="published-state" role="status">{esc(data.banner)}</p>'] if data.banner else []),
        "<h1>clickstream warehouse report</h1>",
        f'<p class="meta">Warehouse <code>{esc(warehouse)}</code> &middot; generated at '
        f'<time class="generated-at">{now.strftime("%Y-%m-%d %H:%M:%S")} UTC</time></p>',
        '<ul class="summary">' + "".join(f"<li>{esc(k)}<b>{esc(v)}</b></li>" for k, v in data.summary) + "</ul>",
    ]
    if data.notes:
        parts.append('<div class="notes">' + "<br>".join(esc(n) for n in data.notes) + "</div>")
    for chart in data.charts:
        parts.append(
            f'<section id="section-{chart.name}"><h2>{esc(chart.title)}</h2><div class="row">'
            f'<figure class="chart" id="chart-{chart.name}">{chart.svg}'
            f"<figcaption>{esc(chart.caption)}</figcaption></figure>"
            + (f'<div class="tables">{chart.table_html}</div>' if chart.table_html else "")
            + "</div></section>"
        )
    for panel in data.panels:
        parts.append(
            f'<section id="section-{panel.name}"><h2>{esc(panel.title)}</h2>'
            f'<p class="caption">{esc(panel.caption)}</p>'
            + (f'<div class="tables">{panel.table_html}</div>' if panel.table_html else "")
            + "</section>"
        )
    parts.append("</body></html>\n")
    return "\n".join(parts)


class ReportUnavailable(RuntimeError):
    """Neither the warehouse nor a published state can be read now, or there is no warehouse; the
    message says what to do (exit code 2)."""


def local_time(value: datetime) -> str:
    return as_utc(value).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def writer_text(holder: LockHolder) -> str:
    """'a refresh (PID n, since t, 3 min ago) is running', for the banner and the messages."""
    who = "a refresh" if holder.command == "clickstream refresh" else f"`{holder.command}`"
    return f"{who} (PID {holder.pid}, since {holder.since()}) is running"


@contextlib.contextmanager
def report_source(warehouse: Path, export_root: Path | None) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """A connection to read and a banner: the warehouse, read-only, and no banner; or, while
    another process holds the warehouse lock or the DuckDB file (DuckDB refuses a reader beside a
    writer, and a reader would make the writer's next open fail), the published state of
    clickstream/report/published.py (the Parquet exports and the writers' snapshot, same view
    names and columns) and a banner saying so. ReportUnavailable when neither can be read."""
    holder = current_holder(warehouse)
    if holder is None:
        if not warehouse.exists():
            raise ReportUnavailable(
                f"warehouse {warehouse} does not exist: run `clickstream refresh` first, or point --warehouse "
                "(or $CLICKSTREAM_WAREHOUSE) at the warehouse file"
            )
        try:
            con = connect_duckdb(warehouse, read_only=True)
        except WarehouseBusy as busy:
            holder = current_holder(warehouse)  # a writer may have taken the lock since
            reason = (
                writer_text(holder)
                if holder
                else f"another process ({busy.program}, PID {busy.pid}) has the warehouse file open"
            )
        else:
            with con:
                yield con, ""
            return
    else:
        reason = writer_text(holder)
    retry = "run `clickstream report` again when it has finished"
    if export_root is None:
        raise ReportUnavailable(f"{reason}: the warehouse {warehouse} cannot be read now; {retry}.")
    try:
        published = open_published(warehouse, Path(export_root))
    except PublishedUnavailable as error:
        raise ReportUnavailable(f"{reason}, and {error}: there is no published state to report on; {retry}.") from None
    as_of = local_time(published.as_of) if published.as_of else "unknown time"
    banner = f"{reason}: this report shows the last exported state (as of {as_of})"
    with published.con as con:
        yield con, banner


def write_report(
    warehouse: Path,
    output: Path | None = None,
    top_pages: int = 15,
    now: datetime | None = None,
    export_root: Path | None = None,
) -> Path:
    """Write the report for `warehouse` (opened read-only) to `output`; returns its path. While
    another process writes the warehouse, the report shows the published state under
    `export_root` instead (report_source), with a banner, also printed on stdout."""
    warehouse = Path(warehouse)
    output = Path(output) if output else warehouse.parent / "report.html"
    now = now or datetime.now(UTC)
    for attempt in (1, 2):
        banner = ""
        try:
            with report_source(warehouse, export_root) as (con, banner):
                data = collect(con, now, top_pages)
            break
        except duckdb.IOException:
            # The published state changed under the reader (a partition replaced or removed): once more.
            if attempt == 2 or not banner:
                raise
    data.banner = banner
    if banner:
        print(f"note: {banner}.", flush=True)
    text = render_html(data, warehouse, now)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)
    return output


def build_parser(prog: str = "clickstream report") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Write one self-contained HTML report (inline SVG charts, no JavaScript, works offline) "
            "from the clickstream warehouse, opened read-only: events and sessions per day, "
            "quarantine rate by reason, duplicates, late arrivals, freshness, session length, "
            "events per session and top pages."
        ),
    )
    add_path_options(
        parser,
        warehouse="DuckDB warehouse file to read",
        export_root="Parquet export root, read instead of the warehouse while a refresh writes it",
    )
    parser.add_argument(
        "--output", metavar="PATH", help="HTML file to write (default: report.html next to the warehouse file)"
    )
    parser.add_argument(
        "--top-pages",
        metavar="N",
        type=int_at_least(0),
        default=15,
        help="how many pages the top pages chart lists (default: 15)",
    )
    return parser


def main(argv: list[str] | None = None, prog: str = "clickstream report") -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    paths = PipelinePaths.resolve(warehouse=args.warehouse, export_root=args.export_root)
    output = Path(args.output).expanduser().resolve() if args.output else None
    problems = path_problems(paths, "warehouse")
    if output and (problem := unusable_location(output, directory=False)):
        problems.append(f"--output: {problem}: name an HTML file in a directory you can write")
    if problems:
        print(f"error: {'; '.join(problems)}.", file=sys.stderr)
        return 2
    try:
        path = write_report(paths.warehouse, output, args.top_pages, export_root=paths.export_root)
    except ReportUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (FileNotFoundError, duckdb.Error) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Report written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
