"""Batched stores on real Redis and real databases: parked items written many to a transaction,
each counted once, none lost to a dead flusher, a failed batch or an unreadable record."""

import time
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
from sqlalchemy import func, select

from pipeline.errors import Retryable
from pipeline.models import ArticleRow
from pipeline.records import (
    Article,
    Classification,
    DedupVerdict,
    FetchedPage,
    Label,
    StoredArticle,
)
from tests.conftest import FIXTURES
from tests.fleet_env import fleet_env  # noqa: F401 - a fixture
from workers import fused, store_batch
from workers.resources import resources
from workers.stats import INFLIGHT, STORE_BUFFER, Stats

pytestmark = pytest.mark.usefixtures("fleet_env", "redis_client")
RUN = "run-batch"


@pytest.fixture(autouse=True)
def batches_of_three(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Batches of three, due after 50 ms; the tasks the module sends are recorded, not sent."""
    monkeypatch.setenv("WIRE_STORE_BATCH_SIZE", "3")
    monkeypatch.setenv("WIRE_STORE_BATCH_WAIT", "0.05")
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(store_batch.flush_task, "apply_async", lambda **kw: sent.append(kw))
    monkeypatch.setattr(store_batch.store_task, "apply_async", lambda **kw: sent.append(kw))
    return sent


def _record(n: int) -> StoredArticle:
    item = f"item-{n}"
    article = Article(
        item_id=item, url=f"http://127.0.0.1/a/{n}", canonical_url=f"http://127.0.0.1/a/{n}",
        title=f"Story {n}", text=f"Text of story number {n}.", word_count=5,
    )  # fmt: skip
    dedup = DedupVerdict(text_hash=f"h{n}", story_id=item)
    labels = Classification(
        model="test-1", topics=[Label(code="medtop:04000000", name="economy", score=0.9)]
    )
    return StoredArticle(article=article, dedup=dedup, classification=labels)


def _park(n: int, run_id: str | None = RUN) -> None:
    res = resources()
    Stats(res.redis).entered("store", f"item-{n}", run_id)
    store_batch.park(_record(n), run_id, res)


def _rows() -> int:
    with resources().sessions() as session:
        return session.scalar(select(func.count()).select_from(ArticleRow)) or 0


def test_parked_items_wait_until_they_fill_a_batch_then_go_in_one(
    redis_client: redis.Redis,
) -> None:
    _park(1)
    _park(2)
    counts = Stats(redis_client).read(RUN)
    assert (_rows(), counts.get("store", "out"), counts.in_flight()) == (0, 0, 2)
    _park(3)
    counts = Stats(redis_client).read(RUN)
    assert (_rows(), counts.get("store", "out"), counts.in_flight()) == (3, 3, 0)
    assert store_batch.parked(redis_client) == 0
    assert not redis_client.exists("wire:item:item-1:Article")  # written: the records go


def test_a_batch_of_two_runs_counts_each_item_in_its_own_run(redis_client: redis.Redis) -> None:
    _park(1)
    _park(2, None)  # scheduled polling's items have no run
    _park(3)
    counts, fleet = Stats(redis_client).read(RUN), Stats(redis_client).read()
    assert (counts.get("store", "out"), counts.in_flight()) == (2, 0)
    assert (fleet.get("store", "out"), fleet.in_flight()) == (3, 0)
    assert counts.cpu_seconds("store") > 0  # the parks' and the write's CPU
    assert redis_client.zcard(INFLIGHT) == 0  # each item's own member left the in-flight set


def test_the_first_park_arms_one_timer(
    redis_client: redis.Redis, batches_of_three: list[dict[str, Any]]
) -> None:
    _park(1)
    _park(2)
    (timer,) = batches_of_three
    assert timer["countdown"] == 0.05
    assert redis_client.get(store_batch.TIMER) == timer["args"][0].encode()  # its token


def test_only_the_armed_timers_task_arms_the_next(
    redis_client: redis.Redis, batches_of_three: list[dict[str, Any]]
) -> None:
    _park(1)
    redis_client.delete(store_batch.TIMER)  # it lapsed while its task waited in a busy queue
    _park(2)  # so this park armed a second timer
    late, armed = (sent["args"][0] for sent in batches_of_three)
    # A live flusher holds both (for 30 s): something is left for a timer to come back to.
    assert len(redis_client.eval(store_batch._CLAIM, 1, STORE_BUFFER, 3, 30, 1)) == 2
    assert store_batch.flush_task(late) == 0
    assert len(batches_of_three) == 2  # the lapsed timer's task leaves the armed one alone
    assert redis_client.get(store_batch.TIMER) == armed.encode()
    store_batch.flush_task(armed)
    (again,) = batches_of_three[2:]  # the armed timer's task arms the next
    assert redis_client.get(store_batch.TIMER) == again["args"][0].encode()


def test_a_timer_task_killed_while_it_wrote_arms_the_timer_when_delivered_again(
    redis_client: redis.Redis, batches_of_three: list[dict[str, Any]]
) -> None:
    _park(1)
    (timer,) = batches_of_three
    token = timer["args"][0]
    # Its first run disarmed the timer, leased the member (for 30 s) and was killed mid-write.
    assert redis_client.eval(store_batch._DISARM, 1, store_batch.TIMER, token) == 1
    assert redis_client.eval(store_batch._CLAIM, 1, STORE_BUFFER, 3, 30, 1) == [b"run-batch|item-1"]
    assert store_batch.flush_task(token) == 0  # the message delivered again: the lease still runs
    (again,) = batches_of_three[1:]  # the chain goes on until the dead run's lease ends
    assert redis_client.get(store_batch.TIMER) == again["args"][0].encode()


def test_a_flush_writes_what_is_due_and_nothing_before(redis_client: redis.Redis) -> None:
    _park(1)
    assert store_batch.flush_due(resources()) == 0
    time.sleep(0.1)
    assert store_batch.flush_due(resources()) == 1
    assert _rows() == 1
    assert Stats(redis_client).read(RUN).get("store", "out") == 1


def test_the_timer_task_writes_everything_parked_not_only_what_is_due(
    monkeypatch: pytest.MonkeyPatch,
    redis_client: redis.Redis,
    batches_of_three: list[dict[str, Any]],
) -> None:
    monkeypatch.setenv("WIRE_STORE_BATCH_WAIT", "30")  # read at the first resources() below
    _park(1)
    _park(2)  # parked after the timer was armed: due later than it
    (timer,) = batches_of_three
    assert store_batch.flush_task(timer["args"][0]) == 2
    assert (_rows(), store_batch.parked(redis_client)) == (2, 0)
    assert len(batches_of_three) == 1  # nothing left: the next park arms the next timer


def test_the_timer_task_arms_itself_for_what_a_live_flusher_holds(
    redis_client: redis.Redis, batches_of_three: list[dict[str, Any]]
) -> None:
    _park(1)
    batches_of_three.clear()
    redis_client.delete(store_batch.TIMER)
    # Another flusher leased it (for 30 s) and is writing it.
    assert redis_client.eval(store_batch._CLAIM, 1, STORE_BUFFER, 3, 30, 1) == [b"run-batch|item-1"]
    assert store_batch.flush_task() == 0
    (again,) = batches_of_three  # one wait ahead, not at the lease's end
    assert again["countdown"] == 0.05


def test_a_batch_whose_flusher_died_is_written_once_the_lease_ends(
    monkeypatch: pytest.MonkeyPatch, redis_client: redis.Redis
) -> None:
    monkeypatch.setattr(store_batch, "LEASE_SECONDS", 0.2)
    _park(1)
    time.sleep(0.1)
    leased = redis_client.eval(store_batch._CLAIM, 1, STORE_BUFFER, 3, 0.2, 0)
    assert leased == [b"run-batch|item-1"]  # ... and its flusher dies here
    assert store_batch.flush_due(resources()) == 0  # leased: not taken twice
    time.sleep(0.25)
    assert store_batch.flush_due(resources()) == 1
    assert _rows() == 1


def test_a_failed_batch_sends_each_item_to_the_store_task(
    monkeypatch: pytest.MonkeyPatch,
    redis_client: redis.Redis,
    batches_of_three: list[dict[str, Any]],
) -> None:
    def unavailable(records: Any, session: Any) -> int:
        raise Retryable("database-unavailable", "connection refused")

    monkeypatch.setattr(store_batch, "store_many", unavailable)
    for n in (1, 2, 3):
        _park(n)
    handed = [kw for kw in batches_of_three if "queue" in kw]
    assert sorted(kw["args"][0] for kw in handed) == ["item-1", "item-2", "item-3"]
    assert {(kw["queue"], kw["retries"]) for kw in handed} == {("store", 1)}
    assert store_batch.parked(redis_client) == 0
    assert Stats(redis_client).read(RUN).in_flight() == 3  # the store task owes the outcomes
    assert resources().items.raw("item-2", Classification) is not None


def test_an_unreadable_record_goes_alone_to_the_store_task(
    redis_client: redis.Redis, batches_of_three: list[dict[str, Any]]
) -> None:
    _park(1)
    redis_client.set("wire:item:item-1:Article", b'{"item_id": "item-1"}')  # not an Article
    _park(2)
    _park(3)
    assert [kw["args"][0] for kw in batches_of_three if "queue" in kw] == ["item-1"]
    assert _rows() == 2
    assert store_batch.parked(redis_client) == 0


def test_an_item_parked_twice_is_written_and_counted_once(redis_client: redis.Redis) -> None:
    _park(1)
    _park(1)  # a redelivered fused message
    _park(2)
    assert _rows() == 0
    _park(3)
    counts = Stats(redis_client).read(RUN)
    assert (_rows(), counts.get("store", "out"), counts.in_flight()) == (3, 3, 0)


def test_the_fused_task_parks_its_article_and_forgets_the_page(redis_client: redis.Redis) -> None:
    url = "http://127.0.0.1/news/kremlin"
    page = FetchedPage(
        item_id="item-kremlin", feed_url="http://127.0.0.1/feed.xml", url=url, final_url=url,
        status=200, content_type="text/html", charset="utf-8",
        body=(FIXTURES / "pages" / "dailywire-kremlin.html").read_bytes(),
        fetched_at=datetime(2025, 4, 22, tzinfo=UTC),
    )  # fmt: skip
    resources().items.save(page)
    Stats(redis_client).entered("clean", page.item_id, RUN)
    fused.process_task(page.item_id, RUN)
    counts = Stats(redis_client).read(RUN)
    assert (counts.get("store", "in"), counts.get("store", "out")) == (1, 0)
    assert counts.cpu_seconds("store") > 0  # the parking's own CPU
    assert resources().items.raw(page.item_id, FetchedPage) is None
    assert store_batch.parked(redis_client) == 1
    time.sleep(0.1)
    assert store_batch.flush_due(resources()) == 1
    assert _rows() == 1
    assert Stats(redis_client).read(RUN).in_flight() == 0
