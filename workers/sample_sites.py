"""Local news sites for the demo and the tests: feeds and pages served on loopback addresses."""

import contextlib
import gzip
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import yaml


@dataclass(frozen=True)
class Page:
    """One article page of a site."""

    slug: str
    file: Path
    title: str
    published: datetime
    content_type: str = "text/html; charset=utf-8"


@dataclass
class Site:
    """A news site: a feed at /feed.xml and its pages under /news/."""

    name: str
    host: str
    pages: list[Page]
    extra_links: list[str] = field(default_factory=list)
    port: int = 0
    base_url: str = ""

    def feed(self) -> bytes:
        """The site's RSS 2.0 feed, newest first."""
        rss = Element("rss", version="2.0")
        channel = SubElement(rss, "channel")
        SubElement(channel, "title").text = self.name
        SubElement(channel, "link").text = self.base_url + "/"
        SubElement(channel, "description").text = f"Latest news from {self.name}"
        for page in sorted(self.pages, key=lambda p: p.published, reverse=True):
            item = SubElement(channel, "item")
            SubElement(item, "title").text = page.title
            SubElement(item, "link").text = f"{self.base_url}/news/{page.slug}"
            SubElement(item, "guid", isPermaLink="false").text = f"{self.name}:{page.slug}"
            SubElement(item, "pubDate").text = format_datetime(page.published)
        for link in self.extra_links:
            item = SubElement(channel, "item")
            SubElement(item, "title").text = f"Broken link {link}"
            SubElement(item, "link").text = f"{self.base_url}{link}"
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(rss)


def load_sites(manifest: Path) -> list[Site]:
    """The sites of a YAML manifest (paths relative to the manifest's folder)."""
    data: dict[str, Any] = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    root = manifest.parent
    sites = []
    for raw in data["sites"]:
        pages = [
            Page(slug=p["slug"], file=root / p["file"], title=p["title"],
                 published=datetime.fromisoformat(p["published"]),
                 content_type=p.get("content_type", "text/html; charset=utf-8"))
            for p in raw["pages"]
        ]  # fmt: skip
        sites.append(
            Site(raw["name"], raw["host"], pages, raw.get("extra_links", []), raw.get("port", 0))
        )
    return sites


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that answers whole bodies and logs nothing."""

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the pipeline's own logs say what was fetched."""


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    pages = {f"/news/{p.slug}": p for p in site.pages}

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            if self.path == "/feed.xml":
                self._send(200, "application/rss+xml; charset=utf-8", site.feed())
            elif self.path in pages:
                page = pages[self.path]
                self._send(200, page.content_type, _read(page.file))
            elif self.path.startswith("/unavailable/"):
                # A server in trouble: every attempt gets a 503, so retries run out.
                self._send(503, "text/html", b"<html><body>Try later</body></html>")
            else:
                self._send(404, "text/html", b"<html><body><h1>Not found</h1></body></html>")

    return Handler


@contextlib.contextmanager
def serve(sites: list[Site]) -> Iterator[list[Site]]:
    """Serve each site on its host and port (a free port when that one is taken)."""
    servers = []
    try:
        for site in sites:
            try:
                server = ThreadingHTTPServer((site.host, site.port), _handler(site))
            except OSError:
                server = ThreadingHTTPServer((site.host, 0), _handler(site))
            site.base_url = f"http://{site.host}:{server.server_address[1]}"
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
        yield sites
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
