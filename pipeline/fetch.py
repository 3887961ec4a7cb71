"""The fetch stage: download the article page a feed entry links to."""

from datetime import UTC, datetime

import httpx

from pipeline.errors import Drop
from pipeline.http import BeforeSend, fetch_bytes
from pipeline.policy import FetchPolicy
from pipeline.records import FeedEntry, FetchedPage

# */* last: some sites send pages as text/plain or octet-stream to a picky Accept and 406 otherwise;
# the content-type check below still decides what we keep.
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def fetch(
    entry: FeedEntry,
    client: httpx.Client,
    policy: FetchPolicy,
    before_send: BeforeSend | None = None,
) -> FetchedPage:
    """Fetch the page behind a feed entry, or drop it (not HTML, too large, refused...)."""
    fetched = fetch_bytes(client, entry.link, policy, accept=HTML_ACCEPT, before_send=before_send)
    # A missing content type is left to the cleaner to judge; a declared non-HTML one
    # (PDF, image, JSON) is not an article page.
    if fetched.content_type is not None and fetched.content_type not in HTML_TYPES:
        raise Drop("not-html", f"{fetched.content_type} at {fetched.final_url}")
    return FetchedPage(
        item_id=entry.item_id,
        feed_url=entry.feed_url,
        url=entry.link,
        final_url=fetched.final_url,
        status=fetched.status,
        content_type=fetched.content_type,
        charset=fetched.charset,
        body=fetched.body,
        fetched_at=datetime.now(UTC),
        entry_title=entry.title,
        entry_published_at=entry.published_at,
    )
