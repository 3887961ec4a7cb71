"""The reconciler on a real Redis broker: an item whose message was lost is sent again once,
one whose message is queued or held unacked is left alone."""

import base64
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
from celery import Celery

from config.settings import get_settings
from pipeline.records import FetchedPage
from tests.conftest import FIXTURES
from tests.fleet_env import fleet_env, store_at_once  # noqa: F401 - fixtures
from workers import flow, fused
from workers.app import celery_config, create_app
from workers.reconcile import UNACKED, every, message_items, reconcile
from workers.resources import resources
from workers.send import poll_key
from workers.stats import GLOBAL, INFLIGHT, STORE_BUFFER, Stats

pytestmark = pytest.mark.usefixtures("fleet_env", "redis_client", "store_at_once")
RUN = "run-reconcile"
ITEM = "item-kremlin"


@pytest.fixture
def app() -> Iterator[Celery]:
    """An app on the test broker (the module's app was built before the test's settings)."""
    test_app = create_app(get_settings())
    yield test_app
    test_app.close()


def _entered_with_page(stage: str = "clean") -> redis.Redis:
    """An item whose page is stored and that entered `stage`, its message never sent (lost)."""
    url = "http://127.0.0.1/news/kremlin"
    res = resources()
    res.items.save(
        FetchedPage(
            item_id=ITEM, feed_url="http://127.0.0.1/feed.xml", url=url, final_url=url,
            status=200, content_type="text/html", charset="utf-8",
            body=(FIXTURES / "pages" / "dailywire-kremlin.html").read_bytes(),
            fetched_at=datetime(2025, 4, 22, tzinfo=UTC),
        )
    )  # fmt: skip
    Stats(res.redis).entered(stage, ITEM, RUN)
    return res.redis


def _queued(client: redis.Redis, queue: str) -> list[tuple[str, list[Any]]]:
    """Task name and arguments of each message waiting in a queue."""
    found = []
    for raw in client.lrange(queue, 0, -1):
        message = json.loads(raw)
        args = json.loads(base64.b64decode(message["body"]))[0]
        found.append((message["headers"]["task"], args))
    return found


def test_an_item_whose_message_was_lost_is_sent_again_once_and_ends_with_one_outcome(
    app: Celery,
) -> None:
    client = _entered_with_page()
    assert reconcile(app, client, 0, fused=True) == 1
    assert _queued(client, "clean") == [(flow.FUSED_TASK, [ITEM, RUN])]
    assert reconcile(app, client, 0, fused=True) == 0  # its message is queued now
    fused.process_task(*_queued(client, "clean")[0][1])
    counts = Stats(client).read(RUN)
    assert counts.in_flight() == 0
    assert [counts.get(s, "out") for s in flow.FUSED_STAGES] == [1, 1, 1, 1]
    assert client.zcard(INFLIGHT) == 0
    assert int(client.hget(GLOBAL, "clean:reconciled") or 0) == 1


def test_an_item_whose_message_is_held_unacked_is_not_sent_again(app: Celery) -> None:
    client = _entered_with_page()
    app.send_task(flow.FUSED_TASK, args=[ITEM, RUN], queue="clean")
    raw = client.rpop("clean")
    assert raw is not None
    # As kombu's Redis transport keeps a delivered message: [message, exchange, routing key].
    client.hset(UNACKED, "tag-1", json.dumps([json.loads(raw), "clean", "clean"]))
    assert reconcile(app, client, 0, fused=True) == 0
    assert client.llen("clean") == 0


def test_an_item_queued_in_a_fused_batch_message_is_not_sent_again(app: Celery) -> None:
    client = _entered_with_page()
    batch = [["item-other", RUN], [ITEM, RUN]]
    app.send_task(flow.FUSED_BATCH_TASK, args=[batch], queue="clean")
    assert reconcile(app, client, 0, fused=True) == 0
    assert _queued(client, "clean") == [(flow.FUSED_BATCH_TASK, [batch])]


def test_an_item_younger_than_the_delay_is_not_sent_again(app: Celery) -> None:
    client = _entered_with_page()
    assert reconcile(app, client, 3_600, fused=True) == 0
    assert client.llen("clean") == 0


def test_a_later_fused_stage_is_sent_again_to_the_fused_task_and_unfused_to_its_own(
    app: Celery,
) -> None:
    client = _entered_with_page("classify")
    assert reconcile(app, client, 0, fused=True) == 1
    assert _queued(client, "clean") == [(flow.FUSED_TASK, [ITEM, RUN])]
    client.delete("clean")
    assert reconcile(app, client, 0, fused=False) == 1
    assert _queued(client, "classify") == [("wire.classify", [ITEM, RUN])]


def test_a_lost_poll_is_sent_again_as_that_poll(app: Celery) -> None:
    client = resources().redis
    Stats(client).entered("poll", poll_key(7, "p1"), None)
    assert reconcile(app, client, 0, fused=True) == 1
    assert _queued(client, "poll") == [("wire.poll", [7, "p1", None])]
    assert reconcile(app, client, 0, fused=True) == 0


def test_an_item_with_an_outcome_leaves_the_in_flight_set() -> None:
    client = resources().redis
    stats = Stats(client)
    stats.entered("fetch", "a1", RUN)
    assert client.zrange(INFLIGHT, 0, -1) == [f"fetch|{RUN}|a1".encode()]
    stats.outcome("fetch", "a1", RUN, "dropped", "gone")
    stats.entered("fetch", "a1", RUN)  # a redelivered entry counts nothing and adds nothing
    assert client.zcard(INFLIGHT) == 0


def test_a_poll_batch_message_names_each_of_its_feeds() -> None:
    body = base64.b64encode(json.dumps([[[3, 4], "p9"], {}, {}]).encode()).decode()
    assert message_items({"body": body}) == [poll_key(3, "p9"), poll_key(4, "p9")]
    assert message_items({"body": "not base64 json"}) == []


def test_a_fused_batch_message_names_each_of_its_items() -> None:
    body = base64.b64encode(json.dumps([[[["a1", RUN], ["a2", None]]], {}, {}]).encode()).decode()
    assert message_items({"body": body}) == ["a1", "a2"]


def test_by_default_an_item_is_sent_again_only_once_no_live_worker_can_hold_its_message() -> None:
    settings = get_settings()
    assert settings.reconcile_after is None
    held = settings.visibility_timeout + settings.retry_backoff_max
    assert settings.reconcile_after_seconds == held
    assert settings.model_copy(update={"reconcile_after": 60}).reconcile_after_seconds == 60


def test_beat_runs_the_reconciler_on_the_poll_queue_every_interval() -> None:
    settings = get_settings().model_copy(update={"reconcile_interval": 42.0})
    entry = celery_config(settings)["beat_schedule"]["reconcile-lost-messages"]
    assert (entry["task"], entry["schedule"]) == (flow.RECONCILE_TASK, 42.0)
    assert flow.routes()[flow.RECONCILE_TASK] == {"queue": "poll"}


def test_the_reconciler_of_a_waiting_loop_runs_at_most_once_per_interval() -> None:
    calls: list[float] = []
    tick = every(0.2, lambda: calls.append(time.monotonic()))
    tick()
    assert calls == []  # the first pass comes an interval after the start
    time.sleep(0.25)
    tick()
    tick()
    assert len(calls) == 1


def test_a_pass_sends_a_flush_while_articles_wait_for_a_batched_store(app: Celery) -> None:
    client = resources().redis
    assert reconcile(app, client, 0, fused=True) == 0
    assert client.llen("store") == 0  # nothing parked, no flush
    client.zadd(STORE_BUFFER, {f"{RUN}|{ITEM}": 0})
    reconcile(app, client, 0, fused=True)
    assert _queued(client, "store") == [(flow.STORE_FLUSH_TASK, [])]
