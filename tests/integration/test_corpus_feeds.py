"""The real feeds of the shared corpus, served locally and polled: every well-formed one yields
the entries feedparser reads directly; every broken one is flagged with feedparser's reason."""

import contextlib
import io
import os
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import feedparser
import pytest

from pipeline.http import make_client
from pipeline.policy import FetchPolicy
from pipeline.poll import PollResult, poll

CORPUS = Path(os.environ.get("WIRE_CORPUS_DIR", "/work/shared/corpus")) / "feeds"
FILES = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".xml", ".rss", ".atom"))
POLICY = FetchPolicy(allow_private_networks=True)
CONTENT_TYPE = "application/rss+xml"  # no charset: the document's own declaration decides
pytestmark = pytest.mark.skipif(
    not FILES, reason=f"the shared feed corpus is absent ({CORPUS}); set WIRE_CORPUS_DIR"
)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The corpus folder served on a free port of 127.0.0.1."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = (CORPUS / self.path.lstrip("/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        with contextlib.suppress(OSError):
            server.shutdown()
        server.server_close()


def _direct(path: Path, url: str) -> Any:
    headers = {"content-type": CONTENT_TYPE, "content-location": url}
    return feedparser.parse(io.BytesIO(path.read_bytes()), response_headers=headers)


def _poll(url: str) -> PollResult:
    with make_client(POLICY) as client:
        return poll(client, url, POLICY)


def _expected(raw: Any, url: str) -> tuple[str | None, str, str | None]:
    link = urljoin(url, (raw.get("link") or raw["links"][0]["href"]).strip())
    title = raw.get("title")
    plain = title and "html" not in raw.get("title_detail", {}).get("type", "")
    return (raw.get("id"), link, re.sub(r"\s+", " ", title).strip() if plain else None)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_feed_yields_what_feedparser_reads(path: Path, base_url: str) -> None:
    url = base_url + str(path.relative_to(CORPUS))
    direct = _direct(path, url)
    result = _poll(url)
    assert result.feed is not None
    got = [(e.guid, e.link, e.title) for e in result.feed.entries]
    want = [_expected(raw, url) for raw in direct.entries]
    assert [g[:2] for g in got] == [w[:2] for w in want]
    assert [g[2] for g, w in zip(got, want, strict=True) if w[2]] == [w[2] for w in want if w[2]]
    if direct.bozo:  # broken XML: recovered entries, and the reason is kept for the registry
        assert result.feed.bozo
        assert type(direct.bozo_exception).__name__ in (result.feed.bozo_reason or "")
    else:
        assert not result.feed.bozo
