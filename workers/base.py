"""The base of every stage task: outcomes counted once, retries declared once, dead letters."""

import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NoReturn

import redis
from celery import Task
from celery.exceptions import Reject
from kombu.exceptions import OperationalError as BrokerUnavailable

from pipeline.errors import Drop, Retryable
from pipeline.models import DeadLetter
from pipeline.records import Record
from pipeline.store import database_errors_are_transient
from workers import flow
from workers.items import ItemMissing
from workers.resources import resources
from workers.stats import Stats

log = logging.getLogger("wire.stage")
# Redis (item store, counters) or the broker unreachable: the fleet's fault, not the item's.
OUTAGES = (redis.ConnectionError, redis.TimeoutError, BrokerUnavailable)


def backoff(attempt: int, cap: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, capped; a server's Retry-After wins if shorter."""
    delay = random.uniform(0, min(cap, 2 ** (attempt + 1)))  # noqa: S311 - jitter, not crypto
    if retry_after is not None:
        delay = min(max(delay, retry_after), cap)
    return delay


class StageTask(Task):  # type: ignore[misc]  # celery ships no type information
    """Runs one stage on one item and records exactly one outcome for it."""

    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    stage: str = ""
    #: The record kinds this stage reads, kept in a dead letter so a replay has its input.
    inputs: tuple[type[Record], ...] = ()
    #: False where the item has its own schedule (a feed's next poll is its retry).
    retry_transient: bool = True
    #: The setting that bounds this stage's retries (store rides out database outages).
    retries_setting: str = "retry_max"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the task; if Redis went away under it, put the message back instead of failing."""
        try:
            return super().__call__(*args, **kwargs)
        except OUTAGES as exc:
            # Failing would ack the message and lose the item; requeued, it runs again once
            # Redis answers (or comes back after the visibility timeout if the reject is lost).
            log.warning("redis unavailable, message requeued: %r", exc, extra={"stage": self.stage})
            raise Reject(exc, requeue=True) from exc

    def run_stage(self, item_id: str, run_id: str | None, work: Callable[[], None]) -> None:
        """Call `work`; count its outcome, retry a Retryable, dead-letter what cannot go on."""
        stats = Stats(resources().redis)
        fields = {"stage": self.stage, "item_id": item_id, "task_id": self.request.id}
        # This thread's CPU, not the process's: an I/O worker runs many tasks in threads.
        started = time.thread_time()
        try:
            # Any stage's lost database (the poll's feed records too) is the fleet's fault.
            with database_errors_are_transient():
                work()
        except Drop as drop:
            cpu = time.thread_time() - started
            stats.outcome(self.stage, item_id, run_id, "dropped", drop.reason, cpu_seconds=cpu)
            log.info("dropped %s", drop, extra={**fields, "outcome": "dropped"})
            self.finish(item_id)
            return
        except ItemMissing as missing:
            stats.outcome(self.stage, item_id, run_id, "dropped", "item-expired")
            log.warning("item gone: %s", missing, extra={**fields, "outcome": "dropped"})
            return
        except Retryable as exc:
            self._retry_or_dead_letter(exc, item_id, run_id, stats)
            return
        except OUTAGES:
            raise  # not the item's fault: no outcome, no dead letter (see __call__)
        except Exception as exc:
            # A bug: recorded, dead-lettered for replay, and raised so Flower shows the failure.
            self.dead_letter(item_id, f"error: {type(exc).__name__}: {exc}")
            stats.outcome(self.stage, item_id, run_id, "error", type(exc).__name__)
            log.exception("stage failed", extra={**fields, "outcome": "error"})
            self.finish(item_id)
            raise
        stats.outcome(self.stage, item_id, run_id, "out", cpu_seconds=time.thread_time() - started)
        if self.stage == flow.STAGES[-1]:
            self.finish(item_id)

    def finish(self, item_id: str) -> None:
        """A terminal outcome: the item's records get their TTL (none while in flight)."""
        if self.inputs:  # a poll's item is a feed, with no records of its own
            resources().items.finish(item_id)

    def _retry_or_dead_letter(
        self, exc: Retryable, item_id: str, run_id: str | None, stats: Stats
    ) -> None:
        settings = resources().settings
        if not self.retry_transient:
            stats.outcome(self.stage, item_id, run_id, "failed", exc.reason)
            log.info("failed: %s", exc, extra={"stage": self.stage, "item_id": item_id})
            return
        attempt, limit = self.request.retries, int(getattr(settings, self.retries_setting))
        if attempt < limit:
            stats.retried(self.stage)
            countdown = backoff(attempt, settings.retry_backoff_max, exc.retry_after)
            log.info("retrying in %.1fs: %s", countdown, exc, extra={"item_id": item_id})
            self.come_back(countdown, exc, limit)
        self.dead_letter(item_id, f"{exc.reason}: {exc.detail}")
        stats.outcome(self.stage, item_id, run_id, "failed", exc.reason)
        self.finish(item_id)

    def dead_letter(self, item_id: str, reason: str) -> None:
        """Keep what is needed to replay the item: stage, reason, attempts, message, input."""
        payload: dict[str, Any] = {
            "task": self.name,
            "args": list(self.request.args or []),
            "kwargs": dict(self.request.kwargs or {}),
            "input": self.input_snapshot(item_id),
        }
        res = resources()
        try:
            with database_errors_are_transient(), res.sessions.begin() as session:
                session.add(
                    DeadLetter(
                        stage=self.stage,
                        item_id=item_id,
                        reason=reason[:2000],
                        attempts=self.request.retries + 1,
                        payload=payload,
                        created_at=datetime.now(UTC),
                        replayed_at=None,
                    )
                )
        except Retryable as away:
            # Counted without its row the item could not be replayed; ended without a count it
            # would stay in flight for ever. So it comes back once the database may answer.
            attempt = self.request.retries
            countdown = backoff(attempt, res.settings.retry_backoff_max)
            log.warning("dead letter not written, back in %.1fs: %s", countdown, away,
                        extra={"stage": self.stage, "item_id": item_id})  # fmt: skip
            self.come_back(countdown, away, attempt + 1)

    def come_back(self, countdown: float, exc: Exception, max_retries: int) -> NoReturn:
        """Send the item's message again after `countdown`; the broker away requeues this one."""
        try:
            raise self.retry(countdown=countdown, exc=exc, max_retries=max_retries)
        except Reject as rejected:
            # Celery rejects (drops) the message when the retry cannot be sent: the item would
            # be lost. Raised as the outage it is, `__call__` puts the message back instead.
            if isinstance(rejected.reason, OUTAGES):
                raise rejected.reason from exc
            raise

    def input_snapshot(self, item_id: str) -> dict[str, str]:
        """The stage's input record(s) as stored JSON, keyed by record kind."""
        items = resources().items
        found = {kind.__name__: items.raw(item_id, kind) for kind in self.inputs}
        return {name: raw for name, raw in found.items() if raw is not None}


def send_to_own_task(task: StageTask, item_id: str, run_id: str | None, exc: Exception) -> None:
    """Send an item whose stage failed elsewhere (the fused task, a batch) to the stage's task.

    That try was the first attempt: after a Retryable the task waits the first backoff and goes
    on from the second (one retry counted); after anything else it runs at once.
    """
    res = resources()
    countdown, retries = 0.0, 0
    if isinstance(exc, Retryable):
        Stats(res.redis).retried(task.stage)
        countdown = backoff(0, res.settings.retry_backoff_max, exc.retry_after)
        retries = 1
    task.apply_async(args=[item_id, run_id], countdown=countdown, retries=retries,
                     queue=task.stage)  # fmt: skip
