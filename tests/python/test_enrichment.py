"""Enrichment and analyst marts end to end: channels and attribution, devices, bots kept in
the facts but excluded from the analyst tables, IP anonymisation, page views, traffic, funnel
and users — and day by day equals full refresh for all of them."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import Pipeline, event

DAY1, DAY2 = "2024-04-01", "2024-04-02"
SITE = "https://shop.example.com"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
WINDOWS_EDGE = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def land(pipeline: Pipeline) -> None:
    pipeline.land(
        DAY1,
        "a.jsonl",
        [
            # u1: paid search session on an iPhone that buys (revenue 2 x 10.50)
            event(
                "p1",
                "u1",
                "2024-04-01T10:00:00Z",
                page_url=f"{SITE}/?utm_source=google&utm_medium=cpc&utm_campaign=spring+sale&gclid=abc",
                referrer="https://www.google.com/",
                user_agent=IPHONE,
                ip="203.0.113.77",
            ),
            event(
                "p2",
                "u1",
                "2024-04-01T10:01:00Z",
                event_type="add_to_cart",
                page_url=f"{SITE}/products/x",
                user_agent=IPHONE,
            ),
            event(
                "p3",
                "u1",
                "2024-04-01T10:02:00Z",
                event_type="checkout",
                page_url=f"{SITE}/checkout",
                user_agent=IPHONE,
            ),
            event(
                "p4",
                "u1",
                "2024-04-01T10:03:00Z",
                event_type="purchase",
                page_url=f"{SITE}/checkout/confirmation",
                user_agent=IPHONE,
                properties={"price": 10.5, "quantity": 2, "country": "DE"},
            ),
            # u2: organic search, one page view (a bounce), Windows Edge, IPv6
            event(
                "o1",
                "u2",
                "2024-04-01T11:00:00Z",
                page_url=f"{SITE}/category/shoes",
                referrer="https://www.google.co.uk/search",
                user_agent=WINDOWS_EDGE,
                ip="2001:db8:85a3::8a2e:370:7334",
            ),
            # a crawler: kept in the facts, flagged, left out of the analyst tables
            event("g1", "bot1", "2024-04-01T12:00:00Z", page_url=f"{SITE}/", user_agent=GOOGLEBOT),
            event("g2", "bot1", "2024-04-01T12:00:01Z", page_url=f"{SITE}/about", user_agent=GOOGLEBOT),
        ],
    )
    pipeline.land(
        DAY2,
        "a.jsonl",
        [
            # u2 comes back directly
            event("d1", "u2", "2024-04-02T09:00:00Z", page_url=f"{SITE}/", user_agent=WINDOWS_EDGE),
            event("d2", "u2", "2024-04-02T09:00:40Z", page_url=f"{SITE}/about", user_agent=WINDOWS_EDGE),
            # u3 from a newsletter
            event(
                "e1",
                "u3",
                "2024-04-02T08:00:00Z",
                page_url=f"{SITE}/?utm_source=newsletter&utm_medium=email",
                user_agent=IPHONE,
            ),
        ],
    )


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pipeline]:
    from clickstream.paths import PipelinePaths

    base = tmp_path_factory.mktemp("enrichment")
    daily = Pipeline(PipelinePaths(base / "raw", base / "daily" / "w.duckdb", base / "daily" / "exports"))
    land(daily)
    assert daily.refresh() == 0
    full = Pipeline(PipelinePaths(base / "raw", base / "full" / "w.duckdb", base / "full" / "exports"))
    assert full.refresh("--full-refresh") == 0
    return {"daily": daily, "full": full}


def test_sessions_get_channel_attribution_device_and_revenue(pipelines) -> None:
    rows = {
        r[0]: r[1:]
        for r in pipelines["daily"].query(
            "select user_id || '@' || session_date, channel, traffic_source, traffic_medium, traffic_campaign, device_category, "
            "browser_family, os_family, country, has_purchase, revenue, is_bounce, is_engaged, is_bot from main.fct_sessions"
        )
    }
    assert rows["u1@2024-04-01"] == (
        "paid_search",
        "google",
        "cpc",
        "spring sale",
        "mobile",
        "Safari",
        "iOS",
        "DE",
        True,
        21,
        False,
        True,
        False,
    )
    assert rows["u2@2024-04-01"][:7] == ("organic_search", "google", "organic", None, "desktop", "Edge", "Windows")
    assert rows["u2@2024-04-01"][9:12] == (0, True, False)
    assert rows["u2@2024-04-02"][:3] == ("direct", "(direct)", "(none)")
    assert rows["u3@2024-04-02"][:3] == ("email", "newsletter", "email")
    assert rows["bot1@2024-04-01"][-1] is True


def test_ip_addresses_are_anonymized(pipelines) -> None:
    ips = dict(pipelines["daily"].query("select event_id, ip from main.fct_events where ip is not null"))
    assert ips == {"p1": "203.0.113.0", "o1": "2001:db8:85a3::"}


def test_bots_stay_in_the_facts_but_not_in_the_analyst_tables(pipelines) -> None:
    pipeline = pipelines["daily"]
    assert pipeline.query("select count(*) from main.fct_events where is_bot") == [(2,)]
    assert pipeline.query("select count(*) from main.fct_page_views where user_id = 'bot1'") == [(0,)]
    assert pipeline.query("select count(*) from main.dim_users where user_id = 'bot1'") == [(0,)]
    assert pipeline.query(
        "select sum(session_count) from main.agg_daily_traffic where session_date = ?", [date(2024, 4, 1)]
    ) == [(2,)]


def test_page_views_have_time_on_page_until_the_next_event(pipelines) -> None:
    rows = dict(pipelines["daily"].query("select event_id, time_on_page_seconds from main.fct_page_views"))
    assert rows["p1"] == 60.0  # next event: the add_to_cart a minute later
    assert rows["d1"] == 40.0 and rows["d2"] is None and rows["o1"] is None


def test_funnel_counts_sessions_through_every_step(pipelines) -> None:
    [(sessions, viewed, carted, checked_out, purchased, overall)] = pipelines["daily"].query(
        "select session_count, page_view_sessions, add_to_cart_sessions, checkout_sessions, purchase_sessions, "
        "overall_conversion_rate from main.agg_daily_funnel where session_date = ?",
        [date(2024, 4, 1)],
    )
    assert (sessions, viewed, carted, checked_out, purchased) == (2, 2, 1, 1, 1)
    assert overall == 0.5


def test_users_have_first_and_last_seen_and_first_channel(pipelines) -> None:
    rows = {
        r[0]: r[1:]
        for r in pipelines["daily"].query(
            "select user_id, first_seen_date, last_seen_at::date, session_count, first_channel from main.dim_users"
        )
    }
    assert rows["u2"] == (date(2024, 4, 1), date(2024, 4, 2), 2, "organic_search")
    assert set(rows) == {"u1", "u2", "u3"}


def test_day_by_day_equals_full_refresh_for_every_mart(pipelines) -> None:
    for table, key in [
        ("fct_page_views", "event_id"),
        ("agg_daily_traffic", "traffic_key"),
        ("agg_daily_funnel", "session_date"),
        ("dim_users", "user_id"),
        ("fct_sessions", "session_id"),
        ("fct_events", "event_id"),
    ]:
        query = f"select * from main.{table} order by {key}"
        assert pipelines["daily"].query(query) == pipelines["full"].query(query), table
