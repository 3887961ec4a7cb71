"""Tests for pipeline.poll: feed parsing on real MIT-licensed feeds, validators, entity bombs."""

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from pipeline.errors import Drop
from pipeline.http import make_client
from pipeline.policy import FetchPolicy
from pipeline.poll import (
    FEED_ACCEPT,
    SUMMARY_MAX_CHARS,
    PollResult,
    item_id_for,
    parse_feed,
    poll,
)

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds"
FEED_URL = "https://feeds.example.com/news.xml"
# These tests exercise the poll stage, not the SSRF guard (tests/unit/test_http.py does): with
# private networks allowed the guard does no DNS lookup, so no network is needed.
POLICY = FetchPolicy(allow_private_networks=True)


def read(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def rss(items: str, encoding: str = "utf-8") -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        f"<title>Wire</title><link>https://news.example.com/</link>{items}</channel></rss>"
    ).encode(encoding)


def run_poll(handler: httpx.MockTransport, **kwargs: str) -> PollResult:
    with make_client(POLICY, transport=handler) as client:
        return poll(client, FEED_URL, POLICY, **kwargs)


@pytest.mark.parametrize(
    ("name", "count", "title"),
    [
        ("rss_2.0_bbc.xml", 1, "In Our Time"),  # RSS 2.0
        ("encoding.rss", 40, "Jornal de Notícias - Últimas Notícias"),  # RSS 2.0, ISO-8859-1
        ("heise.atom", 15, "heise developer neueste Meldungen"),  # Atom 1.0
        ("google_alerts_atom.xml", 20, "Google Alert - Slack"),  # Atom 1.0, html titles
        ("rss-1.rss", 69, "Science twis"),  # RSS 1.0 (RDF)
        ("TypePadNews.xml", 10, "Everything Typepad"),  # Atom, whitespace before <?xml
    ],
)
def test_parse_feed_reads_rss_atom_and_rdf(name: str, count: int, title: str) -> None:
    feed = parse_feed(read(name), FEED_URL, content_type="application/xml")
    assert feed.title == title
    assert len(feed.entries) == count
    for entry in feed.entries:
        assert entry.link.startswith(("http://", "https://"))
        assert entry.item_id == item_id_for(entry.link)
        assert entry.feed_url == FEED_URL
        assert entry.published_at is None or entry.published_at.tzinfo is not None


def test_parse_feed_matches_feed_rs_ground_truth() -> None:
    truth = json.loads(read("rss_2.0_bbc.serde.json"))["entries"][0]
    [entry] = parse_feed(read("rss_2.0_bbc.xml"), FEED_URL).entries
    assert entry.guid == truth["id"]
    assert entry.title == truth["title"]["content"]
    assert entry.link == truth["links"][0]["href"]
    assert entry.summary == truth["summary"]["content"]
    expected = datetime.fromisoformat(truth["published"].replace("Z", "+00:00"))
    assert entry.published_at == expected


def test_parse_feed_strips_html_from_atom_titles() -> None:
    entry = parse_feed(read("google_alerts_atom.xml"), FEED_URL).entries[0]
    assert entry.title is not None
    assert "<b>" not in entry.title
    assert "Automotive Slack Market" in entry.title


def test_parse_feed_recovers_entries_from_truncated_xml() -> None:
    feed = parse_feed(read("uolNoticias_truncated.rss"), FEED_URL)
    assert feed.bozo is True
    assert feed.bozo_reason is not None
    assert "SAXParseException" in feed.bozo_reason
    assert len(feed.entries) == 5  # the five complete items before the cut


def test_parse_feed_drops_html_error_page() -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
        b"<body><h1>Bad Gateway</h1><p><a href='/'>home</a></p></body></html>"
    )
    with pytest.raises(Drop, match="not-a-feed"):
        parse_feed(page, FEED_URL, content_type="text/html; charset=utf-8")


def test_parse_feed_handles_declared_latin1() -> None:
    body = read("encoding.rss")
    assert body.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    feed = parse_feed(body, FEED_URL, content_type="application/rss+xml")
    assert feed.bozo is False
    first = feed.entries[0]
    assert first.title == "Mãe de utente é a nova presidente da Raríssimas"
    assert all("\ufffd" not in (entry.title or "") for entry in feed.entries)


def test_parse_feed_prefers_http_charset_over_guessing() -> None:
    body = rss("<item><title>Zürich</title><link>https://n.example/1</link></item>", "latin-1")
    body = body.replace(b'encoding="latin-1"', b"")  # only the HTTP header names the charset
    feed = parse_feed(body, FEED_URL, content_type="application/rss+xml; charset=ISO-8859-1")
    assert feed.entries[0].title == "Zürich"


def _entity_bomb(encoding: str) -> bytes:
    # Flat entities survive feedparser's DOCTYPE filter; its loose parser then expands each
    # reference: 100 kB x 40,000 = 4 GB. (Checked: MemoryError under a 2 GB limit.)
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>\n'
    head = declaration + '<!DOCTYPE rss [\n<!ENTITY a "' + "x" * 100_000 + '">\n]>\n'
    refs = "&a;" * 40_000
    body = f'<rss version="2.0"><channel><title>{refs}</title></channel></rss>'
    return (head + body).encode(encoding)


def _billion_laughs() -> bytes:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    ]
    head = '<?xml version="1.0"?><!DOCTYPE rss [' + "".join(entities) + "]>"
    return (head + '<rss version="2.0"><channel><title>&lol9;</title></channel></rss>').encode()


@pytest.mark.parametrize(
    "body",
    [_entity_bomb("utf-8"), _entity_bomb("utf-16"), _entity_bomb("cp037"), _billion_laughs()],
    ids=["quadratic-utf8", "quadratic-utf16", "quadratic-ebcdic", "billion-laughs"],
)
def test_parse_feed_refuses_entity_expansion_bomb(body: bytes) -> None:
    with pytest.raises(Drop, match="xml-entities"):
        parse_feed(body, FEED_URL, content_type="application/xml")


def test_parse_feed_resolves_relative_links_and_skips_non_http() -> None:
    items = (
        "<item><title>rel</title><link>/world/1</link></item>"
        "<item><title>js</title><link>javascript:alert(1)</link></item>"
        "<item><title>mail</title><link>mailto:desk@news.example.com</link></item>"
        "<item><title>none</title><description>no link</description></item>"
    )
    feed = parse_feed(rss(items), FEED_URL)
    assert [entry.link for entry in feed.entries] == ["https://feeds.example.com/world/1"]


def test_parse_feed_reads_guid_and_converts_dates_to_utc() -> None:
    items = (
        "<item><title>t</title><link>https://n.example/a</link><guid>urn:wire:42</guid>"
        "<pubDate>Wed, 03 Jan 2018 14:11:52 +0200</pubDate></item>"
    )
    [entry] = parse_feed(rss(items), FEED_URL).entries
    assert entry.guid == "urn:wire:42"
    assert entry.published_at == datetime(2018, 1, 3, 12, 11, 52, tzinfo=UTC)


def test_parse_feed_summary_is_plain_text_and_truncated() -> None:
    html = "<p>First&amp;foremost</p><p>" + "word " * 400 + "</p>"
    items = (
        "<item><title>t</title><link>https://n.example/a</link>"
        f"<description><![CDATA[{html}]]></description></item>"
    )
    [entry] = parse_feed(rss(items), FEED_URL).entries
    assert entry.summary is not None
    assert entry.summary.startswith("First&foremost word word")
    assert "<" not in entry.summary
    assert len(entry.summary) <= SUMMARY_MAX_CHARS + 1
    assert entry.summary.endswith("word…")


def test_item_id_for_ignores_fragment_and_case_of_scheme_and_host() -> None:
    base = item_id_for("https://news.example.com/World/1?id=2")
    assert item_id_for("HTTPS://News.Example.COM/World/1?id=2#comments") == base
    assert item_id_for("https://news.example.com/world/1?id=2") != base  # paths are case-sensitive
    assert len(base) == 24
    assert int(base, 16) >= 0


def test_poll_sends_validators_and_recognises_304() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["If-None-Match"] == '"abc"'
        assert request.headers["If-Modified-Since"] == "Sat, 01 Jun 2024 10:00:00 GMT"
        return httpx.Response(304)

    result = run_poll(
        httpx.MockTransport(handler),
        etag='"abc"',
        last_modified="Sat, 01 Jun 2024 10:00:00 GMT",
    )
    assert (result.status, result.not_modified, result.feed, result.content_hash) == (
        304,
        True,
        None,
        None,
    )
    assert (result.etag, result.last_modified) == ('"abc"', "Sat, 01 Jun 2024 10:00:00 GMT")


def test_poll_returns_entries_validators_and_content_hash() -> None:
    body = read("heise.atom")

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Accept"] == FEED_ACCEPT
        assert "If-None-Match" not in request.headers
        headers = {
            "Content-Type": "application/atom+xml",
            "ETag": '"v2"',
            "Last-Modified": "Mon, 01 Feb 2016 16:22:00 GMT",
        }
        return httpx.Response(200, headers=headers, content=body)

    result = run_poll(httpx.MockTransport(handler))
    assert (result.status, result.not_modified) == (200, False)
    assert (result.etag, result.last_modified) == ('"v2"', "Mon, 01 Feb 2016 16:22:00 GMT")
    assert result.content_hash == hashlib.sha256(body).hexdigest()
    assert result.feed is not None
    assert len(result.feed.entries) == 15


def test_poll_resolves_relative_links_against_the_final_url() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "feeds.example.com":
            return httpx.Response(301, headers={"Location": "https://cdn.example.net/feed/"})
        items = "<item><title>t</title><link>story/7</link></item>"
        return httpx.Response(
            200, headers={"Content-Type": "application/rss+xml"}, content=rss(items)
        )

    result = run_poll(httpx.MockTransport(handler))
    assert result.feed is not None
    [entry] = result.feed.entries
    assert entry.link == "https://cdn.example.net/feed/story/7"
    assert entry.feed_url == FEED_URL  # the feed keeps its configured identity


def test_poll_drops_a_feed_url_serving_html() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": "text/html"}, text="<html>Oops</html>")

    with pytest.raises(Drop, match="not-a-feed"):
        run_poll(httpx.MockTransport(handler))


def test_poll_recognises_an_unchanged_body_when_validators_are_ignored() -> None:
    body = read("heise.atom")

    def handler(request: httpx.Request) -> httpx.Response:
        # A server that ignores If-None-Match and sends a fresh (false) ETag every time.
        return httpx.Response(200, headers={"ETag": f'"{request.url.params}"'}, content=body)

    result = run_poll(
        httpx.MockTransport(handler), etag='"old"', content_hash=hashlib.sha256(body).hexdigest()
    )
    assert (result.not_modified, result.same_body, result.feed) == (True, True, None)
    assert result.content_hash == hashlib.sha256(body).hexdigest()


def test_poll_parses_a_changed_body_despite_an_unchanged_etag() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        items = "<item><title>t</title><link>https://news.example.com/1</link></item>"
        return httpx.Response(200, headers={"ETag": '"same"'}, content=rss(items))

    result = run_poll(httpx.MockTransport(handler), etag='"same"', content_hash="0" * 64)
    assert result.not_modified is False
    assert result.feed is not None
    assert len(result.feed.entries) == 1


def test_poll_collects_cache_hints_from_headers_and_document() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = rss("<ttl>45</ttl><item><title>t</title><link>https://n.example/1</link></item>")
        return httpx.Response(200, headers={"Cache-Control": "max-age=120"}, content=body)

    result = run_poll(httpx.MockTransport(handler))
    assert (result.hints.max_age, result.hints.ttl) == (120.0, 2700.0)
    assert result.hints.floor() == 2700.0


def test_parse_feed_reads_the_syndication_update_period() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0" '
        b'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>W</title>'
        b"<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>"
        b"<item><title>t</title><link>https://n.example/1</link></item></channel></rss>"
    )
    assert parse_feed(body, FEED_URL).hints.update_period == 900.0
