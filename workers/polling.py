"""The poll task's body: lock the feed, poll it, hand new entries on, record the result."""

import uuid
from collections.abc import Callable

from celery import Celery

from pipeline import registry
from pipeline.errors import Drop, Retryable
from pipeline.poll import PollResult, poll
from pipeline.records import FeedEntry
from pipeline.store import database_errors_are_transient
from workers.redis_state import FeedLock, SeenEntries
from workers.resources import resources
from workers.send import poll_key
from workers.stats import Stats

# Feeds polled by one task: the per-task cost of the broker (message, ack, events) is shared by
# the batch, while one slow feed delays at most batch - 1 others (WIRE_POLL_BATCH_SIZE).
POLL_BATCH_TASK = "wire.poll_batch"


def _load(feed_id: int) -> registry.PollState:
    with resources().sessions() as session:
        state = registry.load_state(session, feed_id)
    if state is None:
        raise Drop("unknown-feed", str(feed_id))
    return state


def _outcome(result: PollResult, new_entries: int) -> registry.PollOutcome:
    feed = result.feed
    return registry.PollOutcome(
        status=result.status,
        etag=result.etag,
        last_modified=result.last_modified,
        content_hash=result.content_hash,
        title=feed.title if feed else None,
        new_entries=new_entries,
        in_document=len(feed.entries) if feed else 0,
        hints=result.hints,
        # feedparser's bozo: the entries were recovered, but the document is broken; shown, not
        # counted as a failure (a truncated download or a wrong declared charset).
        warning=f"bozo: {feed.bozo_reason}"[:2000] if feed and feed.bozo else None,
    )


def batch_states(feed_ids: list[int]) -> dict[int, registry.PollState]:
    """The states of a poll batch, read in one query before its feeds are polled in turn.

    Read before each feed's lock is taken: only a second poll of the same feed finishing in
    between (a double dispatch, which the claim lease makes rare) could make one stale, and the
    cost would be one unconditional GET, caught by the body hash and the seen entries.
    With the database away there are none: each feed's own read then fails with its outcome,
    where failing here would leave every feed of the batch entered and never counted.
    """
    try:
        with database_errors_are_transient(), resources().sessions() as session:
            return registry.load_states(session, feed_ids)
    except Retryable:
        return {}


def poll_feed(
    feed_id: int,
    owner: str,
    forward: Callable[[FeedEntry], None],
    state: registry.PollState | None = None,
) -> int:
    """Poll one feed under its fleet-wide lock; return how many new entries went on."""
    res = resources()
    lock = FeedLock(res.redis)
    if not lock.acquire(feed_id, owner, ttl_seconds=int(res.settings.total_timeout * 4)):
        raise Drop("feed-locked", f"feed {feed_id} is being polled elsewhere")
    try:
        state = state or _load(feed_id)
        try:
            result = poll(res.http, state.url, res.settings.fetch_policy(), etag=state.etag,
                          last_modified=state.last_modified,
                          content_hash=state.content_hash)  # fmt: skip
        except (Drop, Retryable) as exc:
            retry_after = exc.retry_after if isinstance(exc, Retryable) else None
            with res.sessions.begin() as session:
                failure = (exc.reason, exc.detail, retry_after)
                registry.record_failure(session, state, failure, res.settings.schedule_policy())
            raise
        fresh = _hand_on(result, forward)
        with res.sessions.begin() as session:
            outcome = _outcome(result, fresh)
            registry.record_success(session, state, outcome, res.settings.schedule_policy())
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


def send_poll_batch(app: Celery, feed_ids: list[int]) -> None:
    """Send due feeds (ids only) to the poll queue as one task; each is counted as entered."""
    if not feed_ids:
        return
    poll_id = uuid.uuid4().hex[:12]
    stats = Stats(resources().redis)
    for feed_id in feed_ids:
        stats.entered("poll", poll_key(feed_id, poll_id), None)
    app.send_task(POLL_BATCH_TASK, args=[feed_ids, poll_id], queue="poll")
