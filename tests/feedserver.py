"""A local HTTP server of good and broken feeds for the polling tests (loopback only)."""

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + b"x" * 10_000 + b'">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><rss version="2.0"><channel>'
    b"<title>&b;&b;&b;&b;&b;&b;&b;&b;</title></channel></rss>"
)
HTML_ERROR = b"<html><head><title>503</title></head><body><h1>Service down</h1></body></html>"
# Latin-1 bytes under a header and a prolog that both swear UTF-8.
WRONG_ENCODING = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Café</title>'
    "<item><title>São Paulo élection</title><link>http://127.0.0.1/news/sp</link>"
    "<guid>sp-1</guid></item></channel></rss>"
).encode("latin-1")
ETAG = '"v1"'


class FeedHandler(BaseHTTPRequestHandler):
    """Each path is one kind of feed, good or broken."""

    protocol_version = "HTTP/1.1"
    hits: dict[str, int]
    peers: set[int]

    def do_GET(self) -> None:
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        self.peers.add(self.client_address[1])  # one client port per TCP connection
        name = self.path.strip("/").replace("-", "_").replace(".", "_")
        route = getattr(self, "route_" + name, None)
        if self.path.startswith(("/news/", "/private/")):
            self._send(200, "text/html; charset=utf-8", b"<html><body><p>A page.</p></body></html>")
        elif route is None:
            self._send(404, "text/html", b"<html><body>Not found</body></html>")
        else:
            route()

    def route_robots_txt(self) -> None:
        self._send(200, "text/plain", b"User-agent: *\nDisallow: /private/\n")

    def route_good(self) -> None:
        if self.headers.get("If-None-Match") == ETAG:
            self._send(304, None, b"", {"ETag": ETAG, "Cache-Control": "max-age=1200"})
        else:
            self._send(200, "application/atom+xml", (FEEDS / "heise.atom").read_bytes(),
                       {"ETag": ETAG, "Cache-Control": "max-age=1200"})  # fmt: skip

    def route_latin1(self) -> None:
        self._send(200, "application/rss+xml", (FEEDS / "encoding.rss").read_bytes())

    def route_false_etag(self) -> None:
        # Ignores If-None-Match and sends a new ETag with the same bytes every time.
        body = (FEEDS / "rss_2.0_bbc.xml").read_bytes()
        self._send(200, "application/rss+xml", body, {"ETag": f'"{time.monotonic_ns()}"'})

    def route_truncated(self) -> None:
        self._send(200, "application/rss+xml", (FEEDS / "uolNoticias_truncated.rss").read_bytes())

    def route_html(self) -> None:
        self._send(200, "text/html; charset=utf-8", HTML_ERROR)

    def route_wrong_encoding(self) -> None:
        self._send(200, "application/rss+xml; charset=utf-8", WRONG_ENCODING)

    def route_bomb(self) -> None:
        self._send(200, "application/rss+xml", BOMB)

    def route_loop(self) -> None:
        self._send(302, None, b"", {"Location": "/loop-b"})

    def route_loop_b(self) -> None:
        self._send(302, None, b"", {"Location": "/loop"})

    def route_gone(self) -> None:
        self._send(410, "text/plain", b"gone")

    def route_busy(self) -> None:
        self._send(429, "text/plain", b"slow down", {"Retry-After": "3600"})

    def route_huge(self) -> None:
        """50 MB of feed, streamed without a Content-Length (the cap must stop it mid-way)."""
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"<item><title>" + b"x" * 65_000 + b"</title></item>"
        head = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>'
        with contextlib.suppress(OSError):  # the client hangs up once over its cap
            for part in [head] + [chunk] * (50_000_000 // len(chunk)):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")

    def route_silent(self) -> None:
        """Accepts the request and never answers (until the test server stops)."""
        self.server_stop.wait(60)  # type: ignore[attr-defined]

    def _send(
        self, status: int, ctype: str | None, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up on purpose (size cap, timeouts) are part of the tests."""


class FeedServer:
    """The running server: its base URL and the hit count per path."""

    def __init__(self, base_url: str, hits: dict[str, int], peers: set[int]) -> None:
        self.base_url = base_url
        self.hits = hits
        self.peers = peers

    def url(self, path: str) -> str:
        """The absolute URL of a path."""
        return self.base_url + path


@contextlib.contextmanager
def feed_server(host: str = "127.0.0.1") -> Iterator[FeedServer]:
    """Serve the feeds on a free port of `host` for the duration."""
    hits: dict[str, int] = {}
    peers: set[int] = set()
    stop = threading.Event()
    attrs = {"hits": hits, "peers": peers, "server_stop": stop}
    handler = type("Handler", (FeedHandler,), attrs)
    server = _QuietServer((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FeedServer(f"http://{host}:{server.server_address[1]}", hits, peers)
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
