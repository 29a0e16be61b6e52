#!/usr/bin/env python3
"""Generate a synthetic but realistic click-event stream as landed raw files.

Landing contract (what this script writes, and all it writes)
-------------------------------------------------------------
Files::

    <raw root>/click_events/dt=YYYY-MM-DD/click_events+<partition>+<offset>.jsonl
    <raw root>/click_events/dt=YYYY-MM-DD/click_events+<partition>+<offset>.jsonl.gz

* ``dt`` is the UTC date on which the file *landed*, not the event date.
* File names mimic Kafka Connect's S3 sink: ``<topic>+<partition>+<start
  offset>``, the start offset being zero padded to 10 digits.  The topic
  ``click_events`` has ``--partitions`` partitions; a user's events always go
  to partition ``zlib.crc32(user_id.encode("utf-8")) % partitions``.  Every
  line of a file is one record: the offset of line ``i`` (0-based) is ``start
  offset + i``, and each partition's offsets run on without gaps from file to
  file and from day to day, starting at 0 on the first generated day.
* A file is rolled after ``--max-records-per-file`` lines and at the end of
  each landing day.  Inside a file, records are in arrival order.
* Every file of every ``--gzip-every-nth-day``-th day is gzip compressed
  (``.jsonl.gz``, gzip mtime 0).  Every ``--crlf-every-nth-file``-th file
  uses CRLF line endings, the others LF.  Every line, including the last one,
  ends with a line terminator.
* One JSON object per line, UTF-8, with the fields ``event_id``, ``user_id``,
  ``event_type``, ``event_ts``, ``page_url``, ``referrer``, ``user_agent``,
  ``ip`` and ``properties`` (an object), in that order.  Occasionally an extra
  unknown field follows (e.g. ``"app_version":"1.2.3"``); such events are
  valid and must be kept.
* ``event_ts`` is mostly ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; a minority uses the
  other allowed forms: a space instead of ``T``, no fraction, a UTC offset such
  as ``+02:00``/``-05:30`` (the wall time is shifted so the instant is
  unchanged), no zone at all (meaning UTC), or an integer of epoch
  milliseconds.
* Events normally land on the UTC day they happened (a few minutes before
  midnight: possibly the next day).  A share of sessions (``--late-rate``)
  is uploaded 1-3 days late and a very small share (``--too-late-rate``)
  4-10 days late; the pipeline quarantines the latter as ``too_late``.  Late
  arrivals are also generated for the days before ``--start-date``, so even
  the first landing day contains some.  Events that would land after the last
  landing day (start date + days - 1) are not written.
* Noise, each kind at its own rate (a fraction of the valid lines of each
  partition and landing day, see ``--noise-rate``/``--noise-scale``), is put at
  random positions inside the files: exact duplicates (same file, another file
  of the same day, a later day), duplicates with the same ``event_id`` and a
  different ``page_url``, blank and whitespace-only lines, malformed JSON,
  lines with invalid UTF-8 bytes, missing/null/blank/non-string required
  fields, invalid timestamps, unknown event types and events dated in the
  future.  A duplicate is kept in its user's partition, except a
  "duplicate in another file of the same day" when that partition has only one
  file that day: that copy goes to another partition's file.

Nothing but these files is written under the raw root; ``--manifest PATH``
writes the counts of each kind of generated line per landing day elsewhere.

The same arguments and seed give byte-for-byte identical files: all
randomness comes from one ``random.Random(seed)``, nothing depends on the
clock, and each file is written under a temporary name in its directory and
then moved into place with ``os.replace``.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import math
import os
import sys
import textwrap
import time
import zlib
from bisect import bisect_right
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from operator import itemgetter
from pathlib import Path
from random import Random
from types import MappingProxyType
from typing import Any
from urllib.parse import quote_plus

from clickstream.options import date_arg, int_at_least
from clickstream.paths import PipelinePaths, unusable_location

LOG = logging.getLogger("generate_events")

TOPIC = "click_events"
SITE = "https://shop.example.com"
RAW_ROOT_ENV = "CLICKSTREAM_RAW_ROOT"
DEFAULT_RAW_ROOT = "data/raw"

SEC_US = 1_000_000
HOUR_US = 3600 * SEC_US
DAY_US = 24 * HOUR_US
EPOCH_DATE = date(1970, 1, 1)

#: Late sessions are uploaded up to this many days after they started.
MAX_LATE_DAYS = 10
#: How many landing days back "duplicate on a later day" copies reach.
DUPLICATE_HISTORY_DAYS = 3
HISTORY_SAMPLE_PER_DAY = 256

EVENT_TYPES = (
    "page_view",
    "click",
    "scroll",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "checkout",
    "purchase",
    "sign_up",
    "login",
)
PAGE_VIEW, CLICK, SCROLL, SEARCH, ADD_TO_CART = 0, 1, 2, 3, 4
REMOVE_FROM_CART, CHECKOUT, PURCHASE, SIGN_UP, LOGIN = 5, 6, 7, 8, 9
#: Relative frequency of each event type after the first event of a session.
EVENT_TYPE_WEIGHTS = (42, 24, 16, 6, 4.5, 1, 2, 1.2, 0.8, 2.5)

#: Daily traffic curve: relative session starts per UTC hour (evening peak).
HOURLY_TRAFFIC = (
    2.0,
    1.4,
    1.0,
    0.8,
    0.8,
    1.1,
    1.7,
    2.6,
    3.4,
    4.0,
    4.4,
    4.8,
    5.2,
    5.0,
    4.9,
    5.0,
    5.4,
    6.2,
    7.4,
    8.6,
    9.4,
    9.0,
    7.2,
    4.4,
)

#: Share of valid events per ``event_ts`` form (cumulative thresholds below).
TS_FORM_SHARES = (
    ("iso_z", 0.86),
    ("space", 0.03),
    ("no_fraction", 0.03),
    ("offset", 0.03),
    ("no_zone", 0.03),
    ("epoch_ms", 0.02),
)
UTC_OFFSETS_MIN = (60, 120, 330, 540, -300, -330, -480, 0, 180, -180)

NOISE_KINDS = (
    "duplicate_same_file",
    "duplicate_other_file",
    "duplicate_later_day",
    "duplicate_conflicting_payload",
    "blank_line",
    "whitespace_line",
    "malformed_json",
    "invalid_utf8",
    "invalid_required_field",
    "invalid_timestamp",
    "unknown_event_type",
    "future_event",
)
DEFAULT_NOISE_RATES: Mapping[str, float] = MappingProxyType(
    {
        "duplicate_same_file": 0.005,
        "duplicate_other_file": 0.003,
        "duplicate_later_day": 0.002,
        "duplicate_conflicting_payload": 0.001,
        "blank_line": 0.002,
        "whitespace_line": 0.001,
        "malformed_json": 0.003,
        "invalid_utf8": 0.001,
        "invalid_required_field": 0.004,
        "invalid_timestamp": 0.002,
        "unknown_event_type": 0.002,
        "future_event": 0.001,
    }
)
NOISE_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "duplicate_same_file": "exact copy of a valid line in the same file",
        "duplicate_other_file": (
            "exact copy in another file of the same landing day (another partition's if the partition has one file)"
        ),
        "duplicate_later_day": "exact copy of a line landed 1-3 days earlier",
        "duplicate_conflicting_payload": "same event_id, different page_url",
        "blank_line": "empty line",
        "whitespace_line": "line of spaces/tabs only",
        "malformed_json": "truncated JSON, JSON array/scalar, plain text, Python repr",
        "invalid_utf8": "JSON line containing invalid UTF-8 bytes",
        "invalid_required_field": (
            "missing/null/blank/non-string event_id, user_id or event_type; missing/null/empty event_ts"
        ),
        "invalid_timestamp": "unparseable or impossible event_ts",
        "unknown_event_type": "event_type outside the known set (PAGE_VIEW, hover...)",
        "future_event": "event_ts more than a day after the end of the landing day",
    }
)

HUMAN_USER_AGENTS = (
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36",
        26,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
        22,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.6099.144 Mobile Safari/537.36",
        15,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.2 Safari/605.1.15",
        10,
    ),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", 7),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
        7,
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Mobile Safari/537.36",
        6,
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        4,
    ),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36", 3),
)
CRAWLER_USER_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
)
BOT_USER_SHARE = 0.015
#: Session start i picks user int(users * random() ** USER_SKEW): a few heavy users.
USER_SKEW = 1.25
#: (mean of the exponential part, cap) of the number of events per session; a human session's
#: mean is --session-events-mean (a session has 1 + floor(Exp(mean)) events, at most the cap).
HUMAN_SESSION_LENGTH = (6.5, 60)
BOT_SESSION_LENGTH = (25.0, 200)
#: Days late of a late (not too late) session: mostly the next day.
LATE_DAYS_TABLE = (1, 1, 1, 1, 1, 1, 2, 2, 2, 3)
IPV6_SHARE = 0.1
IPV4_FIRST_OCTETS = (
    24,
    31,
    37,
    46,
    50,
    62,
    66,
    67,
    68,
    71,
    73,
    76,
    77,
    78,
    79,
    80,
    81,
    82,
    84,
    85,
    86,
    87,
    88,
    89,
    90,
    91,
    92,
    93,
    94,
    95,
    98,
    109,
    176,
    178,
    185,
    188,
    193,
    194,
    195,
    212,
    213,
    217,
)
IPV6_PREFIXES = ("2001:4860", "2a02:8108", "2600:1700", "2a01:cb00", "2003:e6", "2607:fb90")
CURRENCIES = (("EUR", 80), ("USD", 12), ("GBP", 8))

CATEGORIES = (
    "shoes",
    "sneakers",
    "t-shirts",
    "jackets",
    "jeans",
    "dresses",
    "accessories",
    "bags",
    "watches",
    "electronics",
    "headphones",
    "home-decor",
    "kitchen",
    "beauty",
    "sports",
    "outdoor",
    "kids",
    "sale",
    "new-arrivals",
)
PRODUCT_ADJECTIVES = (
    "classic",
    "slim",
    "vintage",
    "urban",
    "organic",
    "premium",
    "lightweight",
    "waterproof",
    "cozy",
    "retro",
    "essential",
    "wireless",
    "compact",
    "bold",
)
PRODUCT_MATERIALS = (
    "cotton",
    "leather",
    "wool",
    "denim",
    "linen",
    "canvas",
    "bamboo",
    "steel",
    "suede",
    "knit",
    "ceramic",
    "merino",
)
PRODUCT_NOUNS = (
    "sneakers",
    "t-shirt",
    "hoodie",
    "jacket",
    "backpack",
    "scarf",
    "watch",
    "headphones",
    "mug",
    "lamp",
    "boots",
    "cap",
    "wallet",
    "dress",
    "socks",
    "sunglasses",
    "blanket",
    "speaker",
)
STATIC_PATHS = ("/about", "/help/shipping", "/help/returns", "/account", "/stores", "/wishlist")
SEARCH_QUERIES = (
    "running shoes",
    "wireless headphones",
    "winter jacket",
    "café mug",
    "größe 42 sneaker",
    "über hoodie",
    "t-shirt weiß",
    "sac à dos",
    "zapatillas niño",
    "\U0001f381 gift card",
    '14" laptop sleeve',
    "yoga mat",
    "sunglasses",
    "rain jacket",
    "smart watch",
    "coffee grinder",
    "desk lamp",
    "kids sneakers",
    "red dress",
    "linen shirt",
    "sale",
    "jeans slim fit",
    "usb-c cable",
    "backpack 30l",
    "phone case",
    "socks 5 pack",
    "wool scarf",
    "bluetooth speaker",
    "runing shoes",
    "hedphones",
    "black friday",
    "日本 tea cup",
)
# (referrer, weight, probability that the landing URL carries UTM tags, UTM query)
EXTERNAL_REFERRERS = (
    ("https://www.google.com/", 34, 0.25, "utm_source=google&utm_medium=cpc&utm_campaign=brand_search"),
    ("", 24, 0.0, ""),
    ("", 5, 1.0, "utm_source=newsletter&utm_medium=email&utm_campaign=weekly_digest"),
    ("https://www.bing.com/", 6, 0.2, "utm_source=bing&utm_medium=cpc&utm_campaign=generic_search"),
    ("https://www.facebook.com/", 6, 0.6, "utm_source=facebook&utm_medium=paid_social&utm_campaign=winter_sale"),
    ("https://l.facebook.com/", 2, 0.6, "utm_source=facebook&utm_medium=paid_social&utm_campaign=winter_sale"),
    ("https://t.co/", 3, 0.5, "utm_source=twitter&utm_medium=social&utm_campaign=launch"),
    ("https://www.instagram.com/", 4, 0.5, "utm_source=instagram&utm_medium=social&utm_campaign=influencer_q1"),
    ("https://duckduckgo.com/", 3, 0.0, ""),
    ("https://www.reddit.com/r/frugal/", 2, 0.0, ""),
    ("https://www.pinterest.com/", 2, 0.3, "utm_source=pinterest&utm_medium=social&utm_campaign=pins"),
    ("https://news.ycombinator.com/", 1, 0.0, ""),
    ("https://mail.google.com/", 2, 1.0, "utm_source=newsletter&utm_medium=email&utm_campaign=weekly_digest"),
    (
        "android-app://com.google.android.gm/",
        1,
        1.0,
        "utm_source=newsletter&utm_medium=email&utm_campaign=weekly_digest",
    ),
    (
        "https://www.bestdeals-blog.example/top-10-sneakers",
        2,
        0.8,
        "utm_source=affiliate&utm_medium=referral&utm_campaign=partner_bestdeals",
    ),
)
CLICK_PROPERTIES = (
    '{"element":"product_tile"}',
    '{"element":"add_to_cart_button"}',
    '{"element":"nav_menu"}',
    '{"element":"banner","position":1}',
    '{"element":"product_tile","position":3}',
    '{"element":"filter","value":"size_m"}',
    "{}",
    "{}",
)
SCROLL_PROPERTIES = ('{"depth_pct":25}', '{"depth_pct":50}', '{"depth_pct":75}', '{"depth_pct":100}')
CHECKOUT_PROPERTIES = ('{"step":"shipping"}', '{"step":"payment"}', '{"step":"review"}')
AUTH_PROPERTIES = ('{"method":"email"}', '{"method":"google"}', '{"method":"apple"}')
EXTRA_FIELDS = (
    '"app_version":"1.2.3"',
    '"app_version":"2.0.1"',
    '"schema_version":2',
    '"experiment":{"id":"exp_checkout_v2","variant":"B"}',
    '"consent":true',
)
UNKNOWN_EVENT_TYPES = ("PAGE_VIEW", "hover", "Click", "page-view", "video_play", "pageview", "add-to-cart")
BAD_UTF8_SNIPPETS = (  # str with surrogate escapes -> these raw bytes on disk
    "\udcff",
    "\udcfe\udcff",
    "\udcc3(",
    "\udce2\udc82",
    "\udcc0\udcaf",
    "\udced\udca0\udc80",
    "\udc80",
    "caf\udce9",
)
PLAIN_TEXT_LINES = (
    "ERROR 502 Bad Gateway",
    "<html><body><h1>503 Service Unavailable</h1></body></html>",
    "connection reset by peer",
    "event_id=42&user_id=u_000001&event_type=click",
    "click_events heartbeat",
)

PARTIAL_SUFFIX = ".partial"
GZIP_LEVEL = 3
UUID_VARIANT: Mapping[str, str] = MappingProxyType({f"{i:x}": "89ab"[i & 3] for i in range(16)})


# ----------------------------------------------------------------------------
# configuration and command line
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """Everything that determines the generated bytes (plus where they go)."""

    start_date: date
    days: int = 3
    events_per_day: int = 100_000
    seed: int = 42
    raw_root: Path = Path(DEFAULT_RAW_ROOT)
    partitions: int = 4
    max_records_per_file: int = 50_000
    gzip_every_nth_day: int = 3
    crlf_every_nth_file: int = 7
    users: int = 0  # 0: events_per_day // 20
    session_events_mean: float = HUMAN_SESSION_LENGTH[0]
    late_rate: float = 0.02
    too_late_rate: float = 0.001
    extra_field_rate: float = 0.005
    noise_rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_NOISE_RATES))
    overwrite: bool = False
    manifest: Path | None = None

    @property
    def n_users(self) -> int:
        return self.users if self.users > 0 else max(1, self.events_per_day // 20)

    @property
    def topic_dir(self) -> Path:
        return self.raw_root / TOPIC

    def landing_dates(self) -> list[date]:
        return [self.start_date + timedelta(days=i) for i in range(self.days)]


def _rate_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def _scale_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 <= value <= 100.0 or math.isnan(value):
        raise argparse.ArgumentTypeError(f"must be between 0 and 100, got {value}")
    return value


def _session_events_mean_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 < value <= 100.0 or math.isnan(value):
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 100, got {value}")
    return value


def _noise_rate_arg(text: str) -> tuple[str, float]:
    kind, sep, rate = text.partition("=")
    kind = kind.strip()
    if not sep or kind not in NOISE_KINDS:
        raise argparse.ArgumentTypeError(f"expected KIND=RATE with KIND one of {', '.join(NOISE_KINDS)}; got {text!r}")
    return kind, _rate_arg(rate)


def build_parser(prog: str = "clickstream generate") -> argparse.ArgumentParser:
    noise_help = "\n".join(
        f"  {kind:<30} {DEFAULT_NOISE_RATES[kind]:<6g} {NOISE_DESCRIPTIONS[kind]}" for kind in NOISE_KINDS
    )
    parser = argparse.ArgumentParser(
        prog=prog,
        description=textwrap.fill(
            "Land a synthetic click-event stream as raw JSONL files under "
            f"<raw root>/{TOPIC}/dt=YYYY-MM-DD/ (dt = UTC landing date), named "
            f"like Kafka Connect's S3 sink: {TOPIC}+<partition>+<10-digit start "
            "offset>.jsonl[.gz]. Same arguments and seed give identical bytes. "
            "Nothing else is written under the raw root.",
            79,
        ),
        epilog=(
            "noise kinds (KIND, default rate, meaning); a rate is a fraction of the\n"
            "valid lines of each partition and landing day:\n"
            + noise_help
            + "\n\n"
            + textwrap.fill(
                f"The raw root defaults to ${RAW_ROOT_ENV} if set, else "
                f"'{DEFAULT_RAW_ROOT}' under the project directory, like every other command. The manifest "
                "(--manifest) holds per landing day: files, lines, valid events, valid "
                "events with an extra field, valid events by lag in days (landing date "
                "minus UTC event date; >3 = too late) and the count of each noise kind.",
                79,
            )
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--start-date", required=True, type=date_arg, metavar="YYYY-MM-DD", help="first landing day (UTC)")
    add(
        "--days",
        type=int_at_least(1),
        default=3,
        metavar="N",
        help="number of landing days; the last one is start date + N - 1 (default: 3)",
    )
    add(
        "--events-per-day",
        type=int_at_least(1),
        default=100_000,
        metavar="K",
        help="valid events that happen per UTC day, before late arrivals past the "
        "last day are dropped and before noise is added (default: 100000)",
    )
    add("--seed", type=int, default=42, metavar="S", help="random seed (default: 42)")
    add(
        "--raw-root",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"raw landing root (default: ${RAW_ROOT_ENV}, else {DEFAULT_RAW_ROOT})",
    )
    add(
        "--partitions",
        type=int_at_least(1),
        default=4,
        metavar="P",
        help="partitions of the simulated topic; a user's events go to partition crc32(user_id) %% P (default: 4)",
    )
    add(
        "--max-records-per-file",
        type=int_at_least(1),
        default=50_000,
        metavar="M",
        help="roll a file after M lines (files also roll at the end of each landing day) (default: 50000)",
    )
    add(
        "--gzip-every-nth-day",
        type=int_at_least(0),
        default=3,
        metavar="N",
        help="gzip every file of every N-th landing day (days N, 2N, ...); 0 = never (default: 3)",
    )
    add(
        "--crlf-every-nth-file",
        type=int_at_least(0),
        default=7,
        metavar="N",
        help="every N-th written file (counted over the whole run) uses CRLF line endings; 0 = never (default: 7)",
    )
    add(
        "--users",
        type=int_at_least(0),
        default=0,
        metavar="U",
        help="number of distinct users (default: events-per-day / 20)",
    )
    add(
        "--session-events-mean",
        type=_session_events_mean_arg,
        default=HUMAN_SESSION_LENGTH[0],
        metavar="X",
        help="mean of the exponential part of a human session's length: it has 1 + floor(Exp(X)) "
        f"events, at most {HUMAN_SESSION_LENGTH[1]} (default: {HUMAN_SESSION_LENGTH[0]}, about 7 events per session; "
        "0.5 gives about 1.5, a session-heavy shape)",
    )
    add(
        "--late-rate",
        type=_rate_arg,
        default=0.02,
        metavar="R",
        help="share of sessions uploaded 1-3 days after they happened (default: 0.02)",
    )
    add(
        "--too-late-rate",
        type=_rate_arg,
        default=0.001,
        metavar="R",
        help="share of sessions uploaded 4-10 days late, which the pipeline quarantines as too_late (default: 0.001)",
    )
    add(
        "--extra-field-rate",
        type=_rate_arg,
        default=0.005,
        metavar="R",
        help="share of valid events carrying an extra unknown field such as app_version (default: 0.005)",
    )
    add(
        "--noise-scale",
        type=_scale_arg,
        default=1.0,
        metavar="X",
        help="multiply every noise rate by X; 0 disables all noise (default: 1.0)",
    )
    add(
        "--noise-rate",
        type=_noise_rate_arg,
        action="append",
        default=[],
        metavar="KIND=RATE",
        help="set the rate of one noise kind (repeatable; see the list below); applied before --noise-scale",
    )
    add(
        "--overwrite",
        action="store_true",
        help="replace the files of the landing days being generated: every file already in their dt= "
        "directories is replaced or DELETED, hand-landed files included. Without it the script refuses "
        "(exit code 2) if any of those directories already contains files. Even with it, a landing day "
        "the warehouse (--warehouse) has processed is never replaced (exit code 2)",
    )
    add(
        "--warehouse",
        type=Path,
        default=None,
        metavar="PATH",
        help="the warehouse whose processed landing days --overwrite refuses to replace "
        "(default: $CLICKSTREAM_WAREHOUSE, else data/warehouse/clickstream.duckdb)",
    )
    add(
        "--manifest",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write a JSON file with per-day counts of each kind of line "
        "(must not be inside the raw topic directory)",
    )
    add("--quiet", action="store_true", help="log warnings only")
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    rates = dict(DEFAULT_NOISE_RATES)
    for kind, rate in args.noise_rate:
        rates[kind] = rate
    rates = {kind: min(1.0, rate * args.noise_scale) for kind, rate in rates.items()}
    raw_root = args.raw_root
    if raw_root is None:
        raw_root = PipelinePaths.resolve().raw_root
    if args.late_rate + args.too_late_rate > 1.0:
        raise ValueError("--late-rate + --too-late-rate must not exceed 1")
    return Config(
        start_date=args.start_date,
        days=args.days,
        events_per_day=args.events_per_day,
        seed=args.seed,
        raw_root=raw_root,
        partitions=args.partitions,
        max_records_per_file=args.max_records_per_file,
        gzip_every_nth_day=args.gzip_every_nth_day,
        crlf_every_nth_file=args.crlf_every_nth_file,
        users=args.users,
        session_events_mean=args.session_events_mean,
        late_rate=args.late_rate,
        too_late_rate=args.too_late_rate,
        extra_field_rate=args.extra_field_rate,
        noise_rates=rates,
        overwrite=args.overwrite,
        manifest=args.manifest,
    )


# ----------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------


def _j(value: Any) -> str:
    """Compact JSON exactly as json.dumps(..., ensure_ascii=False) with ',' ':'."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _day_number(d: date) -> int:
    return (d - EPOCH_DATE).days


def _day_date(day: int) -> date:
    return EPOCH_DATE + timedelta(days=day)


def _iso_utc(ts_us: int) -> str:
    """Canonical ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` for any timestamp."""
    dt = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ts_us)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _weighted_table(items: Sequence[Any], weights: Sequence[float], size: int) -> tuple[Any, ...]:
    """A lookup table to sample ``items`` by weight with one ``random()`` call.

    Each item gets ``size * weight / total`` slots, rounded by the largest
    remainder method (so rare items keep their share; no randomness used).
    """
    total = float(sum(weights))
    exact = [size * w / total for w in weights]
    slots = [int(x) for x in exact]
    by_remainder = sorted(range(len(items)), key=lambda i: (slots[i] - exact[i], i))
    for i in by_remainder[: size - sum(slots)]:
        slots[i] += 1
    return tuple(item for item, n in zip(items, slots) for _ in range(n))


def _render(fields: Sequence[tuple[str, str]]) -> str:
    """Render (key, JSON fragment) pairs as a compact JSON object."""
    return "{" + ",".join([f'"{k}":{v}' for k, v in fields]) + "}"  # plain ASCII keys


class _TsFormatter:
    """Fast formatting of epoch-microsecond timestamps (cached dates, H:M:S)."""

    def __init__(self, first_day: int, last_day: int) -> None:
        self.dates = {d: _day_date(d).isoformat() for d in range(first_day, last_day + 1)}
        self.hms = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]
        shares = [share for _, share in TS_FORM_SHARES]
        self.thresholds = list(accumulate(shares))
        self.canonical_share = shares[0]

    def date_str(self, day: int) -> str:
        text = self.dates.get(day)
        return text if text is not None else _day_date(day).isoformat()

    def parts(self, ts: int) -> tuple[str, str, int]:
        day, rem = divmod(ts, DAY_US)
        sec, frac = divmod(rem, SEC_US)
        return self.date_str(day), self.hms[sec], frac

    def variant(self, ts: int, r: float, rng: Random) -> str:
        """JSON fragment of ``ts`` in the non-canonical form selected by ``r``."""
        form = TS_FORM_SHARES[min(bisect_right(self.thresholds, r), len(TS_FORM_SHARES) - 1)][0]
        if form == "epoch_ms":
            return str(ts // 1000)
        if form == "offset":
            offset_min = UTC_OFFSETS_MIN[int(rng.random() * len(UTC_OFFSETS_MIN))]
            d, hms, frac = self.parts(ts + offset_min * 60 * SEC_US)
            sign = "+" if offset_min >= 0 else "-"
            hh, mm = divmod(abs(offset_min), 60)
            return f'"{d}T{hms}.{frac:06d}{sign}{hh:02d}:{mm:02d}"'
        d, hms, frac = self.parts(ts)
        if form == "space":
            return f'"{d} {hms}.{frac:06d}Z"'
        if form == "no_fraction":
            return f'"{d}T{hms}Z"'
        if form == "no_zone":
            return f'"{d}T{hms}.{frac:06d}"'
        return f'"{d}T{hms}.{frac:06d}Z"'


# ----------------------------------------------------------------------------
# catalog and users
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Catalog:
    nav: tuple[tuple[str, str, int], ...]  # (raw url, url JSON, product or -1)
    product_url: tuple[str, ...]  # url JSON per product
    product_fields: tuple[str, ...]  # '"product_id":"p_..","price":..'
    search: tuple[tuple[str, str], ...]  # (url JSON, properties JSON)
    referrers: tuple[tuple[str, float, str], ...]  # (referrer JSON, utm prob, utm)
    event_types: tuple[int, ...]
    hour_table: tuple[int, ...]
    human_uas: tuple[str, ...]
    currencies: tuple[str, ...]


def _build_catalog(rng: Random) -> _Catalog:
    names: list[str] = []
    for adj in PRODUCT_ADJECTIVES:
        for mat in PRODUCT_MATERIALS:
            for noun in PRODUCT_NOUNS:
                names.append(f"{adj}-{mat}-{noun}")
    slugs = rng.sample(names, 400)
    product_url: list[str] = []
    product_fields: list[str] = []
    for i, slug in enumerate(slugs):
        price = max(1, int(rng.lognormvariate(3.3, 0.7))) + rng.choice((0.99, 0.5, 0.0, 0.95))
        product_url.append(_j(f"{SITE}/products/{slug}"))
        product_fields.append(f'"product_id":"p_{i:05d}","price":{_j(round(price, 2))}')
    nav_items: list[tuple[str, str, int]] = [(f"{SITE}/", _j(f"{SITE}/"), -1)]
    nav_weights: list[float] = [10.0]
    for cat in CATEGORIES:
        nav_items.append((f"{SITE}/category/{cat}", _j(f"{SITE}/category/{cat}"), -1))
        nav_weights.append(25.0 / len(CATEGORIES))
    for path in (*STATIC_PATHS, "/cart"):
        nav_items.append((f"{SITE}{path}", _j(f"{SITE}{path}"), -1))
        nav_weights.append(1.5)
    popularity = [1.0 / (i + 5) for i in range(len(slugs))]
    scale = 55.0 / sum(popularity)
    for i, slug in enumerate(slugs):
        nav_items.append((f"{SITE}/products/{slug}", product_url[i], i))
        nav_weights.append(popularity[i] * scale)
    search = tuple((_j(f"{SITE}/search?q={quote_plus(q)}"), f'{{"query":{_j(q)}}}') for q in SEARCH_QUERIES)
    referrers = [(_j(ref), prob, utm) for ref, _, prob, utm in EXTERNAL_REFERRERS]
    return _Catalog(
        nav=_weighted_table(nav_items, nav_weights, 4096),
        product_url=tuple(product_url),
        product_fields=tuple(product_fields),
        search=search,
        referrers=_weighted_table(referrers, [w for _, w, _, _ in EXTERNAL_REFERRERS], 1024),
        event_types=_weighted_table(range(len(EVENT_TYPES)), EVENT_TYPE_WEIGHTS, 1000),
        hour_table=_weighted_table(range(24), HOURLY_TRAFFIC, 2400),
        human_uas=_weighted_table([_j(ua) for ua, _ in HUMAN_USER_AGENTS], [w for _, w in HUMAN_USER_AGENTS], 1000),
        currencies=_weighted_table([_j(c) for c, _ in CURRENCIES], [w for _, w in CURRENCIES], 100),
    )


@dataclass(frozen=True, slots=True)
class _User:
    uid_j: str
    partition: int
    ua_j: str
    ip_j: str
    currency_j: str
    bot: bool


def _random_ip(rng: Random, v6: bool) -> str:
    if v6:
        groups = ":".join(f"{rng.getrandbits(16):x}" for _ in range(6))
        return f"{IPV6_PREFIXES[rng.randrange(len(IPV6_PREFIXES))]}:{groups}"
    first = IPV4_FIRST_OCTETS[rng.randrange(len(IPV4_FIRST_OCTETS))]
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _build_users(rng: Random, cat: _Catalog, n_users: int, partitions: int) -> list[_User]:
    users: list[_User] = []
    for i in range(n_users):
        uid = f"u_{i:06d}"
        bot = rng.random() < BOT_USER_SHARE
        if bot:
            ua_j = _j(CRAWLER_USER_AGENTS[rng.randrange(len(CRAWLER_USER_AGENTS))])
            ip = _random_ip(rng, False)
        else:
            ua_j = cat.human_uas[rng.randrange(len(cat.human_uas))]
            ip = _random_ip(rng, rng.random() < IPV6_SHARE)
        users.append(
            _User(
                uid_j=_j(uid),
                partition=zlib.crc32(uid.encode("utf-8")) % partitions,
                ua_j=ua_j,
                ip_j=_j(ip),
                currency_j=cat.currencies[rng.randrange(len(cat.currencies))],
                bot=bot,
            )
        )
    return users


# ----------------------------------------------------------------------------
# statistics
# ----------------------------------------------------------------------------


@dataclass
class _Bucket:
    """Records that land on one day, per partition: (arrival_us, line)."""

    parts: list[list[tuple[int, str]]]
    # lags[n]: valid events landing n days after their UTC event date
    lags: list[int] = field(default_factory=lambda: [0] * (MAX_LATE_DAYS + 3))
    extra: int = 0


@dataclass
class DayStats:
    dt: str
    files: int = 0
    gzip: bool = False
    lines: int = 0
    valid: int = 0
    valid_with_extra_field: int = 0
    valid_by_lag_days: dict[str, int] = field(default_factory=dict)
    noise: dict[str, int] = field(default_factory=lambda: dict.fromkeys(NOISE_KINDS, 0))
    seconds: float = 0.0

    @property
    def too_late(self) -> int:
        return sum(n for lag, n in self.valid_by_lag_days.items() if int(lag) > 3)

    def as_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "gzip": self.gzip,
            "lines": self.lines,
            "valid": self.valid,
            "valid_with_extra_field": self.valid_with_extra_field,
            "valid_by_lag_days": self.valid_by_lag_days,
            "late_1_to_3_days": sum(n for lag, n in self.valid_by_lag_days.items() if 1 <= int(lag) <= 3),
            "too_late": self.too_late,
            "noise": self.noise,
            "noise_total": sum(self.noise.values()),
        }


# ----------------------------------------------------------------------------
# the generator
# ----------------------------------------------------------------------------


class Generator:
    """Generates event days in order and lands each day once it is complete."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.rng = Random(cfg.seed)
        self.first_day = _day_number(cfg.start_date)
        self.last_day = self.first_day + cfg.days - 1
        self.fmt = _TsFormatter(self.first_day - MAX_LATE_DAYS - 2, self.last_day + 2)
        self.cat = _build_catalog(self.rng)
        self.users = _build_users(self.rng, self.cat, cfg.n_users, cfg.partitions)
        self.users_by_partition: list[list[_User]] = [[] for _ in range(cfg.partitions)]
        for user in self.users:
            self.users_by_partition[user.partition].append(user)
        self.buckets: dict[int, _Bucket] = {}
        self.offsets = [0] * cfg.partitions
        self.history: list[deque[list[str]]] = [deque(maxlen=DUPLICATE_HISTORY_DAYS) for _ in range(cfg.partitions)]
        self.files_written = 0
        self.not_landed = 0
        self.human_session_length = (cfg.session_events_mean, HUMAN_SESSION_LENGTH[1])
        self.mean_session_length = self._mean_session_length()

    # -- driving -------------------------------------------------------------

    def run(self) -> list[DayStats]:
        stats: list[DayStats] = []
        for day in range(self.first_day - MAX_LATE_DAYS, self.last_day + 1):
            started = time.perf_counter()
            self._generate_event_day(day)
            if day >= self.first_day:
                day_stats = self._land_day(day)
                day_stats.seconds = time.perf_counter() - started
                LOG.info(
                    "dt=%s: %d files, %d lines (%d valid, %d noise)%s, %.2f s",
                    day_stats.dt,
                    day_stats.files,
                    day_stats.lines,
                    day_stats.valid,
                    sum(day_stats.noise.values()),
                    " gzip" if day_stats.gzip else "",
                    day_stats.seconds,
                )
                stats.append(day_stats)
        return stats

    # -- events --------------------------------------------------------------

    def _generate_event_day(self, day: int) -> None:
        """Generate the sessions starting on ``day``; keep what lands in range.

        ``--events-per-day`` events happen per day.  For the days before the
        start only the sessions that can land on the first day or later are
        materialised (late uploads, and sessions starting at 23:xx the day
        before); the others just use up the day's budget by their mean length.
        """
        rnd = self.rng.random
        users, n_users = self.users, len(self.users)
        hours, n_hours = self.cat.hour_table, len(self.cat.hour_table)
        late_lo = self.cfg.too_late_rate
        late_hi = late_lo + self.cfg.late_rate
        before_window = day < self.first_day
        spill_day = day == self.first_day - 1
        budget: float = self.cfg.events_per_day
        while budget > 0:
            r = rnd()
            late_days = 0
            if r < late_hi:
                late_days = 4 + int(rnd() * 7) if r < late_lo else LATE_DAYS_TABLE[int(rnd() * len(LATE_DAYS_TABLE))]
            if before_window:
                if late_days:
                    wanted = day + late_days >= self.first_day
                else:
                    wanted = spill_day and hours[int(rnd() * n_hours)] == 23
                if not wanted:
                    budget -= self.mean_session_length
                    continue
            user = users[int(n_users * rnd() ** USER_SKEW)]
            length = min(math.ceil(budget), self._session_length(user))
            budget -= length
            if late_days and day + late_days > self.last_day:
                self.not_landed += length
                continue
            hour = 23 if before_window and not late_days else hours[int(rnd() * n_hours)]
            start = day * DAY_US + hour * HOUR_US + int(rnd() * HOUR_US)
            events = self._session_events(user, start, length)
            self._route(user.partition, events, day, late_days)

    def _session_length(self, user: _User) -> int:
        mean, cap = BOT_SESSION_LENGTH if user.bot else self.human_session_length
        return min(cap, 1 + int(self.rng.expovariate(1 / mean)))

    def _mean_session_length(self) -> float:
        """Expected events per session, given who starts sessions how often."""
        n = len(self.users)
        bot_share = sum(
            (((i + 1) / n) ** (1 / USER_SKEW) - (i / n) ** (1 / USER_SKEW))
            for i, user in enumerate(self.users)
            if user.bot
        )

        def mean_of(mean: float, cap: int) -> float:  # E[min(cap, 1 + floor(Exp))]
            return 1 + sum(math.exp(-k / mean) for k in range(1, cap))

        return bot_share * mean_of(*BOT_SESSION_LENGTH) + (1 - bot_share) * mean_of(*self.human_session_length)

    def _landing_page(self, user: _User) -> tuple[str, str, int]:
        """(referrer JSON, landing URL JSON, product index) of a session start."""
        rnd = self.rng.random
        raw, url_j, product = self.cat.nav[int(rnd() * len(self.cat.nav))]
        if user.bot:
            return '""', url_j, product
        ref_j, utm_prob, utm = self.cat.referrers[int(rnd() * len(self.cat.referrers))]
        if utm and rnd() < utm_prob:
            url_j = _j(raw + ("&" if "?" in raw else "?") + utm)
        return ref_j, url_j, product

    def _session_events(self, user: _User, start: int, length: int) -> list[tuple[int, str, int]]:
        """The session's events as (ts_us, JSON line, has extra field)."""
        rng = self.rng
        rnd, log = rng.random, math.log
        cat, fmt = self.cat, self.fmt
        dates, hms, canonical = fmt.dates, fmt.hms, fmt.canonical_share
        types, n_types = cat.event_types, len(cat.event_types)
        nav, n_nav = cat.nav, len(cat.nav)
        extra_rate = self.cfg.extra_field_rate
        head = f'","user_id":{user.uid_j},"event_type":"'
        tail = f',"user_agent":{user.ua_j},"ip":{user.ip_j},"properties":'
        cur_j, bot = user.currency_j, user.bot
        ref_j, url_j, product = self._landing_page(user)
        cart: list[int] = []
        near_30 = int(rnd() * (length - 1)) + 1 if length > 1 and rnd() < 0.03 else -1
        mean_gap = 3.0 if bot else 35.0
        ts = start
        ids = rng.randbytes(16 * length).hex()  # 32 hex digits per event id
        out: list[tuple[int, str, int]] = []
        for i in range(length):
            etype = PAGE_VIEW
            if i:
                if i == near_30:  # a gap 1-91 s under or over 30 minutes
                    sign = 1 if rnd() < 0.5 else -1
                    ts += 1800 * SEC_US + sign * int((1 + rnd() * 90) * SEC_US)
                else:
                    gap = 0.5 - log(1.0 - rnd()) * mean_gap  # exponential, capped
                    ts += int((gap if gap < 300.0 else 300.0) * SEC_US)
                if not bot:
                    etype = types[int(rnd() * n_types)]
            props = "{}"
            if etype == PAGE_VIEW:
                if i:
                    _, new_url, product = nav[int(rnd() * n_nav)]
                    ref_j, url_j = url_j, new_url
            elif etype == CLICK:
                props = CLICK_PROPERTIES[int(rnd() * len(CLICK_PROPERTIES))]
            elif etype == SCROLL:
                props = SCROLL_PROPERTIES[int(rnd() * len(SCROLL_PROPERTIES))]
            else:
                ref_j, url_j, product, props = self._commerce_event(etype, ref_j, url_j, product, cart, cur_j)
            d, rem = divmod(ts, DAY_US)
            sec, frac = divmod(rem, SEC_US)
            r = rnd()
            if r < canonical:
                ts_j = f'"{dates[d]}T{hms[sec]}.{frac:06d}Z"'
            else:
                ts_j = fmt.variant(ts, r, rng)
            o = 32 * i  # event id formatted as a version 4 UUID
            line = (
                f'{{"event_id":"{ids[o : o + 8]}-{ids[o + 8 : o + 12]}-4{ids[o + 13 : o + 16]}-'
                f"{UUID_VARIANT[ids[o + 16]]}{ids[o + 17 : o + 20]}-{ids[o + 20 : o + 32]}"
                f'{head}{EVENT_TYPES[etype]}","event_ts":{ts_j},'
                f'"page_url":{url_j},"referrer":{ref_j}{tail}{props}}}'
            )
            extra = 0
            if rnd() < extra_rate:
                line = f"{line[:-1]},{EXTRA_FIELDS[int(rnd() * len(EXTRA_FIELDS))]}}}"
                extra = 1
            out.append((ts, line, extra))
        return out

    def _commerce_event(
        self, etype: int, ref_j: str, url_j: str, product: int, cart: list[int], cur_j: str
    ) -> tuple[str, str, int, str]:
        """Navigation and properties of the rarer event types."""
        rnd = self.rng.random
        cat = self.cat
        n_products = len(cat.product_fields)
        if etype == SEARCH:
            new_url, props = cat.search[int(rnd() * len(cat.search))]
            return url_j, new_url, -1, props
        if etype in (SIGN_UP, LOGIN):
            path = "/account/signup" if etype == SIGN_UP else "/account/login"
            props = AUTH_PROPERTIES[int(rnd() * len(AUTH_PROPERTIES))]
            return url_j, _j(SITE + path), -1, props
        if etype == CHECKOUT:
            props = CHECKOUT_PROPERTIES[int(rnd() * len(CHECKOUT_PROPERTIES))]
            return url_j, f'"{SITE}/checkout"', -1, props
        quantity = 1 if rnd() < 0.8 else 2 + int(rnd() * 3)
        if etype == ADD_TO_CART:
            if product < 0:
                product = int(rnd() * n_products)
                ref_j, url_j = url_j, cat.product_url[product]
            cart.append(product)
            props = f'{{{cat.product_fields[product]},"currency":{cur_j},"quantity":{quantity}}}'
            return ref_j, url_j, product, props
        item = cart.pop() if cart else int(rnd() * n_products)
        if etype == REMOVE_FROM_CART:
            props = f'{{{cat.product_fields[item]},"currency":{cur_j},"quantity":{quantity}}}'
            return url_j, f'"{SITE}/cart"', -1, props
        props = (
            f'{{"order_id":"o_{self.rng.getrandbits(40):010x}",{cat.product_fields[item]},'
            f'"currency":{cur_j},"quantity":{quantity}}}'
        )
        return url_j, f'"{SITE}/checkout/confirmation"', -1, props

    def _route(self, partition: int, events: list[tuple[int, str, int]], day: int, late_days: int) -> None:
        """Give each event an arrival time and put it in its landing day's bucket."""
        rnd = self.rng.random
        if late_days:  # the whole session is uploaded at once, days later
            upload = (day + late_days) * DAY_US + int(rnd() * DAY_US)
            first = max(upload, events[-1][0] + SEC_US)
            delay, step, jitter = -1, 1000, 0.0
        else:  # per-session network/batching delay plus per-event jitter
            first, step, jitter = 0, 0, float(SEC_US)
            delay = int(self.rng.expovariate(1 / 20) * SEC_US)
            if rnd() < 0.1:
                delay += int(rnd() * 900 * SEC_US)
        first_day, last_day = self.first_day, self.last_day
        current_day, records, bucket = -1, [], _Bucket([])
        for i, (ts, line, extra) in enumerate(events):
            if delay < 0:
                arrival = first + i * step
            else:
                arrival = ts + delay + int(rnd() * jitter)
            landing = arrival // DAY_US
            if landing != current_day:
                if landing > last_day:
                    self.not_landed += 1
                    continue
                if landing < first_day:  # spill-over of the day before the start
                    continue
                bucket = self._bucket(landing)
                records, current_day = bucket.parts[partition], landing
            records.append((arrival, line))
            bucket.lags[landing - ts // DAY_US] += 1
            bucket.extra += extra

    def _bucket(self, day: int) -> _Bucket:
        bucket = self.buckets.get(day)
        if bucket is None:
            bucket = self.buckets[day] = _Bucket([[] for _ in range(self.cfg.partitions)])
        return bucket

    # -- landing -------------------------------------------------------------

    def _land_day(self, day: int) -> DayStats:
        cfg = self.cfg
        bucket = self.buckets.pop(day, None) or _Bucket([[] for _ in range(cfg.partitions)])
        dt = _day_date(day).isoformat()
        index = day - self.first_day
        stats = DayStats(
            dt=dt,
            gzip=cfg.gzip_every_nth_day > 0 and (index + 1) % cfg.gzip_every_nth_day == 0,
            valid_with_extra_field=bucket.extra,
            valid_by_lag_days={str(lag): n for lag, n in enumerate(bucket.lags) if n},
        )
        base: list[list[str]] = []
        for records in bucket.parts:
            records.sort(key=itemgetter(0))  # arrival order; stable for equal times
            base.append([line for _, line in records])
        stats.valid = sum(len(lines) for lines in base)
        directory = cfg.topic_dir / f"dt={dt}"
        stale = _existing_files(directory) if cfg.overwrite else set()
        written: set[str] = set()
        for partition in range(cfg.partitions):
            lines = self._with_noise(day, partition, base, stats)
            for start in range(0, len(lines), cfg.max_records_per_file):
                chunk = lines[start : start + cfg.max_records_per_file]
                written.add(self._write_file(directory, partition, chunk, stats.gzip))
                stats.files += 1
                stats.lines += len(chunk)
        for name in sorted(stale - written):
            (directory / name).unlink()
        for partition, lines in enumerate(base):
            if lines:
                sample = self.rng.sample(lines, min(len(lines), HISTORY_SAMPLE_PER_DAY))
                self.history[partition].append(sample)
        return stats

    def _write_file(self, directory: Path, partition: int, lines: list[str], gz: bool) -> str:
        """Write one file (tmp name + os.replace) and return its name."""
        self.files_written += 1
        nth = self.cfg.crlf_every_nth_file
        newline = b"\r\n" if nth and self.files_written % nth == 0 else b"\n"
        # encode line by line: joining the str first would widen the whole file
        # to UCS-4 as soon as one line holds an emoji
        body = newline.join([s.encode("utf-8", "surrogateescape") for s in lines])
        stem = f"{TOPIC}+{partition}+{self.offsets[partition]:010d}"
        self.offsets[partition] += len(lines)
        name = f"{stem}.jsonl.gz" if gz else f"{stem}.jsonl"
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".{stem}{PARTIAL_SUFFIX}"
        with open(tmp, "wb") as fh:
            if gz:  # gzip container with mtime 0 and no file name: deterministic
                packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
                fh.write(packer.compress(body))
                fh.write(packer.compress(newline))
                fh.write(packer.flush())
            else:
                fh.write(body)
                fh.write(newline)
        os.replace(tmp, directory / name)
        return name

    # -- noise ---------------------------------------------------------------

    def _noise_counts(self, n_valid: int, partition: int) -> dict[str, int]:
        rnd = self.rng.random
        counts: dict[str, int] = {}
        for kind in NOISE_KINDS:
            rate = self.cfg.noise_rates.get(kind, 0.0)
            if rate <= 0.0 or (kind == "duplicate_later_day" and not self.history[partition]):
                continue
            count = int(rate * n_valid + rnd())
            if count:
                counts[kind] = count
        return counts

    def _with_noise(self, day: int, partition: int, base: list[list[str]], stats: DayStats) -> list[str]:
        """The partition's valid lines with noise lines at random positions."""
        rng = self.rng
        valid = base[partition]
        if not valid:
            return []
        counts = self._noise_counts(len(valid), partition)
        kinds = [kind for kind, count in counts.items() for _ in range(count)]
        rng.shuffle(kinds)
        total = len(valid) + len(kinds)
        positions = sorted(rng.sample(range(total), len(kinds)))
        out: list[Any] = []
        taken = 0
        for pos in positions:
            take = pos - len(out)
            out.extend(valid[taken : taken + take])
            taken += take
            out.append(None)
        out.extend(valid[taken:])
        fills = [self._noise_line(kind, pos, day, partition, out, base) for kind, pos in zip(kinds, positions)]
        for pos, (kind, line) in zip(positions, fills):
            out[pos] = line
            stats.noise[kind] += 1
        return out

    def _noise_line(
        self, kind: str, pos: int, day: int, partition: int, out: list[Any], base: list[list[str]]
    ) -> tuple[str, str]:
        """(realised kind, line) for a noise slot at ``pos`` of ``out``."""
        rng = self.rng
        size = self.cfg.max_records_per_file
        chunk_lo = pos - pos % size
        chunk_hi = min(len(out), chunk_lo + size)
        if kind == "duplicate_other_file":
            n_chunks = -(-len(out) // size)
            if n_chunks > 1:
                other = (chunk_lo // size + 1 + int(rng.random() * (n_chunks - 1))) % n_chunks
                line = _pick_line(rng, out, other * size, min(len(out), (other + 1) * size))
                if line is not None:
                    return kind, line
            others = [p for p in range(len(base)) if p != partition and base[p]]
            if others:
                lines = base[others[int(rng.random() * len(others))]]
                return kind, lines[int(rng.random() * len(lines))]
            kind = "duplicate_same_file"
        if kind == "duplicate_same_file":
            line = _pick_line(rng, out, chunk_lo, chunk_hi)
            if line is None:  # a file of noise only (tiny --max-records-per-file)
                return "duplicate_other_file", rng.choice(base[partition])
            return kind, line
        if kind == "duplicate_later_day":
            earlier = rng.choice(self.history[partition])
            return kind, rng.choice(earlier)
        if kind == "duplicate_conflicting_payload":
            history = self.history[partition]
            pool = rng.choice(history) if history and rng.random() < 0.3 else base[partition]
            return kind, self._conflicting_copy(rng.choice(pool))
        return kind, self._bad_line(kind, day, partition)

    def _conflicting_copy(self, line: str) -> str:
        obj = json.loads(line)
        old = obj.get("page_url")
        new = old
        while new == old:
            new = json.loads(self.cat.nav[int(self.rng.random() * len(self.cat.nav))][1])
        obj["page_url"] = new
        return _j(obj)

    def _noise_fields(self, day: int, partition: int) -> list[tuple[str, str]]:
        """A plausible event of a user of ``partition`` on ``day``, as fields."""
        rnd = self.rng.random
        users = self.users_by_partition[partition]
        user = users[int(rnd() * len(users))]
        ts = day * DAY_US + int(rnd() * DAY_US)
        _, url_j, _ = self.cat.nav[int(rnd() * len(self.cat.nav))]
        ref_j = self.cat.referrers[int(rnd() * len(self.cat.referrers))][0]
        v = self.rng.randbytes(16).hex()
        event_id = f"{v[:8]}-{v[8:12]}-4{v[13:16]}-{UUID_VARIANT[v[16]]}{v[17:20]}-{v[20:]}"
        etype = ("page_view", "click", "scroll")[int(rnd() * 3)]
        return [
            ("event_id", _j(event_id)),
            ("user_id", user.uid_j),
            ("event_type", _j(etype)),
            ("event_ts", _j(_iso_utc(ts))),
            ("page_url", url_j),
            ("referrer", ref_j),
            ("user_agent", user.ua_j),
            ("ip", user.ip_j),
            ("properties", "{}"),
        ]

    def _bad_line(self, kind: str, day: int, partition: int) -> str:
        rng = self.rng
        if kind == "blank_line":
            return ""
        if kind == "whitespace_line":
            return rng.choice((" ", "   ", "\t", " \t  ", "        "))
        fields = self._noise_fields(day, partition)
        if kind == "malformed_json":
            return _malformed(rng, fields)
        if kind == "invalid_utf8":
            return _with_invalid_utf8(rng, fields)
        if kind == "invalid_required_field":
            return _render(_break_required_field(rng, fields))
        if kind == "invalid_timestamp":
            d = self.fmt.date_str(day)
            bad = rng.choice(
                (
                    f"{d[:4]}-02-30T10:00:00Z",
                    "yesterday",
                    f"{d}T25:00:00",
                    f"{d[:4]}-13-01T00:00:00Z",
                    f"{d}T10:61:00Z",
                    "not a timestamp",
                    f"{d}T12:00:00+25:00",
                    "0000-00-00T00:00:00Z",
                )
            )
            return _render(_replace(fields, "event_ts", _j(bad)))
        if kind == "unknown_event_type":
            return _render(_replace(fields, "event_type", _j(rng.choice(UNKNOWN_EVENT_TYPES))))
        if kind == "future_event":
            ts = (day + 2) * DAY_US + HOUR_US + int(rng.random() * 400 * DAY_US)
            return _render(_replace(fields, "event_ts", _j(_iso_utc(ts))))
        raise ValueError(f"unknown noise kind {kind!r}")  # pragma: no cover


def _pick_line(rng: Random, out: list[Any], lo: int, hi: int) -> str | None:
    """A random valid line (not a noise slot) from ``out[lo:hi]``."""
    if hi <= lo:
        return None
    for _ in range(64):
        line = out[lo + int(rng.random() * (hi - lo))]
        if line is not None:
            return line
    return None


def _replace(fields: list[tuple[str, str]], key: str, value: str) -> list[tuple[str, str]]:
    return [(k, value if k == key else v) for k, v in fields]


def _break_required_field(rng: Random, fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    key = rng.choice(("event_id", "user_id", "event_type", "event_ts"))
    if key == "event_ts":
        how = rng.choice(("missing", "null", '""'))
    else:
        how = rng.choice(("missing", "null", '""', '"   "', "12345", "true", '["x"]', '{"id":1}'))
    if how == "missing":
        return [(k, v) for k, v in fields if k != key]
    return _replace(fields, key, how)


def _malformed(rng: Random, fields: list[tuple[str, str]]) -> str:
    line = _render(fields)
    how = rng.random()
    if how < 0.4:  # truncated mid-object
        return line[: len(line) // 4 + int(rng.random() * (len(line) * 3 // 4 - 1))]
    if how < 0.6:  # a JSON array instead of an object
        return f"[{line}]" if rng.random() < 0.5 else '["page_view","u_000001",1704067200000]'
    if how < 0.85:
        return rng.choice(PLAIN_TEXT_LINES)
    if how < 0.95:  # Python repr of the dict (single quotes)
        return repr(json.loads(line))
    return rng.choice(("null", "42", '"page_view"', "true"))


def _with_invalid_utf8(rng: Random, fields: list[tuple[str, str]]) -> str:
    """Insert invalid UTF-8 (as surrogate escapes) into a string value."""
    snippet = rng.choice(BAD_UTF8_SNIPPETS)
    key = rng.choice(("page_url", "user_agent", "user_id"))
    value = dict(fields)[key]
    cut = 1 + int(rng.random() * (len(value) - 2))  # strictly inside the quotes
    return _render(_replace(fields, key, value[:cut] + snippet + value[cut:]))


# ----------------------------------------------------------------------------
# files on disk
# ----------------------------------------------------------------------------


def _existing_files(directory: Path) -> set[str]:
    try:
        with os.scandir(directory) as entries:
            return {e.name for e in entries if e.is_file(follow_symlinks=False)}
    except FileNotFoundError:
        return set()


def holds_files(directory: Path) -> bool:
    """Whether the directory holds anything but subdirectories: a file, a symbolic link (to a raw
    file elsewhere, say), a FIFO... all of them someone's landed data."""
    try:
        with os.scandir(directory) as entries:
            return any(not e.is_dir(follow_symlinks=False) for e in entries)
    except FileNotFoundError:
        return False
    except NotADirectoryError:  # a file named dt=YYYY-MM-DD: never written over either
        return True


def find_conflicts(cfg: Config) -> list[Path]:
    """The target dt= directories that already contain files."""
    return [
        cfg.topic_dir / f"dt={d.isoformat()}"
        for d in cfg.landing_dates()
        if holds_files(cfg.topic_dir / f"dt={d.isoformat()}")
    ]


def warehouse_days(warehouse: Path) -> set[str]:
    """The landing days whose rows the warehouse holds (main.agg_ingest_daily, written by every
    build of a day, even one whose data tests then failed), or none for a missing warehouse."""
    from clickstream.pipeline.warehouse import connect_duckdb

    if not warehouse.exists():
        return set()
    with connect_duckdb(warehouse, read_only=True) as con:
        if not con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'main' and table_name = 'agg_ingest_daily'"
        ).fetchone()[0]:
            return set()
        return {day for (day,) in con.execute("select cast(dt as varchar) from main.agg_ingest_daily").fetchall()}


def processed_day_refusal(warehouse: Path | None, conflicts: list[Path]) -> str | None:
    """Why --overwrite must not replace the files of these dt= directories, or None: the
    warehouse has processed one of their days (its tables would no longer match the landing zone),
    or the warehouse cannot be read now to tell."""
    import duckdb

    from clickstream.pipeline.lock import current_holder
    from clickstream.pipeline.warehouse import WarehouseBusy

    paths = PipelinePaths.resolve(warehouse=str(warehouse) if warehouse else None)
    problem = unusable_location(paths.warehouse, directory=False)
    if problem:
        return f"{problem}: point --warehouse (or $CLICKSTREAM_WAREHOUSE) at the warehouse file"
    holder = current_holder(paths.warehouse)
    if holder is not None:
        return (
            f"`{holder.command}` (PID {holder.pid}) is writing the warehouse {paths.warehouse}, so it cannot tell "
            "which landing days it has processed; run this again when it has finished"
        )
    try:
        processed = warehouse_days(paths.warehouse)
    except WarehouseBusy as busy:
        return (
            f"another process ({busy.program}, PID {busy.pid}) has the warehouse {paths.warehouse} open, so it "
            "cannot tell which landing days it has processed; run this again when it has finished"
        )
    except duckdb.Error as error:
        return (
            f"the warehouse {paths.warehouse} cannot be read ({type(error).__name__}), so it cannot tell which "
            "landing days it has processed: point --warehouse (or $CLICKSTREAM_WAREHOUSE) at the warehouse file"
        )
    days = [d.name[len("dt=") :] for d in conflicts]
    replaced = [day for day in days if day in processed]
    if not replaced:
        return None
    return (
        f"the warehouse {paths.warehouse} has processed landing day(s) {', '.join(replaced)}; --overwrite never "
        "replaces the files of a processed day (the warehouse would no longer match its landing zone). Generate "
        "other days (--start-date), or into another landing zone (--raw-root) with another warehouse (--warehouse)"
    )


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
        return True
    except ValueError:
        return False


def build_manifest(cfg: Config, gen: Generator, stats: list[DayStats]) -> dict[str, Any]:
    totals: dict[str, Any] = {
        "files": 0,
        "lines": 0,
        "valid": 0,
        "valid_with_extra_field": 0,
        "late_1_to_3_days": 0,
        "too_late": 0,
        "noise": dict.fromkeys(NOISE_KINDS, 0),
        "noise_total": 0,
    }
    days = {s.dt: s.as_json() for s in stats}
    for day in days.values():
        for key in ("files", "lines", "valid", "valid_with_extra_field", "late_1_to_3_days", "too_late", "noise_total"):
            totals[key] += day[key]
        for kind, n in day["noise"].items():
            totals["noise"][kind] += n
    return {
        "topic": TOPIC,
        "arguments": {
            "start_date": cfg.start_date.isoformat(),
            "days": cfg.days,
            "events_per_day": cfg.events_per_day,
            "seed": cfg.seed,
            "partitions": cfg.partitions,
            "max_records_per_file": cfg.max_records_per_file,
            "gzip_every_nth_day": cfg.gzip_every_nth_day,
            "crlf_every_nth_file": cfg.crlf_every_nth_file,
            "users": cfg.n_users,
            "late_rate": cfg.late_rate,
            "too_late_rate": cfg.too_late_rate,
            "extra_field_rate": cfg.extra_field_rate,
            "noise_rates": cfg.noise_rates,
        },
        "partition_end_offsets": gen.offsets,
        "not_landed_after_end": gen.not_landed,
        "days": days,
        "totals": totals,
    }


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}{PARTIAL_SUFFIX}")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def generate(cfg: Config) -> dict[str, Any]:
    """Land all files for ``cfg`` and return the manifest (counts per day)."""
    gen = Generator(cfg)
    # Millions of small, acyclic tuples: the cyclic garbage collector would
    # rescan them over and over (seconds per million events) and free nothing.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        stats = gen.run()
    finally:
        if gc_was_enabled:
            gc.enable()
    return build_manifest(cfg, gen, stats)


# ----------------------------------------------------------------------------
# entry point
# ----------------------------------------------------------------------------


def main(argv: list[str] | None = None, prog: str = "clickstream generate") -> int:
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or a usage error
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    LOG.setLevel(logging.WARNING if args.quiet else logging.INFO)
    try:
        cfg = config_from_args(args)
    except ValueError as exc:
        print(f"generate_events: error: {exc}", file=sys.stderr)
        return 2
    problem = unusable_location(cfg.raw_root, directory=True)
    if problem is None and cfg.manifest is not None:
        problem = unusable_location(cfg.manifest, directory=False)
    if problem:
        print(f"generate_events: error: {problem}: pass a usable --raw-root / --manifest path", file=sys.stderr)
        return 2
    if cfg.manifest is not None and _inside(cfg.manifest, cfg.topic_dir):
        print(
            f"generate_events: error: --manifest {cfg.manifest} is inside {cfg.topic_dir}; "
            "the pipeline reads everything there",
            file=sys.stderr,
        )
        return 2
    conflicts = find_conflicts(cfg)
    if conflicts and not cfg.overwrite:
        print(
            "generate_events: refusing to write: these landing directories already "
            "contain files: "
            + ", ".join(str(p) for p in conflicts)
            + " (pass --overwrite to replace the files of these days)",
            file=sys.stderr,
        )
        return 2
    if conflicts:
        refusal = processed_day_refusal(args.warehouse, conflicts)
        if refusal:
            print(f"generate_events: refusing to write: {refusal}", file=sys.stderr)
            return 2
    started = time.perf_counter()
    manifest = generate(cfg)
    seconds = time.perf_counter() - started
    if cfg.manifest is not None:
        _write_json(cfg.manifest, manifest)
    totals = manifest["totals"]
    events = cfg.events_per_day * cfg.days
    print(
        f"generate_events: landed {cfg.days} day(s) {cfg.start_date}.."
        f"{cfg.landing_dates()[-1]} under {cfg.topic_dir}: {totals['files']} files, "
        f"{totals['lines']} lines ({totals['valid']} valid events, "
        f"{totals['noise_total']} noise lines, {totals['too_late']} too late, "
        f"{manifest['not_landed_after_end']} not landed after the end) in {seconds:.2f} s "
        f"({events / seconds if seconds else 0:,.0f} events/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
