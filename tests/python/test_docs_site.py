"""The dbt docs site in a real headless Chromium: `dbt docs generate` on a built warehouse, the
target directory served over HTTP on 127.0.0.1, then the page loads, the search finds
fct_sessions and the lineage graph (DAG) renders with its nodes. Screenshots go to
test-artifacts/docs.png (the lineage graph) and test-artifacts/docs-search.png."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import PageLog, Pipeline, event
from playwright.sync_api import Page, expect

from clickstream.paths import PROJECT_ROOT, PipelinePaths

pytestmark = pytest.mark.browser

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
MODEL = "fct_sessions"

# dbt-docs' own page requests two URLs that do not exist: an <img src="{{ getIcon(...) }}">
# template written before Angular fills it in, and a favicon path left as `${require(...)}`.
# Both are 404s of the dbt-docs bundle, not of this project; every other error fails the test.
KNOWN_DBT_DOCS_404S = ("getIcon(item.type", "favicons/favicon.ico")

# The Cytoscape instance dbt-docs keeps in its graph service, with what it has drawn.
GRAPH_JS = """
(() => {
  const el = document.getElementById('cy');
  if (!el || !window.angular) return null;
  const cy = angular.element(el).scope().graphService.graph_element;
  if (!cy || !cy.nodes) return null;
  const box = el.getBoundingClientRect();
  const painted = [...el.querySelectorAll('canvas')].map(c => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0; for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++; return n;
  });
  return {
    nodes: cy.nodes(':visible').map(n => n.data('label') || n.id()),
    edges: cy.edges(':visible').length,
    width: box.width, height: box.height,
    painted: Math.max(0, ...painted),
  };
})()
"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the generated docs site, served from a tmp target dir on a free port."""
    base = tmp_path_factory.mktemp("docs_site")
    pipeline = Pipeline(PipelinePaths(base / "raw", base / "warehouse" / "w.duckdb", base / "exports"))
    pipeline.land(
        "2024-01-10",
        "a.jsonl",
        [
            event("e1", "u1", "2024-01-10T10:00:00Z"),
            event("e2", "u1", "2024-01-10T10:05:00Z", "click"),
            b"not json",
        ],
    )
    assert pipeline.refresh("--skip-export") == 0
    result = pipeline.dbt("docs", "generate", work_dir=base / "docs")
    target = base / "docs" / "target"
    assert result.returncode == 0, result.stdout[-3000:]
    assert (target / "index.html").exists() and (target / "catalog.json").exists()

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(target)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def unexpected_errors(log: PageLog) -> list[str]:
    return [e for e in log.errors if not ("404" in e and any(known in e for known in KNOWN_DBT_DOCS_404S))]


def open_site(page: Page, log: PageLog, url: str) -> None:
    """Open the site and wait until dbt-docs has loaded the manifest (the model is in the tree)."""
    page.goto(url)
    model_link = page.locator("a").filter(has_text=re.compile(rf"^\s*{MODEL}\s*$")).first
    model_link.wait_for(state="attached", timeout=20_000)
    assert any("/manifest.json" in u for u in log.requested), log.requested
    assert any("/catalog.json" in u for u in log.requested), log.requested
    site = url.split("#")[0].rsplit("/", 1)[0]
    assert all(u.startswith(site) or u.startswith("data:") for u in log.requested), (
        f"the docs site fetched something from elsewhere: {log.requested}"
    )


def test_docs_site_loads_and_search_finds_the_model(docs_site: str, page: Page, page_log: PageLog) -> None:
    open_site(page, page_log, f"{docs_site}/index.html#!/overview")
    expect(page.locator("body")).to_contain_text("clickstream")

    search = page.locator("#search")
    search.click()
    search.press_sequentially(MODEL)
    expect(page.locator(".search-result").filter(has_text=re.compile(rf"^\s*{MODEL}"))).not_to_have_count(0)
    titles = [r.split("\n")[0].strip() for r in page.locator(".search-result").all_inner_texts()]
    assert f"{MODEL} model" in titles, titles
    expect(search).to_have_value(MODEL)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "docs-search.png")

    # The result links to the model's page.
    page.click(f".search-result[href='#!/model/model.clickstream.{MODEL}']")
    expect(page).to_have_url(re.compile(re.escape(f"model.clickstream.{MODEL}")))
    expect(page.locator("h1").first).to_contain_text(MODEL)
    page.wait_for_load_state("networkidle")  # what the model page requested has answered
    assert not unexpected_errors(page_log), unexpected_errors(page_log)


def test_lineage_graph_renders_with_nodes(docs_site: str, page: Page, page_log: PageLog) -> None:
    open_site(page, page_log, f"{docs_site}/index.html#!/model/model.clickstream.{MODEL}")

    page.click("a[title='View Lineage Graph']")
    graph = page.wait_for_function(
        f"(() => {{ const g = {GRAPH_JS}; return g && g.nodes.length && g.painted ? g : null; }})()", polling=100
    ).json_value()
    assert MODEL in graph["nodes"] and "fct_events" in graph["nodes"], graph
    assert graph["edges"] > 0 and graph["width"] > 100 and graph["height"] > 100, graph

    # The full DAG: fullscreen, every upstream and downstream model of fct_sessions.
    page.click("a[title='View Fullscreen']")
    seen = len(graph["nodes"])
    full = page.wait_for_function(
        f"(() => {{ const g = {GRAPH_JS}; return g && g.nodes.length > {seen} && g.width > 1000 && g.painted > 1000 ? g : null; }})()",
        polling=100,
    ).json_value()
    for model in (
        "stg_click_events__files",
        "int_click_events_validated",
        "int_events_sessionized",
        MODEL,
        "agg_ingest_daily",
    ):
        assert model in full["nodes"], full
    assert full["painted"] > 1000, full
    page.mouse.move(640, 450)  # off the fullscreen button: its tooltip goes away
    page.wait_for_timeout(600)  # the layout animation and the tooltip fade finish before the screenshot
    assert not unexpected_errors(page_log), unexpected_errors(page_log)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "docs.png")
    assert (ARTIFACTS / "docs.png").stat().st_size > 10_000
