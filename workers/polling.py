"""The poll task's body: lock the feed, poll it, hand new entries on, record the result."""

from collections.abc import Callable

from pipeline import registry
from pipeline.errors import Drop, Retryable
from pipeline.models import Feed
from pipeline.poll import PollResult, poll
from pipeline.records import FeedEntry
from workers.redis_state import FeedLock, SeenEntries
from workers.resources import resources


def _load(feed_id: int) -> tuple[str, str | None, str | None, int]:
    with resources().sessions() as session:
        feed = session.get(Feed, feed_id)
        if feed is None:
            raise Drop("unknown-feed", str(feed_id))
        return feed.url, feed.etag, feed.last_modified, feed.interval_seconds


def _outcome(result: PollResult, new_entries: int) -> registry.PollOutcome:
    return registry.PollOutcome(
        status=result.status,
        etag=result.etag,
        last_modified=result.last_modified,
        content_hash=result.content_hash,
        title=result.feed.title if result.feed else None,
        new_entries=new_entries,
    )


def poll_feed(feed_id: int, owner: str, forward: Callable[[FeedEntry], None]) -> int:
    """Poll one feed under its fleet-wide lock; return how many new entries went on."""
    res = resources()
    lock = FeedLock(res.redis)
    if not lock.acquire(feed_id, owner, ttl_seconds=int(res.settings.total_timeout * 4)):
        raise Drop("feed-locked", f"feed {feed_id} is being polled elsewhere")
    try:
        url, etag, last_modified, interval = _load(feed_id)
        try:
            result = poll(res.http, url, res.settings.fetch_policy(), etag=etag,
                          last_modified=last_modified)  # fmt: skip
        except (Drop, Retryable) as exc:
            with res.sessions.begin() as session:
                registry.record_failure(session, feed_id, exc.reason, exc.detail)
            raise
        fresh = _hand_on(result, forward)
        with res.sessions.begin() as session:
            registry.record_success(session, feed_id, _outcome(result, fresh), interval)
        return fresh
    finally:
        lock.release(feed_id, owner)


def _hand_on(result: PollResult, forward: Callable[[FeedEntry], None]) -> int:
    """Save and forward the entries never seen before, then remember them as seen."""
    if result.not_modified or result.feed is None:
        return 0
    res = resources()
    seen = SeenEntries(res.redis, res.settings.dedup_policy().retention_seconds)
    fresh = seen.new_entries(result.feed.entries)
    for entry in fresh:
        res.items.save(entry)
        forward(entry)
    # Marked only after sending: a crash in between re-sends, and later stages are idempotent.
    seen.mark(fresh)
    return len(fresh)
