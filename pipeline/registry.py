"""The feed registry in the database: adding, listing, due feeds and poll results."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from pipeline.models import Feed
from pipeline.schedule import (
    CacheHints,
    SchedulePolicy,
    failure_interval,
    failure_weight,
    next_interval,
    parse_history,
    record_new,
)

# A claimed feed whose poll never reports back (message lost, worker killed) is due again
# after this lease; a finished poll sets the real next time.
CLAIM_LEASE_SECONDS = 900


@dataclass(frozen=True)
class PollOutcome:
    """What one poll changed in a feed's state."""

    status: int | None
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    title: str | None
    new_entries: int
    in_document: int = 0
    hints: CacheHints = field(default_factory=CacheHints)
    warning: str | None = None


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


def claim_due(session: Session, limit: int, lease_seconds: int = CLAIM_LEASE_SECONDS) -> list[int]:
    """Feeds due now, each claimed by moving its next poll forward (two beats never share one)."""
    moment = now()
    due = (
        select(Feed.id).where(Feed.next_poll_at <= moment).order_by(Feed.next_poll_at).limit(limit)
    )
    # One conditional UPDATE ... RETURNING: a row another dispatcher moved forward in the
    # meantime no longer matches `next_poll_at <= moment` (PostgreSQL re-checks it after the
    # row lock, SQLite serialises writers), so each due feed is returned to one dispatcher only.
    claimed = session.execute(
        update(Feed)
        .where(Feed.id.in_(due.scalar_subquery()), Feed.next_poll_at <= moment)
        .values(next_poll_at=moment + timedelta(seconds=lease_seconds))
        .returning(Feed.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed.scalars())


def record_success(
    session: Session, feed_id: int, outcome: PollOutcome, policy: SchedulePolicy
) -> None:
    """Store a successful poll: validators, hash, counts, the adapted interval; failures reset."""
    feed = session.get_one(Feed, feed_id)
    moment = now()
    feed.last_status = outcome.status
    feed.etag = outcome.etag
    feed.last_modified = outcome.last_modified
    feed.content_hash = outcome.content_hash or feed.content_hash
    feed.title = outcome.title or feed.title
    feed.last_polled_at = feed.last_success_at = moment
    feed.last_error, feed.last_warning = None, outcome.warning
    feed.failure_score, feed.consecutive_failures = 0.0, 0
    feed.entries_seen += outcome.new_entries
    if outcome.new_entries:
        feed.last_new_entry_at = moment
    feed.recent_new = record_new(feed.recent_new, outcome.new_entries)
    history = parse_history(feed.recent_new)
    feed.interval_seconds = next_interval(
        feed.interval_seconds, history, outcome.in_document, outcome.hints, policy
    )
    feed.next_poll_at = moment + timedelta(seconds=feed.interval_seconds)


def record_failure(
    session: Session,
    feed_id: int,
    failure: tuple[str, str, float | None],
    policy: SchedulePolicy,
) -> None:
    """Store a failed poll (reason, detail, Retry-After) and back off; never dropped."""
    reason, detail, retry_after = failure
    feed = session.get_one(Feed, feed_id)
    moment = now()
    feed.failure_score += failure_weight(reason)
    feed.consecutive_failures += 1
    feed.last_error = f"{reason}: {detail}" if detail else reason
    feed.last_polled_at = moment
    wait = failure_interval(feed.interval_seconds, feed.failure_score, retry_after, policy)
    feed.next_poll_at = moment + timedelta(seconds=wait)
