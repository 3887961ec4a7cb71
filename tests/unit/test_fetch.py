"""Tests for pipeline.fetch: the fetch stage turns a feed entry into a FetchedPage or a Drop."""

from datetime import UTC, datetime

import httpx
import pytest

from pipeline.errors import Drop, Retryable
from pipeline.fetch import HTML_ACCEPT, fetch
from pipeline.http import make_client
from pipeline.policy import FetchPolicy
from pipeline.poll import item_id_for
from pipeline.records import FeedEntry, FetchedPage

LINK = "https://news.example.com/world/2024/06/01/story.html"
# The SSRF guard is tested in test_http.py; allowing private networks skips its DNS lookup.
POLICY = FetchPolicy(allow_private_networks=True)
ENTRY = FeedEntry(
    item_id=item_id_for(LINK),
    feed_url="https://news.example.com/rss.xml",
    link=LINK,
    title="Story",
    published_at=datetime(2024, 6, 1, 9, 30, tzinfo=UTC),
)
PAGE = b"<html><head><title>Story</title></head><body><p>Text</p></body></html>"


def run_fetch(handler: httpx.MockTransport, entry: FeedEntry = ENTRY) -> FetchedPage:
    with make_client(POLICY, transport=handler) as client:
        return fetch(entry, client, POLICY)


def serve(content_type: str | None, body: bytes = PAGE) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Accept"] == HTML_ACCEPT
        headers = {"Content-Type": content_type} if content_type else {}
        return httpx.Response(200, headers=headers, content=body)

    return httpx.MockTransport(handler)


def test_fetch_returns_page_with_entry_metadata() -> None:
    before = datetime.now(UTC)
    page = run_fetch(serve("text/html; charset=UTF-8"))
    assert (page.item_id, page.feed_url, page.url, page.final_url) == (
        ENTRY.item_id,
        ENTRY.feed_url,
        LINK,
        LINK,
    )
    assert (page.status, page.body, page.content_type, page.charset) == (
        200,
        PAGE,
        "text/html",
        "utf-8",
    )
    assert (page.entry_title, page.entry_published_at) == (ENTRY.title, ENTRY.published_at)
    assert before <= page.fetched_at <= datetime.now(UTC)


def test_fetch_records_final_url_after_redirect() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("story.html"):
            return httpx.Response(301, headers={"Location": "/world/story-final"})
        return httpx.Response(200, headers={"Content-Type": "text/html"}, content=PAGE)

    page = run_fetch(httpx.MockTransport(handler))
    assert page.url == LINK
    assert page.final_url == "https://news.example.com/world/story-final"


@pytest.mark.parametrize("content_type", ["application/pdf", "image/jpeg", "application/json"])
def test_fetch_drops_pages_that_are_not_html(content_type: str) -> None:
    with pytest.raises(Drop, match="not-html"):
        run_fetch(serve(content_type))


@pytest.mark.parametrize("content_type", ["application/xhtml+xml", "TEXT/HTML", None])
def test_fetch_accepts_xhtml_and_missing_content_type(content_type: str | None) -> None:
    assert run_fetch(serve(content_type)).body == PAGE


def test_fetch_passes_on_drop_and_retryable_from_http() -> None:
    with pytest.raises(Drop, match="http-404"):
        run_fetch(httpx.MockTransport(lambda request: httpx.Response(404)))
    with pytest.raises(Retryable, match="http-503"):
        run_fetch(httpx.MockTransport(lambda request: httpx.Response(503)))


def test_fetch_page_round_trips_through_json() -> None:
    page = run_fetch(serve("text/html"))
    assert FetchedPage.model_validate_json(page.model_dump_json()) == page
