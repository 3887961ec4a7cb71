"""Handing an item to a stage: counted as entered, then sent to the stage's queue."""

import os

from celery import Celery

from workers import flow
from workers.coalesce import Coalescer
from workers.resources import resources
from workers.stats import Stats

Item = tuple[str, str | None]  # item, run

# How many tasks this process runs at once (a threaded worker sets it at start): only then can
# items sent to the fused task wait for each other in one message.
_concurrent_senders = 1
# This process's grouping of fused sends, made for one pid, app and settings (none after fork).
_fused: tuple[tuple[int, int, int], Coalescer[Item]] | None = None


def send(app: Celery, stage: str, item_id: str, run_id: str | None) -> None:
    """Send an item (by id) into a stage; the count comes first so nothing looks finished early."""
    res = resources()
    task = flow.entry_task(stage, res.settings.fuse_cpu_stages)
    if task == flow.FUSED_TASK:
        _fused_sender(app).send((item_id, run_id))
        return
    Stats(res.redis).entered(stage, item_id, run_id)
    app.send_task(task, args=[item_id, run_id], queue=stage)


def send_poll(app: Celery, feed_id: int, poll_id: str, run_id: str | None) -> None:
    """Send one poll of a feed into the poll stage."""
    Stats(resources().redis).entered("poll", poll_key(feed_id, poll_id), run_id)
    app.send_task(flow.task_name("poll"), args=[feed_id, poll_id, run_id], queue="poll")


def poll_key(feed_id: int, poll_id: str) -> str:
    """The item id of one poll of one feed."""
    return f"feed-{feed_id}:{poll_id}"


def set_concurrent_senders(count: int) -> None:
    """Tell this process how many tasks it runs at once (the worker's threads)."""
    global _concurrent_senders, _fused
    _concurrent_senders, _fused = max(1, count), None


def _fused_sender(app: Celery) -> Coalescer[Item]:
    global _fused
    settings = resources().settings
    # A batch is published through the app that opened it: another app or settings, another one.
    owner = (os.getpid(), id(app), id(settings))
    if _fused is None or _fused[0] != owner:
        size = min(settings.fused_batch_size, _concurrent_senders)
        _fused = (owner, Coalescer(lambda items: _send_fused(app, items), size,
                                   settings.fused_batch_wait))  # fmt: skip
    return _fused[1]


def _send_fused(app: Celery, items: list[Item]) -> None:
    """Count the items into the first fused stage in one round trip, then send one message."""
    stage = flow.FUSED_STAGES[0]
    with resources().redis.pipeline(transaction=False) as pipe:
        stats = Stats(pipe)
        for item_id, run_id in items:
            stats.entered(stage, item_id, run_id)
        pipe.execute()
    if len(items) == 1:
        app.send_task(flow.FUSED_TASK, args=list(items[0]), queue=stage)
    else:
        app.send_task(flow.FUSED_BATCH_TASK, args=[[list(i) for i in items]], queue=stage)
