"""Pages and feeds for the pipeline benchmark (a helper of bench_pipeline, not a section).

Copy i of a corpus page is served at /a/<i> with its own canonical URL (the page's own
`<link rel=canonical>` and `og:url` are replaced by one naming the served URL) and a short
"Copy i." in its first paragraph, so no two copies share a URL or a text hash. Copies of one
corpus page are still one story to the near-duplicate check: they are stored as separate
articles in one story cluster, as a wire story republished by many outlets is.
"""

import gzip
import html
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from workers.sample_sites import QuietHandler

ROOT = Path(__file__).resolve().parent.parent
_CANONICAL = re.compile(
    rb"<link\b[^>]*\brel\s*=\s*[\"']?canonical\b[^>]*>|"
    rb"<meta\b[^>]*\bproperty\s*=\s*[\"']?og:url\b[^>]*>",
    re.I,
)
_HEAD = re.compile(rb"<head\b[^>]*>", re.I)
_FIRST_P = re.compile(rb"<p\b[^>]*>", re.I)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


def corpus_dir() -> Path:
    """The shared corpus (WIRE_CORPUS_DIR overrides)."""
    return Path(os.environ.get("WIRE_CORPUS_DIR", ROOT.parent / "shared" / "corpus"))


def page_files() -> list[Path]:
    """The corpus's real article pages, else the test fixtures' pages."""
    articles = corpus_dir() / "articles"
    patterns = [
        "scrapinghub_aeb/html/*.html.gz",
        "trafilatura_cache/html/*.gz",
        "readability/*/source.html.gz",
        "goose3/*.html.gz",
    ]
    found = sorted(p for pattern in patterns for p in articles.glob(pattern))
    if found:
        return found
    fixtures = ROOT / "tests" / "fixtures" / "pages"
    return sorted(p for p in fixtures.rglob("*") if p.name.endswith((".html", ".html.gz")))


def read_page(path: Path) -> bytes:
    """A page's bytes (gunzipped when stored gzipped)."""
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


@dataclass(frozen=True)
class Template:
    """A corpus page split where the canonical link and the copy number go."""

    name: str
    title: str
    head: bytes
    body: bytes
    rest: bytes

    def render(self, url: str, copy: int) -> bytes:
        """Copy `copy` of the page, served at `url`."""
        link = b'<link rel="canonical" href="' + url.encode() + b'">'
        return self.head + link + self.body + b"Copy %d. " % copy + self.rest


def template(name: str, page: bytes) -> Template | None:
    """Split a page for rendering; None when it has no <head> or no paragraph to vary."""
    page = _CANONICAL.sub(b"", page)
    head, para = _HEAD.search(page), None
    if head is not None:
        para = _FIRST_P.search(page, head.end())
    if head is None or para is None:
        return None
    found = _TITLE.search(page)
    raw_title = found.group(1).decode("utf-8", "replace") if found else name
    title = " ".join(html.unescape(raw_title).split())[:200] or name
    return Template(
        name, title, page[: head.end()], page[head.end() : para.end()], page[para.end() :]
    )


class Corpus:
    """N unique copies of the templates, spread over feeds of `per_feed` entries."""

    def __init__(self, templates: list[Template], copies: int, per_feed: int) -> None:
        self.templates = templates
        self.copies = copies
        self.per_feed = per_feed
        self.base_url = ""

    @property
    def feeds(self) -> int:
        """How many feeds carry the copies."""
        return -(-self.copies // self.per_feed)

    def page(self, copy: int) -> bytes:
        """The bytes of copy `copy`."""
        return self.templates[copy % len(self.templates)].render(self.url(copy), copy)

    def url(self, copy: int) -> str:
        """Where copy `copy` is served."""
        return f"{self.base_url}/a/{copy}"

    def feed(self, number: int) -> bytes:
        """RSS 2.0 with the entries of feed `number`."""
        first = number * self.per_feed
        items = []
        for copy in range(first, min(first + self.per_feed, self.copies)):
            title = html.escape(self.templates[copy % len(self.templates)].title)
            items.append(
                f"<item><title>{title}</title><link>{self.url(copy)}</link>"
                f'<guid isPermaLink="false">bench-{copy}</guid>'
                "<pubDate>Tue, 22 Apr 2025 09:14:00 GMT</pubDate></item>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Bench feed {number}</title><link>{self.base_url}/</link>"
            f"<description>bench</description>{''.join(items)}</channel></rss>"
        ).encode()

    def feed_urls(self) -> list[str]:
        """Every feed's URL."""
        return [f"{self.base_url}/feed/{n}.xml" for n in range(self.feeds)]


def _handler(corpus: Corpus) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the fetcher reuses its connections

        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            kind, _, rest = self.path.strip("/").partition("/")
            number = rest.removesuffix(".xml")
            if kind == "a" and number.isdigit() and int(number) < corpus.copies:
                self._send(200, "text/html; charset=utf-8", corpus.page(int(number)))
            elif kind == "feed" and number.isdigit() and int(number) < corpus.feeds:
                self._send(200, "application/rss+xml", corpus.feed(int(number)))
            else:
                self._send(404, "text/plain", b"not found")

    return Handler


@contextmanager
def serve(corpus: Corpus) -> Iterator[Corpus]:
    """Serve the corpus on a free port of 127.0.0.1 for the duration."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(corpus))
    server.daemon_threads = True
    corpus.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield corpus
    finally:
        server.shutdown()
        server.server_close()
