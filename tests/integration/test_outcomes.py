"""Every item that enters a stage leaves it with an outcome, even while the database is away."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery.exceptions import Retry
from kombu.exceptions import OperationalError as BrokerUnavailable
from sqlalchemy import exc, select

from pipeline.db import make_engine, session_factory
from pipeline.models import DeadLetter
from pipeline.records import Article, Classification, DedupVerdict
from tests.chaos.harness import free_port
from tests.fleet_env import fleet_env  # noqa: F401 - a fixture
from workers import tasks
from workers.base import StageTask
from workers.resources import resources
from workers.send import poll_key
from workers.stats import Stats

pytestmark = pytest.mark.usefixtures("fleet_env", "redis_client")
RUN = "run-outcomes"
ITEM = "a1"


@pytest.fixture
def database_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """The workers' database refuses every connection until the returned call brings it back."""
    res = resources()
    up = res.sessions
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/wire")
    monkeypatch.setattr(res, "sessions", session_factory(engine))
    yield lambda: monkeypatch.setattr(res, "sessions", up)
    engine.dispose()


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Messages the store task sends (its retries), kept instead of published."""
    messages: list[dict[str, Any]] = []
    monkeypatch.setattr(tasks.store_task, "apply_async", lambda *a, **kw: messages.append(kw))
    return messages


def _run(task: StageTask, *args: Any, retries: int = 0) -> None:
    """Run a task's body as a worker does: a request that retries by sending a message."""
    task.push_request(id="task-1", args=list(args), kwargs={}, retries=retries,
                      called_directly=False, delivery_info={})  # fmt: skip
    try:
        task.run(*args)
    finally:
        task.pop_request()


def _store_item() -> None:
    """The store stage's inputs of one item, and its entry into the stage."""
    res = resources()
    url = f"http://127.0.0.1/news/{ITEM}"
    res.items.save(Article(item_id=ITEM, url=url, canonical_url=url, title="Kremlin says",
                           text="The Kremlin said on Monday ...", word_count=6))  # fmt: skip
    res.items.save_as(ITEM, DedupVerdict(story_id="s1", duplicate_of=None, text_hash="h" * 64))
    res.items.save_as(ITEM, Classification(model="test-1"))
    Stats(res.redis).entered("store", ITEM, RUN)


def _dead_letters() -> list[tuple[str, str]]:
    with resources().sessions() as session:
        return [(d.stage, d.reason) for d in session.scalars(select(DeadLetter))]


def test_a_poll_while_the_database_is_away_fails_with_its_outcome(
    database_down: Callable[[], None],
) -> None:
    stats = Stats(resources().redis)
    stats.entered("poll", poll_key(1, "p1"), RUN)
    _run(tasks.poll_task, 1, "p1", RUN)
    counts = stats.read(RUN)
    assert counts.get("poll", "failed") == 1
    assert counts.in_flight() == 0
    assert stats.reasons(RUN) == {"poll:failed:database-unavailable": 1}


def test_every_feed_of_a_poll_batch_gets_its_outcome_while_the_database_is_away(
    database_down: Callable[[], None],
) -> None:
    stats = Stats(resources().redis)
    for feed_id in (1, 2):
        stats.entered("poll", poll_key(feed_id, "b1"), None)
    _run(tasks.poll_batch_task, [1, 2], "b1")
    assert stats.read().get("poll", "failed") == 2
    assert stats.read().in_flight() == 0


def test_a_bug_whose_dead_letter_cannot_be_written_comes_back_later(
    database_down: Callable[[], None], sent: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> None:
        raise exc.ResourceClosedError("This Connection is closed")

    monkeypatch.setattr(tasks, "store_committed", broken)
    _store_item()
    with pytest.raises(Retry):
        _run(tasks.store_task, ITEM, RUN)
    assert len(sent) == 1
    assert sent[0]["countdown"] > 0
    assert Stats(resources().redis).read(RUN).in_flight() == 1  # no outcome without its row
    database_down()  # the database is back: the rerun writes the dead letter, then counts
    with pytest.raises(exc.ResourceClosedError):
        _run(tasks.store_task, ITEM, RUN, retries=1)
    assert [stage for stage, _ in _dead_letters()] == ["store"]
    counts = Stats(resources().redis).read(RUN)
    assert (counts.get("store", "error"), counts.in_flight()) == (1, 0)


def test_a_store_out_of_retries_while_the_database_is_away_is_stored_once_it_is_back(
    database_down: Callable[[], None], sent: list[dict[str, Any]]
) -> None:
    _store_item()
    limit = resources().settings.store_retry_max
    with pytest.raises(Retry):  # out of retries, but its dead letter cannot be written
        _run(tasks.store_task, ITEM, RUN, retries=limit)
    assert len(sent) == 1
    assert Stats(resources().redis).read(RUN).in_flight() == 1
    database_down()
    _run(tasks.store_task, ITEM, RUN, retries=limit + 1)
    counts = Stats(resources().redis).read(RUN)
    assert (counts.get("store", "out"), counts.in_flight()) == (1, 0)
    assert _dead_letters() == []


def test_a_retry_that_cannot_be_sent_puts_the_message_back(
    database_down: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broker_away(*_: Any, **__: Any) -> None:
        raise BrokerUnavailable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.store_task, "apply_async", broker_away)
    _store_item()
    # Celery turns a failed retry send into Reject(requeue=False), which drops the message and
    # the item with it. The broker's error goes up instead: the task requeues the message.
    with pytest.raises(BrokerUnavailable):
        _run(tasks.store_task, ITEM, RUN)
    assert Stats(resources().redis).read(RUN).in_flight() == 1


def test_a_bug_in_one_feed_of_a_poll_batch_leaves_the_others_their_outcomes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def poll(feed_id: int, *_: Any) -> int:
        if feed_id == 1:
            raise RuntimeError("a bug in one feed's poll")
        return 0

    monkeypatch.setattr(tasks, "poll_feed", poll)
    stats = Stats(resources().redis)
    for feed_id in (1, 2, 3):
        stats.entered("poll", poll_key(feed_id, "b1"), None)
    with pytest.raises(RuntimeError):  # raised after the batch, so Flower still shows it
        _run(tasks.poll_batch_task, [1, 2, 3], "b1")
    counts = stats.read()
    assert (counts.get("poll", "error"), counts.get("poll", "out")) == (1, 2)
    assert counts.in_flight() == 0
