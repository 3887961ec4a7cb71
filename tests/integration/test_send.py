"""Items sent into the fused task on a real broker: from a threaded worker, several in one
message, each counted as entered before it is sent; from a one-task process, one message each."""

import base64
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from celery import Celery

from config.settings import get_settings
from tests.fleet_env import fleet_env  # noqa: F401 - fixture
from workers import flow
from workers import send as send_module
from workers.app import create_app
from workers.send import send, set_concurrent_senders
from workers.stats import Stats

pytestmark = pytest.mark.usefixtures("fleet_env", "redis_client")
RUN = "run-send"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Celery]:
    """An app on the test broker; this process's senders as the test sets them, then reset."""
    monkeypatch.setenv("WIRE_FUSED_BATCH_SIZE", "4")
    monkeypatch.setenv("WIRE_FUSED_BATCH_WAIT", "5")
    get_settings.cache_clear()
    test_app = create_app(get_settings())
    yield test_app
    test_app.close()
    set_concurrent_senders(1)


def _queued(client: redis.Redis) -> list[tuple[str, Any]]:
    found = []
    for raw in client.lrange("clean", 0, -1):
        message = json.loads(raw)
        found.append((message["headers"]["task"], json.loads(base64.b64decode(message["body"]))[0]))
    return found


def _send_from_threads(app: Celery, items: list[str]) -> None:
    threads = [threading.Thread(target=send, args=(app, "clean", i, RUN)) for i in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()


def test_a_threaded_workers_items_go_in_one_message_each_counted(
    app: Celery, redis_client: redis.Redis
) -> None:
    set_concurrent_senders(8)
    _send_from_threads(app, ["a1", "a2", "a3", "a4"])
    [(task, args)] = _queued(redis_client)
    assert task == flow.FUSED_BATCH_TASK
    assert sorted(item for item, _ in args[0]) == ["a1", "a2", "a3", "a4"]
    assert {run for _, run in args[0]} == {RUN}
    assert Stats(redis_client).read(RUN).get("clean", "in") == 4


def test_a_one_task_process_sends_each_item_at_once_in_its_own_message(
    app: Celery, redis_client: redis.Redis
) -> None:
    set_concurrent_senders(1)
    send(app, "clean", "a1", RUN)  # returns at once: a batch of one waits for nobody
    assert _queued(redis_client) == [(flow.FUSED_TASK, ["a1", RUN])]
    assert Stats(redis_client).read(RUN).get("clean", "in") == 1
    assert send_module._fused is not None
    assert send_module._fused[1].size == 1


def test_each_app_sends_through_its_own_grouping(app: Celery, redis_client: redis.Redis) -> None:
    set_concurrent_senders(1)
    send(app, "clean", "a1", RUN)
    other = create_app(get_settings())
    sent: list[Any] = []
    other.send_task = lambda *args, **kwargs: sent.append(kwargs["args"])  # type: ignore[method-assign]
    send(other, "clean", "a2", RUN)
    other.close()
    assert sent == [["a2", RUN]]  # not sent through the first app's grouping
    assert _queued(redis_client) == [(flow.FUSED_TASK, ["a1", RUN])]
