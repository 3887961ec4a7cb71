"""Handing an item to a stage: counted as entered, then sent to the stage's queue."""

from celery import Celery

from workers import flow
from workers.resources import resources
from workers.stats import Stats


def send(app: Celery, stage: str, item_id: str, run_id: str | None) -> None:
    """Send an item (by id) into a stage; the count comes first so nothing looks finished early."""
    res = resources()
    Stats(res.redis).entered(stage, item_id, run_id)
    task = flow.entry_task(stage, res.settings.fuse_cpu_stages)
    app.send_task(task, args=[item_id, run_id], queue=stage)


def send_poll(app: Celery, feed_id: int, poll_id: str, run_id: str | None) -> None:
    """Send one poll of a feed into the poll stage."""
    Stats(resources().redis).entered("poll", poll_key(feed_id, poll_id), run_id)
    app.send_task(flow.task_name("poll"), args=[feed_id, poll_id, run_id], queue="poll")


def poll_key(feed_id: int, poll_id: str) -> str:
    """The item id of one poll of one feed."""
    return f"feed-{feed_id}:{poll_id}"
