"""Items sent from many threads published together: one message per batch, every sender back
only once its item is published, a publish error raised in each of them."""

import threading
from typing import Any

import pytest
from celery.concurrency.prefork import TaskPool as PreforkPool
from celery.concurrency.thread import TaskPool as ThreadPool

from workers import send as send_module
from workers.coalesce import Coalescer
from workers.tasks import _group_sends

LONG = 30.0  # no test waits this long: a batch it waits on is published by a filler first


def _senders(coalescer: Coalescer[int], items: list[int]) -> list[Any]:
    """Send each item from its own thread; what each thread raised (None if nothing)."""
    raised: list[Any] = [None] * len(items)

    def one(index: int) -> None:
        try:
            coalescer.send(items[index])
        except Exception as exc:  # the test reads it
            raised[index] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(items))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive(), "a sender never came back"
    return raised


def test_a_full_batch_is_one_publish_holding_every_item() -> None:
    published: list[list[int]] = []
    coalescer = Coalescer(published.append, size=4, wait=LONG)
    assert _senders(coalescer, [1, 2, 3, 4]) == [None] * 4
    assert [sorted(batch) for batch in published] == [[1, 2, 3, 4]]


def test_a_batch_that_does_not_fill_is_published_after_the_wait() -> None:
    published: list[list[int]] = []
    coalescer = Coalescer(published.append, size=8, wait=0.01)
    assert _senders(coalescer, [7]) == [None]
    coalescer.send(8)
    assert published == [[7], [8]]


def test_more_items_than_a_batch_go_in_several_and_none_is_lost() -> None:
    published: list[list[int]] = []
    coalescer = Coalescer(published.append, size=3, wait=0.05)
    assert _senders(coalescer, list(range(10))) == [None] * 10
    assert sorted(i for batch in published for i in batch) == list(range(10))
    assert all(len(batch) <= 3 for batch in published)


def test_a_failed_publish_is_raised_in_every_sender_of_its_batch() -> None:
    def broker_away(items: list[int]) -> None:
        raise ConnectionError("broker away")

    raised = _senders(Coalescer(broker_away, size=3, wait=LONG), [1, 2, 3])
    assert [type(exc) for exc in raised] == [ConnectionError] * 3


def test_a_batch_of_one_is_published_at_once() -> None:
    published: list[list[int]] = []
    coalescer = Coalescer(published.append, size=1, wait=LONG)
    assert _senders(coalescer, [5]) == [None]  # back long before LONG
    assert published == [[5]]


@pytest.mark.parametrize(("pool", "expected"), [(ThreadPool, 8), ("threads", 8), (PreforkPool, 1)])
def test_only_a_worker_running_tasks_side_by_side_lets_its_sends_wait_for_each_other(
    monkeypatch: pytest.MonkeyPatch, pool: Any, expected: int
) -> None:
    monkeypatch.setattr(send_module, "_concurrent_senders", 1)

    class Worker:
        pool_cls = pool
        concurrency = 8

    _group_sends(Worker())
    assert send_module._concurrent_senders == expected
