"""scripts/report.py on a warehouse built by the real pipeline (generated events, dbt + DuckDB),
rendered in a real headless Chromium: every chart is there and drawn, no console errors, no
network requests; a screenshot goes to test-artifacts/report.png. Also: an empty warehouse
(charts say "no data"), with and without audit.refresh_runs, deterministic output."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from conftest import PageLog, Pipeline, event
from playwright.sync_api import Page

from clickstream.ingest import generate as generate_events
from clickstream.paths import PROJECT_ROOT, PipelinePaths
from clickstream.report import html as report

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHARTS = (
    "freshness",
    "events-sessions-per-day",
    "quarantine-rate",
    "duplicates-per-day",
    "late-arrivals",
    "session-duration",
    "events-per-session",
    "top-pages",
)
FIXED_NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

# Per chart: its id, whether its svg is the "no data" frame, its size and how many shapes it draws.
CHART_INFO_JS = """
[...document.querySelectorAll('figure.chart')].map(f => {
  const svg = f.querySelector('svg');
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  return {
    id: f.id,
    svg: !!svg,
    width: box.width,
    height: box.height,
    shapes: svg ? svg.querySelectorAll('rect, line, path, circle, polygon, polyline').length : 0,
    bars: svg ? [...svg.querySelectorAll('rect')].filter(r => {
      const b = r.getBoundingClientRect(); return b.width > 0 && b.height > 0; }).length : 0,
    noData: svg ? svg.classList.contains('no-data') : false,
    caption: (f.querySelector('figcaption') || {}).textContent || '',
  };
})
"""


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """Three generated landing days (a few hundred events each, extra noise and late sessions),
    built by the real refresh in one step."""
    base = tmp_path_factory.mktemp("report_sample")
    pipeline = Pipeline(PipelinePaths(base / "raw", base / "warehouse" / "clickstream.duckdb", base / "exports"))
    assert (
        generate_events.main(
            [
                "--start-date",
                "2024-03-01",
                "--days",
                "3",
                "--events-per-day",
                "400",
                "--seed",
                "7",
                "--late-rate",
                "0.15",
                "--noise-scale",
                "6",
                "--raw-root",
                str(pipeline.paths.raw_root),
                "--quiet",
            ]
        )
        == 0
    )
    # A crawler's visit, so that bot-inclusive and human-only counts differ (the generated sample
    # is too small to hold a bot for sure).
    pipeline.land(
        "2024-03-02",
        "crawler.jsonl",
        [
            event(
                f"crawl-{i}",
                "crawler-1",
                f"2024-03-02T10:00:0{i}Z",
                page_url=f"https://shop.example.com/p/{i}",
                user_agent=GOOGLEBOT,
            )
            for i in range(3)
        ],
    )
    assert pipeline.refresh("--full-refresh", "--skip-export") == 0
    return pipeline


def render(page: Page, log: PageLog, path: Path) -> list[dict]:
    """Open the report; no errors, nothing fetched but the file itself; returns CHART_INFO_JS."""
    page.goto(path.as_uri())
    charts = page.evaluate(CHART_INFO_JS)
    assert not log.errors, log.errors
    assert log.requested == [path.as_uri()], f"the report fetched more than itself: {log.requested}"
    return charts


def test_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        report.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--warehouse", "--output", "--top-pages", "CLICKSTREAM_WAREHOUSE", "report.html"):
        assert option in text


def test_missing_warehouse_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert report.main(["--warehouse", str(tmp_path / "nope.duckdb")]) == 2
    assert "does not exist: run `clickstream refresh` first" in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()


def test_report_renders_every_chart_in_chromium(sample: Pipeline, page: Page, page_log: PageLog) -> None:
    warehouse = sample.paths.warehouse
    assert report.main(["--warehouse", str(warehouse), "--top-pages", "5"]) == 0
    path = warehouse.parent / "report.html"  # the default output: next to the warehouse
    text = path.read_text()
    assert "<script" not in text.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), "the report must not load anything"

    charts = render(page, page_log, path)
    assert [c["id"] for c in charts] == [f"chart-{name}" for name in CHARTS]
    for chart in charts:
        assert chart["svg"] and chart["width"] > 100 and chart["height"] > 50, chart
        assert chart["shapes"] > 0 and chart["bars"] > 0, chart
        assert not chart["noData"], chart
        assert chart["caption"].strip(), chart

    top_pages = sample.query(
        "select page_url, count(*) from main.fct_events where event_type = 'page_view' "
        "group by 1 order by 2 desc, 1 limit 5"
    )
    shown = page.evaluate(
        "[...document.querySelectorAll('#section-top-pages table.data tbody tr')]"
        ".map(tr => [tr.cells[0].textContent, tr.cells[1].textContent])"
    )
    assert shown == [[url, f"{count:,}"] for url, count in top_pages]
    bars = page.evaluate("document.querySelectorAll('#chart-top-pages svg rect').length")
    assert bars == 5

    events = sample.query("select count(*) from main.fct_events")[0][0]
    summary = page.evaluate("document.querySelector('.summary').textContent")
    assert f"events kept, bots included{events:,}" in summary

    # Late arrivals: the cells are the warehouse's (landing day, days earlier) counts.
    lags = sample.query("select dt, dt - event_ts::date, count(*) from main.fct_events group by all")
    cell_titles = page.evaluate(
        "[...document.querySelectorAll('#chart-late-arrivals rect.cell title')].map(t => t.textContent)"
    )
    for dt, lag, count in lags:
        label = "same day" if lag == 0 else f"{lag} day{'s' if lag > 1 else ''} earlier"
        assert f"{dt.isoformat()} \u2014 {label}: {count:,}" in cell_titles
    assert any(lag > 0 for _, lag, _ in lags), "the sample should have late events"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "report.png", full_page=True)
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000


def test_report_is_deterministic_and_reads_audit_runs_when_present(
    sample: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Work on copies: the report must work with and without audit.refresh_runs.
    without_audit = tmp_path / "without" / "w.duckdb"
    with_audit = tmp_path / "with" / "w.duckdb"
    for copy in (without_audit, with_audit):
        copy.parent.mkdir()
        shutil.copy(sample.paths.warehouse, copy)
    with duckdb.connect(str(without_audit)) as con:
        con.execute("drop schema if exists audit cascade")
    with duckdb.connect(str(with_audit)) as con:
        con.execute("drop schema if exists audit cascade")
        con.execute("create schema audit")
        con.execute(
            "create table audit.refresh_runs (run_id varchar, started_at timestamp, ended_at timestamp, status varchar)"
        )
        con.execute("""insert into audit.refresh_runs values
            ('r1', '2024-03-10 09:00:00', '2024-03-10 09:05:00', 'success'),
            ('r2', '2024-03-10 10:00:00', '2024-03-10 10:01:00', 'failed')""")

    first = report.write_report(without_audit, tmp_path / "a.html", now=FIXED_NOW).read_bytes()
    second = report.write_report(without_audit, tmp_path / "b.html", now=FIXED_NOW).read_bytes()
    assert first == second
    assert b"audit.refresh_runs does not exist" in first
    assert b"now - last successful refresh" not in first

    audited = report.write_report(with_audit, tmp_path / "c.html", now=FIXED_NOW).read_text()
    assert "now - last successful refresh" in audited
    assert "<td>2024-03-10 09:05:00</td><td>2.9 h</td>" in audited  # r1's end, 12:00 - 09:05
    assert "status failed" in audited  # the latest run is shown with its status
    assert "audit.refresh_runs does not exist" not in audited
    # Last batches, from an audit table with the first columns only: runs, newest first, no files
    batches = audited.split('id="section-last-batches"')[1].split("</section>")[0]
    assert batches.index("2024-03-10 10:00:00") < batches.index("2024-03-10 09:00:00")
    assert "<td>failed</td><td>-</td><td>-</td><td>60 s</td><td>-</td>" in batches

    # ... and from the sample's own audit: each run's first-processed files and its lag
    full = report.write_report(sample.paths.warehouse, tmp_path / "e.html", now=FIXED_NOW).read_text()
    batches = full.split('id="section-last-batches"')[1].split("</section>")[0]
    [(runs, files)] = sample.query(
        "select count(distinct run_id), count(distinct file_path) from audit.processed_files"
    )
    assert runs >= 1 and files >= 1
    cells = re.findall(r"<tr><td>[^<]*</td><td>success</td><td>[^<]*</td><td>([0-9,]+)</td>", batches)
    assert sum(int(cell.replace(",", "")) for cell in cells) == files

    # Long histories: the per-day charts keep the latest MAX_DAYS landing days and say so.
    monkeypatch.setattr(report, "MAX_DAYS", 2)
    short = report.write_report(without_audit, tmp_path / "d.html", now=FIXED_NOW).read_text()
    assert short.count("Showing the latest 2 of 3 days.") == 3  # quarantine, duplicates, late arrivals
    assert "2024-03-01</td>" not in short.split('id="section-duplicates-per-day"')[1].split("</section>")[0]


def test_report_on_an_empty_warehouse_says_no_data(tmp_path: Path, page: Page, page_log: PageLog) -> None:
    pipeline = Pipeline(PipelinePaths(tmp_path / "raw", tmp_path / "warehouse" / "w.duckdb", tmp_path / "exports"))
    pipeline.land("2024-01-10", "click_events+0+0000000000.jsonl", [])
    assert pipeline.refresh("--skip-export") == 0
    assert pipeline.query("select count(*) from main.fct_events") == [(0,)]
    output = tmp_path / "out" / "empty.html"
    assert report.main(["--warehouse", str(pipeline.paths.warehouse), "--output", str(output)]) == 0

    charts = render(page, page_log, output)
    by_id = {c["id"]: c for c in charts}
    assert list(by_id) == [f"chart-{name}" for name in CHARTS]
    for name in CHARTS:
        chart = by_id[f"chart-{name}"]
        assert chart["svg"] and chart["width"] > 0 and chart["height"] > 0, chart
        if name != "freshness":  # the landing day is known, so freshness still has a bar
            assert chart["noData"], chart
    assert page.evaluate(
        "[...document.querySelectorAll('figure.chart svg.no-data')].every(s => s.textContent.includes('no data'))"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "report-empty.png", full_page=True)


class Tables(HTMLParser):
    """The report's sections: id -> (caption text, the first table's header and rows), and the
    summary's (label, value) pairs."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, dict] = {}
        self.summary: list[tuple[str, str]] = []
        self.section: str | None = None
        self.cell: list[str] | None = None
        self.row: list[str] = []
        self.in_caption = self.in_summary = False
        self.label = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "section":
            self.section = attributes["id"].removeprefix("section-")
            self.sections[self.section] = {"caption": "", "header": [], "rows": []}
        elif tag in ("figcaption",) or (tag == "p" and attributes.get("class") == "caption"):
            self.in_caption = True
        elif tag == "ul" and attributes.get("class") == "summary":
            self.in_summary = True
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "tr":
            self.row = []
        elif tag == "b" and self.in_summary:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("figcaption", "p"):
            self.in_caption = False
        elif tag == "ul":
            self.in_summary = False
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell))
            self.cell = None
        elif tag == "tr" and self.section and self.row:
            section = self.sections[self.section]
            if not section["header"]:
                section["header"] = self.row
            else:
                section["rows"].append(self.row)
        elif tag == "b" and self.in_summary and self.cell is not None:
            self.summary.append((self.label, "".join(self.cell)))
            self.cell, self.label = None, ""

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        elif self.in_summary:
            self.label += data
        elif self.in_caption and self.section:
            self.sections[self.section]["caption"] += data


def number(text: str) -> int:
    return int(text.replace(",", ""))


def test_the_daily_figures_reconcile_with_the_marts_and_say_whether_bots_are_included(
    sample: Pipeline, tmp_path: Path
) -> None:
    """Issue #19 item 5: the report's events and sessions per day, read back from the HTML, equal
    the marts' figures (humans only: agg_daily_clicks, agg_daily_funnel) and the fact tables'
    (bots included); every count the report shows says whether bots are included."""
    page = Tables()
    page.feed(report.write_report(sample.paths.warehouse, tmp_path / "r.html", now=FIXED_NOW).read_text())
    daily = page.sections["events-sessions-per-day"]
    assert daily["header"] == [
        "event day",
        "events, bots included",
        "events, humans only",
        "sessions started, bots included",
        "sessions started, humans only",
        "human sessions with events that day",
    ]
    shown = {row[0]: tuple(number(v) for v in row[1:]) for row in daily["rows"]}
    expected = {
        day.isoformat(): figures
        for day, *figures in sample.query(
            """
            with days as (
                select event_date as day from main.fct_events union select session_date from main.fct_sessions
            )
            select
                days.day,
                (select count(*) from main.fct_events e where e.event_date = days.day),
                coalesce((select c.event_count from main.agg_daily_clicks c where c.event_date = days.day), 0),
                (select count(*) from main.fct_sessions s where s.session_date = days.day),
                coalesce((select f.session_count from main.agg_daily_funnel f where f.session_date = days.day), 0),
                coalesce((select c.session_count from main.agg_daily_clicks c where c.event_date = days.day), 0)
            from days order by days.day
            """
        )
    }
    assert shown == {day: tuple(figures) for day, figures in expected.items()}
    # The sample has bots, so the two kinds of figure differ and the test tells them apart.
    assert any(all_events > humans for all_events, humans, *_ in shown.values())
    assert any(started > humans for _, _, started, humans, _ in shown.values())
    # Every count says whether bots are included: summary labels, captions, column headers.
    counted = [label for label, _ in page.summary if re.search(r"\b(events?|users|sessions|lines)\b", label)]
    assert len(counted) >= 8, page.summary
    for label in counted:
        assert "bots included" in label or "humans only" in label or "(all)" in label, label
    for name in CHARTS:
        if name != "freshness":  # ages, no counts
            assert "bots included" in page.sections[name]["caption"], (name, page.sections[name]["caption"])
    for name in ("session-duration", "events-per-session", "top-pages"):
        assert "bots included" in page.sections[name]["header"][1], page.sections[name]["header"]
