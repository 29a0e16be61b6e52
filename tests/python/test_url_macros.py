"""url_host, url_path and url_query_parameter (macros/enrichment/urls.sql) read URLs as Python's
urllib.parse does: on a generated corpus of 12,000 URLs (seeded, so the same every run) their
DuckDB rendering and their Spark rendering (on the session's shared cluster) give, URL by URL,
what urlsplit / parse_qsl give once mapped onto the macros' documented semantics.

The corpus mixes userinfo (`user:pw@`, several `@`), ports (empty, 0, 65535), IPv4 and IPv6
literals, upper-case schemes and hosts, non-ASCII hosts, `//` paths, percent-encoding (UTF-8,
Latin-1 `%E9`, cut and invalid sequences, encoded surrogates, overlong forms, `%zz`, a lone `%`),
empty, bare and repeated parameters, parameters in the fragment (`#?utm_source=x`), relative URLs,
scheme-relative `//host` URLs, URLs without `//` (`mailto:`, `www.example.com/p`), a query of
20,001 parameters (a regex with a repeated group would overflow Java's stack on it, on Spark) and
the referrer hosts of the referrer_domains seed that classify_channel() depends on. The macros
are rendered by `dbt compile --inline` and run as one query over the whole corpus.

The mapping (the oracle) and the intentional differences from urllib.parse:

- url_host: urlsplit(url).hostname, without a leading `www.`, NULL when empty. Differences: an
  IPv6 literal keeps its brackets (`[2001:db8::1]`, as the host of RFC 3986 and the hostname of
  the browser's URL API; urllib drops them); lower-casing is per character, as DuckDB's lower()
  and lower_text() do (U+0130 becomes `i`, a final capital sigma U+03C3; Python's str.lower()
  gives `i` + U+0307 and U+03C2); the whole host is lower-cased (urllib leaves what follows a `%`
  as it is, meant for an IPv6 zone id such as `%eth0`, but in any host: `%2F` stays upper-case).
- url_path: urlsplit(url).path; when it is empty, `/` for a URL with an authority (`//` after the
  optional scheme, even an empty one: `https://?q`) and NULL otherwise (urllib gives '' for both).
- url_query_parameter: the first pair of parse_qsl(query, keep_blank_values=True) whose name is
  `name`, its value NULL when empty (a bare `name` is an empty value, so `?a&a=1` gives NULL).
  Differences: names are compared as written, not URL-decoded (`utm%5Fsource=x` is not
  utm_source; urllib decodes names); a value whose %-escapes do not decode to UTF-8 is kept as
  written, `+` included (urllib puts U+FFFD in place of the bytes).
- All three take the URL as it is: urlsplit first strips leading spaces and control characters
  and removes tabs and newlines anywhere (such URLs are not generated), and refuses an invalid
  IPv6 literal (`http://[::1/`, ValueError; not generated either).
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import duckdb
import pytest

from clickstream.paths import PROJECT_ROOT, PipelinePaths
from clickstream.pipeline import dbt_process

SEED = 20  # issue #20
CORPUS_SIZE = 12_000
PARAMETERS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid")
COLUMNS = ("url_host", "url_path", *(f"url_query_parameter({name})" for name in PARAMETERS))
SELECT_MACROS = (
    "select id, {{ url_host('url') }} as host, {{ url_path('url') }} as path"
    + "".join(f", {{{{ url_query_parameter('url', '{name}') }}}} as {name}" for name in PARAMETERS)
    + " from corpus order by id"
)

# The URLs and a few more, with what the macros must give: (url, host, path, utm_source).
EXAMPLES: list[tuple[str | None, str | None, str | None, str | None]] = [
    ("http://user:pw@host.com/p", "host.com", "/p", None),
    ("https://[2001:db8::1]/", "[2001:db8::1]", "/", None),
    ("https://shop.example.com/#?utm_source=x", "shop.example.com", "/", None),
    ("https://a@b@WWW.Example.COM:8080?utm_source=a+b%20c", "example.com", "/", "a b c"),
    ("HTTPS://[2001:DB8::A]:443/x//y?utm_source=caf%E9+x", "[2001:db8::a]", "/x//y", "caf%E9+x"),
    ("//cdn.example.com/p?utm_source&utm_source=2", "cdn.example.com", "/p", None),
    ("android-app://com.google.android.gm/", "com.google.android.gm", "/", None),
    ("/relative/path?x=1&utm_source=%C3%A9t%C3%A9#f", None, "/relative/path", "été"),
    ("www.example.com/p?utm%5Fsource=x&utm_source=y", None, "www.example.com/p", "y"),
    ("mailto:someone@example.com", None, "someone@example.com", None),
    ("https://?utm_source=", None, "/", None),
    ("?utm_source=only", None, None, "only"),
    ("", None, None, None),
    (None, None, None, None),
    ("https://shop.example.com/?" + "a=1&" * 20_000 + "utm_source=last", "shop.example.com", "/", "last"),
]

SCHEMES = ("https", "http", "HTTPS", "Http", "android-app", "ftp", "git+ssh", "a1.b-c")
USERINFOS = ("user", "user:pw", "u%40x:p%3Ass", "", "a@b", "John.Doe:S3cr%C3%A9t", "www.x.com")
PORTS = ("", "", "", ":80", ":8080", ":", ":0", ":65535")
HOST_PREFIXES = ("", "", "www.", "WWW.", "m.", "l.", "sub.", "www.www.")
OTHER_HOSTS = (
    "shop.example.com",
    "Shop.Example.COM",
    "example.com.",
    "wwwx.example.com",
    "www2.example.com",
    "www.",
    "www",
    "localhost",
    "xn--bcher-kva.example",
    "b\u00fccher.example",
    "\u0130STANBUL.example",
    "\u03a3\u039f\u03a6\u039f\u03a3.example",
    "%65xample.com",
    "google.com.example.net",
    "",
    "203.0.113.7",
    "127.0.0.1",
    "[2001:db8::1]",
    "[2001:DB8:85A3::8A2E:370:7334]",
    "[::1]",
    "[::ffff:192.0.2.1]",
    "[fe80::1]",
)
SEGMENTS = (
    "a",
    "products",
    "shoes",
    "",
    "",
    ".",
    "..",
    "with:colon",
    "@at",
    "www.google.com",
    "index.html",
    ";p=1",
    "caf%C3%A9",
    "%E9t%E9",
    "%2F",
    "\u00e9",
    "\U0001f600",
    "~user",
    "a+b",
)
NAMES = (*PARAMETERS, *PARAMETERS, "xutm_source", "utm_source_x", "UTM_SOURCE", "utm%5Fsource", "utm_sourc", "q", "")
VALUES = (
    "google",
    "newsletter",
    "facebook",
    "FB",
    "Instagram",
    "ig",
    "cpc",
    "CPC",
    "paid_social",
    "email",
    "spring+sale",
    "a%20b",
    "e%2Bmail",
    "50%",
    "%zz",
    "%",
    "%4",
    "caf%E9",
    "caf%C3%A9",
    "%C3",
    "%C3%28",
    "%EF%BF%BD",
    "\ufffd",
    "%ED%A0%80",
    "%C0%AF",
    "%F4%90%80%80",
    "%F0%9F%98%80",
    "\U0001f600",
    "\u00e9",
    "%00",
    "a=b",
    "a?b",
    "x#y",
    "http%3A%2F%2Fx.com%2F%3Fa%3D1",
    "https://nested.example/?utm_source=inner",
    "",
)
FRAGMENTS = ("top", "", "?utm_source=x", "&utm_medium=y&gclid=z", "a?b#c", "/path?fbclid=1")


def referrer_domains() -> list[str]:
    with (PROJECT_ROOT / "seeds" / "referrer_domains.csv").open() as seed:
        return [row["domain"] for row in csv.DictReader(seed)]


def mixed_case(rnd: random.Random, text: str) -> str:
    return "".join(ch.upper() if rnd.random() < 0.3 else ch for ch in text)


def random_host(rnd: random.Random, domains: list[str]) -> str:
    if rnd.random() < 0.5:
        host = rnd.choice(HOST_PREFIXES) + rnd.choice(domains)
        return mixed_case(rnd, host) if rnd.random() < 0.2 else host
    return rnd.choice(OTHER_HOSTS)


def random_path(rnd: random.Random) -> str:
    if rnd.random() < 0.2:
        return ""
    return "/" + "/".join(rnd.choice(SEGMENTS) for _ in range(rnd.randrange(1, 4)))


def random_query(rnd: random.Random) -> str:
    if rnd.random() < 0.25:
        return rnd.choice(("", "?"))
    pieces = []
    for _ in range(rnd.randrange(1, 6)):
        name, value = rnd.choice(NAMES), rnd.choice(VALUES)
        form = rnd.random()
        pieces.append(name if form < 0.1 else f"{name}=" if form < 0.2 else f"{name}={value}")
        if rnd.random() < 0.1:
            pieces.append(rnd.choice(("", pieces[-1])))  # `&&`, or the same parameter again
    return "?" + "&".join(pieces)


def random_url(rnd: random.Random, domains: list[str]) -> str:
    tail = random_path(rnd) + random_query(rnd) + ("#" + rnd.choice(FRAGMENTS) if rnd.random() < 0.2 else "")
    kind = rnd.random()
    if kind < 0.15:  # relative: path, or a bare query or fragment
        return tail.lstrip("/") if rnd.random() < 0.2 else tail
    if kind < 0.2:  # no `//`: mailto:, one slash, or a host without scheme
        return rnd.choice(("mailto:", "javascript:", "http:", "HTTPS:", "www.example.com", "example.com:8080")) + tail
    userinfo = rnd.choice(USERINFOS) + "@" if rnd.random() < 0.15 else ""
    authority = userinfo + random_host(rnd, domains) + rnd.choice(PORTS)
    scheme = rnd.choice(SCHEMES) + ":" if rnd.random() < 0.95 else ""  # else scheme-relative `//host`
    return f"{scheme}//{authority}{tail}"


def generated_corpus(size: int = CORPUS_SIZE, seed: int = SEED) -> list[str | None]:
    """EXAMPLES' URLs, then random URLs up to `size` (the same ones for the same seed)."""
    rnd = random.Random(seed)
    domains = referrer_domains()
    urls = [url for url, *_ in EXAMPLES]
    while len(urls) < size:
        urls.append(random_url(rnd, domains))
    return urls


# --- the oracle: urllib.parse mapped onto the macros' semantics ----------------------------------


def lower_per_character(text: str) -> str:
    """DuckDB's lower() (lower_text()): each character mapped on its own, U+0130 to `i`."""
    return "".join("i" if ch == "\u0130" else ch.lower() for ch in text)


def expected_host(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.hostname is None:
        return None
    host_and_port = parts.netloc.rpartition("@")[2]
    host = host_and_port[: host_and_port.index("]") + 1] if host_and_port.startswith("[") else host_and_port
    host = host.partition(":")[0] if not host.startswith("[") else host
    assert host.strip("[]").lower() == parts.hostname.lower(), url  # urllib's hostname, brackets and case aside
    return lower_per_character(host).removeprefix("www.") or None


def expected_path(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.path:
        return parts.path
    after_scheme = url[len(parts.scheme) + 1 :] if parts.scheme else url
    return "/" if after_scheme.startswith("//") else None


def expected_parameter(url: str | None, name: str) -> str | None:
    if url is None:
        return None
    query = urlsplit(url).query
    pieces = [piece for piece in query.split("&") if piece]
    decoded = parse_qsl(query, keep_blank_values=True, errors="surrogateescape")
    assert len(decoded) == len(pieces), url
    for piece, (_, value) in zip(pieces, decoded):
        written_name, _, written_value = piece.partition("=")
        if written_name == name:
            undecodable = any("\udc80" <= ch <= "\udcff" for ch in value)  # surrogateescape'd bytes
            return (written_value if undecodable else value) or None
    return None


def expected_row(url: str | None) -> tuple[str | None, ...]:
    return (expected_host(url), expected_path(url), *(expected_parameter(url, name) for name in PARAMETERS))


# --- rendering and running the macros ------------------------------------------------------------


def compiled_select(target: str, work_dir: Path) -> str:
    """SELECT_MACROS rendered by `dbt compile --inline` for a profile target (no connection: the
    macros need none), as the refresh runs dbt (dbt_process.dbt_command)."""
    paths = PipelinePaths(work_dir / "raw", work_dir / "warehouse.duckdb", work_dir / "exports")
    arguments = ["compile", "--no-populate-cache", "--inline", SELECT_MACROS]
    result = dbt_process.dbt_command(paths, arguments, target, work_dir / "target", work_dir / "logs").run()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [compiled] = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
    return compiled["compiled_code"]


def write_corpus(urls: list[str | None], file: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": pa.array(range(len(urls)), pa.int32()), "url": pa.array(urls, pa.string())}), file)


def shortened(url: str | None) -> str:
    text = repr(url)
    return text if len(text) <= 200 else f"{text[:150]}...{text[-40:]} ({len(text)} characters)"


def differences(urls: list[str | None], rows: list[tuple]) -> str:
    """Per macro, how many URLs it reads differently from the oracle, and a few of them; '' when
    none does."""
    assert [row[0] for row in rows] == list(range(len(urls)))
    found: dict[str, list[str]] = {column: [] for column in COLUMNS}
    for url, (_, *actual) in zip(urls, rows):
        for column, want, got in zip(COLUMNS, expected_row(url), actual):
            if want != got:
                found[column].append(f"    {shortened(url)}: expected {want!r}, got {got!r}")
    return "\n".join(
        f"{column}: {len(lines)} of {len(urls)} URLs differ, e.g.\n" + "\n".join(lines[:5])
        for column, lines in found.items()
        if lines
    )


def run_on_duckdb(sql: str, corpus: Path) -> list[tuple]:
    with duckdb.connect() as con:
        con.execute("create table corpus as select * from read_parquet(?)", [str(corpus)])
        return con.execute(sql).fetchall()


# --- tests ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "host", "path", "utm_source"), EXAMPLES, ids=[shortened(e[0]) for e in EXAMPLES])
def test_the_oracle_reads_the_examples_as_the_macros_document(
    url: str | None, host: str | None, path: str | None, utm_source: str | None
) -> None:
    assert (expected_host(url), expected_path(url), expected_parameter(url, "utm_source")) == (host, path, utm_source)


def test_the_corpus_covers_every_kind_of_url() -> None:
    urls = [url for url in generated_corpus() if url is not None]
    assert len(urls) >= 10_000 and urls == [url for url in generated_corpus() if url is not None]
    kinds: dict[str, Callable[[str], bool]] = {
        "userinfo": lambda url: "@" in urlsplit(url).netloc,
        "port": lambda url: urlsplit(url).netloc.endswith(":8080"),
        "ipv4": lambda url: expected_host(url) == "203.0.113.7",
        "ipv6": lambda url: (expected_host(url) or "").startswith("["),
        "upper-case scheme": lambda url: url.startswith("HTTPS://"),
        "upper-case host": lambda url: "WWW." in urlsplit(url).netloc,
        "latin-1 escape": lambda url: "caf%E9" in urlsplit(url).query,
        "empty parameter": lambda url: "utm_source=&" in url,
        "repeated parameter": lambda url: urlsplit(url).query.count("utm_source=") > 1,
        "parameter in fragment": lambda url: "#?utm_source=x" in url,
        "`//` in path": lambda url: "//" in urlsplit(url).path,
        "scheme-relative": lambda url: url.startswith("//"),
        "relative": lambda url: url.startswith("/") and not url.startswith("//"),
        "no `//`": lambda url: url.startswith("mailto:"),
        "seed referrer host": lambda url: expected_host(url) == "com.google.android.gm",
    }
    counts = {kind: sum(map(matches, urls)) for kind, matches in kinds.items()}
    assert all(count >= 10 for count in counts.values()), counts


def test_url_macros_on_duckdb_read_a_generated_corpus_as_urllib_does(tmp_path: Path) -> None:
    urls = generated_corpus()
    write_corpus(urls, tmp_path / "corpus.parquet")
    rows = run_on_duckdb(compiled_select("dev", tmp_path / "dbt"), tmp_path / "corpus.parquet")
    assert not (found := differences(urls, rows)), f"DuckDB:\n{found}"


@pytest.mark.spark
def test_url_macros_on_spark_read_a_generated_corpus_as_urllib_does(shared_cluster, tmp_path: Path) -> None:
    from clickstream.pipeline.warehouse import SparkWarehouse

    urls = generated_corpus()
    write_corpus(urls, tmp_path / "corpus.parquet")
    sql = compiled_select("spark_cluster", tmp_path / "dbt")
    location = str((tmp_path / "corpus.parquet").resolve()).replace("'", "\\'")
    spark = SparkWarehouse("127.0.0.1", shared_cluster.ports["thrift"])
    try:
        spark.query(f"create or replace temporary view corpus using parquet options (path 'file://{location}')")
        rows = spark.query(sql)
    finally:
        spark.close()
    assert not (found := differences(urls, rows)), f"Spark:\n{found}"
