"""The feed registry in the database: adding, listing, due feeds and poll results."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from pipeline.models import Feed

# A permanent-looking failure (404, not a feed) weighs more than a passing one (timeout, DNS).
FAILURE_WEIGHTS = {"http-404": 3.0, "http-410": 3.0, "not-a-feed": 3.0, "blocked-address": 3.0}
MAX_BACKOFF_SECONDS = 6 * 3600


@dataclass(frozen=True)
class PollOutcome:
    """What one poll changed in a feed's state."""

    status: int | None
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    title: str | None
    new_entries: int


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def add_feeds(session: Session, urls: list[str], interval_seconds: int) -> list[str]:
    """Register feeds not yet known; return the URLs that were new."""
    known = set(session.scalars(select(Feed.url).where(Feed.url.in_(urls))))
    added = []
    for url in dict.fromkeys(urls):
        if url in known:
            continue
        session.add(
            Feed(url=url, added_at=now(), next_poll_at=now(), interval_seconds=interval_seconds)
        )
        added.append(url)
    return added


def remove_feed(session: Session, url: str) -> bool:
    """Forget a feed; False when it was not registered."""
    result = session.execute(delete(Feed).where(Feed.url == url))
    return bool(getattr(result, "rowcount", 0))


def list_feeds(session: Session) -> list[Feed]:
    """Every registered feed, by URL."""
    return list(session.scalars(select(Feed).order_by(Feed.url)))


def feed_ids(session: Session, urls: list[str] | None = None) -> list[int]:
    """The ids of the given feeds (or of all)."""
    query = select(Feed.id).order_by(Feed.id)
    if urls is not None:
        query = query.where(Feed.url.in_(urls))
    return list(session.scalars(query))


def claim_due(session: Session, limit: int) -> list[int]:
    """Feeds due now, each claimed by moving its next poll forward (two beats never share one)."""
    moment = now()
    due = session.execute(
        select(Feed.id, Feed.interval_seconds, Feed.next_poll_at)
        .where(Feed.next_poll_at <= moment)
        .order_by(Feed.next_poll_at)
        .limit(limit)
    ).all()
    claimed = []
    for feed_id, interval, was in due:
        # Conditional update: only the dispatcher that still sees the old time wins the feed.
        result = session.execute(
            update(Feed)
            .where(Feed.id == feed_id, Feed.next_poll_at == was)
            .values(next_poll_at=moment + timedelta(seconds=interval))
        )
        if getattr(result, "rowcount", 0):
            claimed.append(feed_id)
    return claimed


def record_success(session: Session, feed_id: int, outcome: PollOutcome, interval: int) -> None:
    """Store a successful poll: validators, hash, counts; the failure score resets."""
    feed = session.get_one(Feed, feed_id)
    moment = now()
    feed.last_status = outcome.status
    feed.etag = outcome.etag or feed.etag
    feed.last_modified = outcome.last_modified or feed.last_modified
    feed.content_hash = outcome.content_hash or feed.content_hash
    feed.title = outcome.title or feed.title
    feed.last_polled_at = moment
    feed.last_error = None
    feed.failure_score = 0.0
    feed.entries_seen += outcome.new_entries
    if outcome.new_entries:
        feed.last_new_entry_at = moment
    feed.interval_seconds = interval
    feed.next_poll_at = moment + timedelta(seconds=interval)


def record_failure(session: Session, feed_id: int, reason: str, detail: str) -> None:
    """Store a failed poll and back off: the feed keeps being polled, never dropped."""
    feed = session.get_one(Feed, feed_id)
    moment = now()
    feed.failure_score += FAILURE_WEIGHTS.get(reason, 1.0)
    feed.last_error = f"{reason}: {detail}" if detail else reason
    feed.last_polled_at = moment
    backoff = min(feed.interval_seconds * 2 ** min(feed.failure_score, 10), MAX_BACKOFF_SECONDS)
    feed.next_poll_at = moment + timedelta(seconds=max(feed.interval_seconds, backoff))
