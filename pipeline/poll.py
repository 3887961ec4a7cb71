"""The poll stage: fetch a feed conditionally and turn its entries into FeedEntry records."""

import calendar
import hashlib
import io
import re
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import feedparser
import httpx
from feedparser.encodings import convert_to_utf8

from pipeline.errors import Drop
from pipeline.http import fetch_bytes
from pipeline.policy import FetchPolicy
from pipeline.records import FeedEntry, Record
from pipeline.schedule import CacheHints, feed_hints, http_hints, merge

# Feed types first; */* last because many servers label feeds text/html or octet-stream
# and a strict server would otherwise answer 406.
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
SUMMARY_MAX_CHARS = 1000

# Entity declarations are what entity-expansion bombs are made of, and news feeds do not use
# them (a feed quoting "<!ENTITY" inside CDATA is dropped too; that trade is deliberate).
# Tested with feedparser 6.0.14 / expat 2.5.0: feedparser drops entities that nest and expat's
# amplification limit stops the strict parse, but feedparser then falls back to its loose
# parser, which expands the flat entities it kept (100 kB referenced 40,000 times: 4 GB).
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_BREAKING_TAGS = frozenset({"br", "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "tr", "td"})


class ParsedFeed(Record):
    """A parsed feed: its title, its usable entries and whether the XML was broken."""

    title: str | None = None
    entries: list[FeedEntry]
    bozo: bool = False
    bozo_reason: str | None = None
    hints: CacheHints = CacheHints()


class PollResult(Record):
    """What one poll learned: caching validators, a body hash, cache hints and the feed."""

    status: int
    not_modified: bool
    #: The server sent a body, but byte for byte the one of the last poll (validators ignored).
    same_body: bool = False
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    hints: CacheHints = CacheHints()
    feed: ParsedFeed | None = None


def poll(
    client: httpx.Client,
    feed_url: str,
    policy: FetchPolicy,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    content_hash: str | None = None,
) -> PollResult:
    """Fetch a feed with its validators; parse it unless it is unchanged (304 or same bytes)."""
    fetched = fetch_bytes(
        client, feed_url, policy, etag=etag, last_modified=last_modified, accept=FEED_ACCEPT
    )
    hints = http_hints(fetched.headers)
    # A 304 may omit the validators; the ones we sent still hold.
    etag = fetched.headers.get("etag", etag if fetched.not_modified else None)
    modified = fetched.headers.get("last-modified", last_modified if fetched.not_modified else None)
    digest = hashlib.sha256(fetched.body).hexdigest() if not fetched.not_modified else None
    if fetched.not_modified or digest == content_hash:
        return PollResult(status=fetched.status, not_modified=True, same_body=digest is not None,
                          etag=etag, last_modified=modified, content_hash=content_hash,
                          hints=hints)  # fmt: skip
    raw_type = fetched.headers.get("content-type")  # with its charset, for feedparser
    feed = parse_feed(fetched.body, feed_url, content_type=raw_type, base_url=fetched.final_url)
    return PollResult(status=fetched.status, not_modified=False, etag=etag, last_modified=modified,
                      content_hash=digest, hints=merge(hints, feed.hints), feed=feed)  # fmt: skip


def parse_feed(
    body: bytes, feed_url: str, *, content_type: str | None = None, base_url: str | None = None
) -> ParsedFeed:
    """Parse feed bytes; relative links resolve against base_url (the served URL) or feed_url."""
    headers = {"content-location": base_url or feed_url}
    if content_type:
        headers["content-type"] = content_type
    refuse_entity_declarations(body, headers)
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    if not parsed.get("version") and not parsed.entries:
        raise Drop("not-a-feed", feed_url)
    base = base_url or feed_url
    entries = [entry for raw in parsed.entries if (entry := _entry(raw, feed_url, base))]
    return ParsedFeed(
        title=_clean_text(parsed.feed.get("title")),
        entries=entries,
        bozo=bool(parsed.get("bozo")),
        bozo_reason=_bozo_reason(parsed),
        hints=_document_hints(parsed.feed),
    )


def _document_hints(feed: Any) -> CacheHints:
    ttl, period, frequency = (feed.get(k) for k in ("ttl", "sy_updateperiod", "sy_updatefrequency"))
    return feed_hints(*(v if isinstance(v, str) else None for v in (ttl, period, frequency)))


def refuse_entity_declarations(body: bytes, headers: dict[str, str]) -> None:
    """Drop a body that declares XML entities, checked in the encoding feedparser will use."""
    # Decoding exactly as feedparser will (its own helper, same headers) matters: in UTF-16,
    # UTF-7 or EBCDIC a byte search for "<!ENTITY" finds nothing while the parser sees it.
    text = convert_to_utf8(dict(headers), body, {})
    if _ENTITY_DECLARATION.search(text if isinstance(text, bytes) else body):
        raise Drop("xml-entities")


def item_id_for(link: str) -> str:
    """Deterministic item id: sha256 of the link without fragment, scheme and host lower-cased."""
    parts = urlsplit(link.strip())
    userinfo, at, hostport = parts.netloc.rpartition("@")
    netloc = f"{userinfo}{at}{hostport.lower()}"
    normal = urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, ""))
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:24]


def _entry(raw: Any, feed_url: str, base: str) -> FeedEntry | None:
    link = _absolute_link(raw, base)
    if link is None:  # nothing to fetch: the item cannot go further down the pipeline
        return None
    return FeedEntry(
        item_id=item_id_for(link),
        feed_url=feed_url,
        link=link,
        guid=_clean_text(raw.get("id")),
        title=_title(raw),
        published_at=_published_at(raw),
        summary=_summary(raw.get("summary")),
    )


def _absolute_link(raw: Any, base: str) -> str | None:
    candidates = [raw.get("link")] + [link.get("href") for link in raw.get("links", [])]
    for candidate in candidates:
        if not isinstance(candidate, str) or not candidate.strip():
            continue
        link = urljoin(base, candidate.strip())
        parts = urlsplit(link)
        if parts.scheme in ("http", "https") and parts.hostname:
            return link
    return None


def _published_at(raw: Any) -> datetime | None:
    # feedparser normalises both to a UTC struct_time; published wins, updated is the fallback.
    # dict.get, not raw.get: FeedParserDict maps a missing updated_parsed onto published_parsed
    # with a DeprecationWarning.
    for key in ("published_parsed", "updated_parsed"):
        value = dict.get(raw, key)
        if isinstance(value, time.struct_time):
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _title(raw: Any) -> str | None:
    title = raw.get("title")
    detail = raw.get("title_detail") or {}
    # Atom titles may be type="html" ("<b>Slack</b> market"); RSS titles are plain text.
    if isinstance(title, str) and "html" in str(detail.get("type", "")):
        title = _html_to_text(title)
    return _clean_text(title)


def _summary(value: object) -> str | None:
    text = _clean_text(_html_to_text(value) if isinstance(value, str) else None)
    if text is None or len(text) <= SUMMARY_MAX_CHARS:
        return text
    cut = text[:SUMMARY_MAX_CHARS].rsplit(" ", 1)[0]  # end on a word, not inside one
    return cut.rstrip() + "…"


def _clean_text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = _WHITESPACE.sub(" ", value).strip()
    return text or None


class _TextExtractor(HTMLParser):
    """Collects the character data of an HTML fragment (feedparser already sanitised it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKING_TAGS:  # "<p>a</p><p>b</p>" reads "a b", not "ab"
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BREAKING_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _html_to_text(fragment: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(fragment)
    extractor.close()
    return "".join(extractor.parts)


def _bozo_reason(parsed: Any) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    return f"{type(exc).__name__}: {exc}" if exc is not None else "unknown"
