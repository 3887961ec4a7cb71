"""The feed registry on real databases: due feeds claimed once, failures backed off."""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from pipeline import registry
from pipeline.db import make_engine, session_factory
from pipeline.models import Feed
from pipeline.schedule import CacheHints, SchedulePolicy

POLICY = SchedulePolicy(min_interval=300, max_interval=86_400, failure_max_interval=6 * 3600)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the migrated test database."""
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def test_add_feeds_registers_each_url_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert registry.add_feeds(session, ["http://a/f", "http://a/f", "http://b/f"], 900) == [
            "http://a/f",
            "http://b/f",
        ]
    with sessions.begin() as session:
        assert registry.add_feeds(session, ["http://a/f"], 900) == []
        assert [f.url for f in registry.list_feeds(session)] == ["http://a/f", "http://b/f"]


def test_due_feed_is_claimed_by_only_one_dispatcher(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        registry.add_feeds(session, ["http://a/f"], 900)
    with sessions.begin() as session:
        first = registry.claim_due(session, 10)
    with sessions.begin() as session:
        second = registry.claim_due(session, 10)
    assert len(first) == 1
    assert second == []


def test_failing_feed_backs_off_but_stays_scheduled(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        registry.add_feeds(session, ["http://a/f"], 900)
        feed_id = registry.feed_ids(session)[0]
    for _ in range(3):
        with sessions.begin() as session:
            registry.record_failure(session, feed_id, ("http-404", "not found", None), POLICY)
    with sessions() as session:
        feed = session.get_one(Feed, feed_id)
        assert feed.failure_score == 9.0
        assert feed.last_error == "http-404: not found"
        assert feed.last_polled_at is not None
        wait = feed.next_poll_at - feed.last_polled_at
        assert timedelta(seconds=900) < wait <= timedelta(seconds=POLICY.failure_max_interval)


def test_success_clears_the_failure_and_counts_entries(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        registry.add_feeds(session, ["http://a/f"], 900)
        feed_id = registry.feed_ids(session)[0]
        registry.record_failure(session, feed_id, ("timeout", "", None), POLICY)
    outcome = registry.PollOutcome(200, '"v1"', None, "h", "Feed A", new_entries=4)
    with sessions.begin() as session:
        registry.record_success(session, feed_id, outcome, POLICY)
    with sessions() as session:
        feed = session.get_one(Feed, feed_id)
        assert (feed.failure_score, feed.last_error, feed.entries_seen) == (0.0, None, 4)
        assert (feed.etag, feed.title, feed.last_status) == ('"v1"', "Feed A", 200)
        assert feed.consecutive_failures == 0
        assert feed.last_success_at is not None


def _one_feed(sessions: sessionmaker[Session], interval: int = 900) -> int:
    with sessions.begin() as session:
        registry.add_feeds(session, ["http://a/f"], interval)
        return registry.feed_ids(session)[0]


def _wait(sessions: sessionmaker[Session], feed_id: int) -> float:
    with sessions() as session:
        feed = session.get_one(Feed, feed_id)
        assert feed.last_polled_at is not None
        return (feed.next_poll_at - feed.last_polled_at).total_seconds()


def _ok(new: int, in_document: int = 20, hints: CacheHints | None = None) -> registry.PollOutcome:
    return registry.PollOutcome(200, None, None, "h", None, new, in_document, hints or CacheHints())


def test_claimed_feed_is_not_due_again_until_its_lease_ends(
    sessions: sessionmaker[Session],
) -> None:
    feed_id = _one_feed(sessions)
    with sessions.begin() as session:
        assert registry.claim_due(session, 10, lease_seconds=600) == [feed_id]
    with sessions() as session:
        feed = session.get_one(Feed, feed_id)
        due = feed.next_poll_at.replace(tzinfo=UTC)  # SQLite gives UTC back without its zone
        assert due > registry.now() + timedelta(seconds=590)


def test_two_dispatchers_claiming_at_once_never_share_a_feed(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        registry.add_feeds(session, [f"http://a/{n}" for n in range(200)], 900)
    barrier = threading.Barrier(2)

    def beat() -> list[int]:
        barrier.wait()
        with sessions.begin() as session:
            return registry.claim_due(session, 150)

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: beat(), range(2))
    assert not set(first) & set(second)
    # A dispatcher that lost the race for its batch gets the rest on its next claim.
    with sessions.begin() as session:
        rest = registry.claim_due(session, 500)
    assert sorted([*first, *second, *rest]) == list(range(1, 201))


def test_quiet_feed_is_polled_less_often_within_the_bounds(sessions: sessionmaker[Session]) -> None:
    feed_id = _one_feed(sessions)
    for _ in range(30):
        with sessions.begin() as session:
            registry.record_success(session, feed_id, _ok(0), POLICY)
    assert _wait(sessions, feed_id) == POLICY.max_interval


def test_busy_feed_is_polled_more_often_down_to_the_minimum(
    sessions: sessionmaker[Session],
) -> None:
    feed_id = _one_feed(sessions)
    for _ in range(10):
        with sessions.begin() as session:
            registry.record_success(session, feed_id, _ok(15), POLICY)
    assert _wait(sessions, feed_id) == POLICY.min_interval
    with sessions() as session:
        assert session.get_one(Feed, feed_id).recent_new == ",".join(["15"] * 8)


def test_publisher_ttl_keeps_a_busy_feed_from_being_polled_sooner(
    sessions: sessionmaker[Session],
) -> None:
    feed_id = _one_feed(sessions)
    for _ in range(10):
        with sessions.begin() as session:
            registry.record_success(session, feed_id, _ok(15, hints=CacheHints(ttl=3600)), POLICY)
    assert _wait(sessions, feed_id) == 3600


def test_retry_after_of_a_failure_is_honoured(sessions: sessionmaker[Session]) -> None:
    feed_id = _one_feed(sessions, interval=300)
    with sessions.begin() as session:
        registry.record_failure(session, feed_id, ("http-429", "", 7200.0), POLICY)
    assert _wait(sessions, feed_id) == 7200


def test_a_404_backs_off_more_than_a_timeout(sessions: sessionmaker[Session]) -> None:
    gone, slow = _one_feed(sessions), 0
    with sessions.begin() as session:
        registry.add_feeds(session, ["http://b/f"], 900)
        slow = registry.feed_ids(session, ["http://b/f"])[0]
        registry.record_failure(session, gone, ("http-404", "", None), POLICY)
        registry.record_failure(session, slow, ("timeout", "", None), POLICY)
    assert _wait(sessions, gone) > _wait(sessions, slow)
    with sessions() as session:
        assert session.get_one(Feed, gone).consecutive_failures == 1
