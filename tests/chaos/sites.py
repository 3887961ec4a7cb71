"""A synthetic news site for the fault tests: many distinct articles, and poison on request."""

import contextlib
import random
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WORDS = [
    "minister",
    "parliament",
    "election",
    "budget",
    "harbour",
    "railway",
    "drought",
    "vaccine",
    "court",
    "strike",
    "market",
    "export",
    "wheat",
    "copper",
    "river",
    "border",
    "treaty",
    "summit",
    "council",
    "mayor",
    "union",
    "protest",
    "airline",
    "bank",
    "reform",
    "inquiry",
    "festival",
    "museum",
    "league",
    "coach",
    "storm",
    "flood",
    "wildfire",
    "satellite",
    "research",
]

# The poison pages: path -> (content type, body). An XML bomb is served as a feed.
XML_BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']>\n<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title>'
    b"<link>http://127.0.0.1/bomb</link></item></channel></rss>"
)


def article_html(index: int) -> bytes:
    """An article page with its own title and a few paragraphs of its own text."""
    rng = random.Random(index)
    paras = [" ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + "." for _ in range(4)]
    body = "".join(f"<p>{p}</p>" for p in paras)
    title = f"Report {index}: {' '.join(rng.choice(WORDS) for _ in range(5))}"
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"{body}</article></body></html>"
    ).encode()


class NewsSite:
    """Feeds /feed-<k>.xml of `per_feed` articles each, pages /news/<i>, plus poison pages."""

    def __init__(
        self,
        feeds: int,
        per_feed: int,
        poison: dict[str, tuple[str, bytes]],
        slow_first: dict[str, float] | None = None,
    ) -> None:
        self.feeds, self.per_feed, self.poison = feeds, per_feed, poison
        # Paths whose first request waits this many seconds before the answer.
        self.slow_first = dict(slow_first or {})
        self.hits: dict[str, int] = {}
        self.served: dict[str, int] = {}  # answers sent in full, by path
        self.base_url = ""

    def article_urls(self) -> list[str]:
        """Every article the feeds list (the articles expected in the database)."""
        return [f"{self.base_url}/news/{i}" for i in range(self.feeds * self.per_feed)]

    def feed_urls(self) -> list[str]:
        """The feeds, one URL each."""
        return [f"{self.base_url}/feed-{k}.xml" for k in range(self.feeds)]

    def feed(self, k: int) -> bytes:
        """An RSS feed of its articles, plus every poison page on feed 0."""
        ids = range(k * self.per_feed, (k + 1) * self.per_feed)
        links = [f"/news/{i}" for i in ids]
        if k == 0:
            links += [p for p in self.poison if p.startswith("/news/")]
        items = "".join(
            f"<item><title>Item {link}</title><link>{self.base_url}{link}</link></item>"
            for link in links
        )
        channel = f"<channel><title>Feed {k}</title>{items}</channel>"
        return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()

    def response(self, path: str) -> tuple[int, str, bytes]:
        """Status, content type and body for a path."""
        self.hits[path] = self.hits.get(path, 0) + 1
        if path in self.slow_first and self.hits[path] == 1:
            time.sleep(self.slow_first[path])
        if path in self.poison:
            return (200, *self.poison[path])
        if path.startswith("/feed-") and path.endswith(".xml"):
            return 200, "application/rss+xml", self.feed(int(path[6:-4]))
        if path.startswith("/news/") and path[6:].isdigit():
            return 200, "text/html; charset=utf-8", article_html(int(path[6:]))
        return 404, "text/html", b"<html><body>Not found</body></html>"


def _handler(site: NewsSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            status, content_type, body = site.response(self.path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(body)
                site.served[self.path] = site.served.get(self.path, 0) + 1

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    return Handler


@contextlib.contextmanager
def serve(site: NewsSite) -> Iterator[NewsSite]:
    """Serve the site on a free port of 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
