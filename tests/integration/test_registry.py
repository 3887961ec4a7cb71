"""The feed registry on real databases: due feeds claimed once, failures backed off."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from pipeline import registry
from pipeline.db import make_engine, session_factory
from pipeline.models import Feed


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
            registry.record_failure(session, feed_id, "http-404", "not found")
    with sessions() as session:
        feed = session.get_one(Feed, feed_id)
        assert feed.failure_score == 9.0
        assert feed.last_error == "http-404: not found"
        assert feed.last_polled_at is not None
        wait = feed.next_poll_at - feed.last_polled_at
        assert timedelta(seconds=900) < wait <= timedelta(seconds=registry.MAX_BACKOFF_SECONDS)


def test_success_clears_the_failure_and_counts_entries(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        registry.add_feeds(session, ["http://a/f"], 900)
        feed_id = registry.feed_ids(session)[0]
        registry.record_failure(session, feed_id, "timeout", "")
    outcome = registry.PollOutcome(200, '"v1"', None, "h", "Feed A", new_entries=4)
    with sessions.begin() as session:
        registry.record_success(session, feed_id, outcome, 900)
    with sessions() as session:
        feed = session.get_one(Feed, feed_id)
        assert (feed.failure_score, feed.last_error, feed.entries_seen) == (0.0, None, 4)
        assert (feed.etag, feed.title, feed.last_status) == ('"v1"', "Feed A", 200)
