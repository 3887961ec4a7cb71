"""The feed registry in the database: adding, listing, due feeds and poll results."""

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam, delete, func, select, update
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
# Poll writes touch no loaded ORM objects: skip matching the session's identity map.
_PLAIN = {"synchronize_session": False}


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


def _param(name: str) -> BindParameter[Any]:
    return bindparam(name)


@dataclass(frozen=True)
class PollState:
    """The columns one poll reads and adapts: one SELECT, not an ORM object per poll."""

    id: int
    url: str
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    interval_seconds: int
    recent_new: str | None
    failure_score: float


# Built once: a statement object memoises its cache key, so each poll skips that work (about a
# millisecond of CPU per poll for these wide statements).
_LOAD = select(*[getattr(Feed, f.name) for f in fields(PollState)]).where(
    Feed.id == _param("feed_id")
)
_SUCCESS = (
    update(Feed)
    .where(Feed.id == _param("feed_id"))
    .values(
        last_status=_param("last_status"),
        etag=_param("etag"),
        last_modified=_param("last_modified"),
        content_hash=func.coalesce(_param("content_hash"), Feed.content_hash),
        title=func.coalesce(_param("title"), Feed.title),
        last_polled_at=_param("moment"),
        last_success_at=_param("moment"),
        last_error=None,
        last_warning=_param("last_warning"),
        failure_score=0.0,
        consecutive_failures=0,
        entries_seen=Feed.entries_seen + _param("new_entries"),
        last_new_entry_at=func.coalesce(_param("last_new"), Feed.last_new_entry_at),
        recent_new=_param("recent_new"),
        interval_seconds=_param("interval"),
        next_poll_at=_param("next_poll_at"),
    )
)


def load_state(session: Session, feed_id: int) -> PollState | None:
    """A feed's polling state, or None when it is not registered (any more)."""
    row = session.execute(_LOAD, {"feed_id": feed_id}).one_or_none()
    return PollState(*row) if row is not None else None


def load_states(session: Session, feed_ids: list[int]) -> dict[int, PollState]:
    """The polling states of several feeds in one query (a poll batch), by feed id."""
    columns = [getattr(Feed, f.name) for f in fields(PollState)]
    rows = session.execute(select(*columns).where(Feed.id.in_(feed_ids)))
    return {row[0]: PollState(*row) for row in rows}


def _state(session: Session, feed: "int | PollState") -> PollState:
    state = load_state(session, feed) if isinstance(feed, int) else feed
    if state is None:
        raise LookupError(f"feed {feed} is not registered")
    return state


def record_success(
    session: Session, feed: "int | PollState", outcome: PollOutcome, policy: SchedulePolicy
) -> None:
    """Store a successful poll: validators, hash, counts, the adapted interval; failures reset."""
    state, moment = _state(session, feed), now()
    recent = record_new(state.recent_new, outcome.new_entries)
    interval = next_interval(state.interval_seconds, parse_history(recent), outcome.in_document,
                             outcome.hints, policy)  # fmt: skip
    params = {
        "feed_id": state.id, "last_status": outcome.status, "etag": outcome.etag,
        "last_modified": outcome.last_modified, "content_hash": outcome.content_hash,
        "title": outcome.title[:512] if outcome.title else None, "moment": moment,
        "last_warning": outcome.warning, "new_entries": outcome.new_entries,
        "last_new": moment if outcome.new_entries else None, "recent_new": recent,
        "interval": interval, "next_poll_at": moment + timedelta(seconds=interval),
    }  # fmt: skip
    session.execute(_SUCCESS, params, execution_options=_PLAIN)


def record_failure(
    session: Session,
    feed: "int | PollState",
    failure: tuple[str, str, float | None],
    policy: SchedulePolicy,
) -> None:
    """Store a failed poll (reason, detail, Retry-After) and back off; never dropped."""
    reason, detail, retry_after = failure
    state, moment = _state(session, feed), now()
    score = state.failure_score + failure_weight(reason)
    wait = failure_interval(state.interval_seconds, score, retry_after, policy)
    session.execute(
        update(Feed)
        .where(Feed.id == state.id)
        .values(
            failure_score=score,
            consecutive_failures=Feed.consecutive_failures + 1,
            last_error=(f"{reason}: {detail}" if detail else reason)[:4000],
            last_polled_at=moment,
            next_poll_at=moment + timedelta(seconds=wait),
        ),
        execution_options=_PLAIN,
    )
