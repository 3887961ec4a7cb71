"""The fused CPU task: clean, dedup, classify and store of one item in one task.

Each stage is still its own function with its own outcome, counted as if it were its own task
(an item enters dedup only when clean let it out), so `wire ingest --once` and the counters read
the same. Only the broker and item-store round trips between the stages are gone. A stage that
fails here for any reason but a Drop hands the item to that stage's own task, with its inputs
saved, and that task retries or dead-letters it exactly as on the per-stage path.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import redis

from pipeline.classify import classify
from pipeline.clean import clean
from pipeline.dedup import dedup
from pipeline.errors import Drop
from pipeline.records import (
    Article,
    Classification,
    DedupVerdict,
    FeedEntry,
    FetchedPage,
    Record,
    StoredArticle,
)
from pipeline.store import store_committed
from workers import flow, store_batch
from workers.app import app
from workers.base import OUTAGES, StageTask, send_to_own_task
from workers.dedup_index import RedisDedupIndex
from workers.items import ItemMissing, ItemStore
from workers.resources import Resources, resources
from workers.stats import Stats
from workers.tasks import classify_task, clean_task, dedup_task, store_task

log = logging.getLogger("wire.stage")
T = TypeVar("T")

# The per-stage task that takes over an item when its stage fails inside the fused task.
OWN_TASK: dict[str, StageTask] = {
    "clean": clean_task,
    "dedup": dedup_task,
    "classify": classify_task,
    "store": store_task,
}


@dataclass
class Carry:
    """The records of one item as they pass from stage to stage in memory."""

    item_id: str
    page: FetchedPage | None = None
    article: Article | None = None
    verdict: DedupVerdict | None = None
    labels: Classification | None = None
    # Stages passed but not yet counted: (stage, next stage, CPU seconds). They are counted with
    # the item's next Redis call (its end, its park or its hand-over), one round trip for all.
    passed: list[tuple[str, str, float]] = field(default_factory=list)

    def records(self) -> dict[type[Record], Record | None]:
        """The records held so far, by kind."""
        return {
            FetchedPage: self.page,
            Article: self.article,
            DedupVerdict: self.verdict,
            Classification: self.labels,
        }


def _need(value: T | None) -> T:
    if value is None:
        raise RuntimeError("a fused stage ran before the stage that makes its input")
    return value


def _clean(carry: Carry, res: Resources) -> None:
    carry.page = res.items.load(carry.item_id, FetchedPage)
    carry.article = clean(carry.page, res.settings.clean_limits())


def _dedup(carry: Carry, res: Resources) -> None:
    index = RedisDedupIndex(res.redis)
    carry.verdict = dedup(_need(carry.article), index, res.settings.dedup_policy())


def _classify(carry: Carry, res: Resources) -> None:
    art = _need(carry.article)
    carry.labels = classify(art.title, art.text, art.dateline, res.classifier)


def _stored(carry: Carry) -> StoredArticle:
    return StoredArticle(
        article=_need(carry.article),
        dedup=_need(carry.verdict),
        classification=_need(carry.labels),
    )


def _store(carry: Carry, res: Resources) -> None:
    store_committed(_stored(carry), res.sessions)


STEPS: dict[str, Callable[[Carry, Resources], None]] = {
    "clean": _clean,
    "dedup": _dedup,
    "classify": _classify,
    "store": _store,
}


@app.task(bind=True, base=StageTask, name=flow.FUSED_TASK, stage="clean", inputs=(FetchedPage,))
def process_task(self: StageTask, item_id: str, run_id: str | None = None) -> None:
    """Run the CPU stages on one item in this task, each with its own outcome."""
    process_item(item_id, run_id)


@app.task(
    bind=True, base=StageTask, name=flow.FUSED_BATCH_TASK, stage="clean", inputs=(FetchedPage,)
)
def process_batch_task(self: StageTask, items: list[list[str | None]]) -> None:
    """Run the CPU stages on each item of the message in turn, each item on its own."""
    failure: Exception | None = None
    for item_id, run_id in items:
        try:
            process_item(str(item_id), run_id)
        except OUTAGES:
            raise  # the message goes back whole: the items done already rerun as no-ops
        except Exception as exc:  # a bug on one item: it stays in flight for the reconciler
            log.exception("fused item failed", extra={"stage": "clean", "item_id": item_id})
            failure = failure or exc
    if failure is not None:
        raise failure  # after the batch, so that Flower still shows it


def process_item(item_id: str, run_id: str | None) -> None:
    """The CPU stages on one item: each stage's outcome counted, a failure handed over."""
    res = resources()
    carry = Carry(item_id)
    batched = res.settings.store_batch_size > 1
    for stage in flow.FUSED_STAGES:
        if stage == "store" and batched:
            park_step(carry, res, run_id)
            return
        if not run_step(stage, carry, res, run_id):
            return


def park_step(carry: Carry, res: Resources, run_id: str | None) -> None:
    """Park the item for a batch write; the write counts its outcome (workers/store_batch.py)."""
    _count_passed(carry, res, run_id)
    try:
        store_batch.park(_stored(carry), run_id, res)
    except OUTAGES:
        raise  # the message goes back (StageTask.__call__) and parks the item again
    except Exception as exc:  # parking is Redis work: anything else goes to the store task
        hand_over("store", carry, res, run_id, exc)


def run_step(stage: str, carry: Carry, res: Resources, run_id: str | None) -> bool:
    """Run one stage on the carried records; True when the item goes on to the next stage."""
    started = time.thread_time()  # this stage's own CPU, as the per-stage tasks count it
    try:
        STEPS[stage](carry, res)
    except (Drop, ItemMissing) as exc:
        reason = exc.reason if isinstance(exc, Drop) else "item-expired"
        _count_end(stage, carry, res, run_id, ("dropped", reason, time.thread_time() - started))
        log.info("dropped %s", exc, extra={"stage": stage, "item_id": carry.item_id})
        return False
    except Exception as exc:  # not swallowed: the stage's own task reruns it
        hand_over(stage, carry, res, run_id, exc)
        return False
    _count_out(stage, carry, res, run_id, time.thread_time() - started)
    return True


def _count_out(stage: str, carry: Carry, res: Resources, run_id: str | None, cpu: float) -> None:
    """Count the stage's "out" and the item's entry into the next stage (or its end)."""
    after = flow.fused_after(stage)
    if not after:
        _count_end(stage, carry, res, run_id, ("out", "", cpu))
        return
    # Counted with the item's next call: the item is still in flight in this stage until then,
    # and a task that dies first is run again, counting each stage once.
    carry.passed.append((stage, after[0], cpu))


def _count_passed(carry: Carry, res: Resources, run_id: str | None) -> None:
    """Count the stages the item passed since the last count, in one round trip."""
    if not carry.passed:
        return
    with res.redis.pipeline(transaction=False) as pipe:
        _add_passed(pipe, carry, run_id)
        pipe.execute()


def _add_passed(pipe: redis.Redis, carry: Carry, run_id: str | None) -> None:
    """Add the counts of the stages the item passed to a pipeline the caller executes."""
    stats = Stats(pipe)
    for stage, after, cpu in carry.passed:
        # The next stage's entry first: the run never looks finished with this item going.
        stats.entered(after, carry.item_id, run_id)
        stats.outcome(stage, carry.item_id, run_id, "out", cpu_seconds=cpu)
    carry.passed.clear()


def _count_end(
    stage: str, carry: Carry, res: Resources, run_id: str | None, end: tuple[str, str, float]
) -> None:
    """The item's last outcome (stored or dropped); its records are no longer needed."""
    outcome, reason, cpu = end
    with res.redis.pipeline(transaction=False) as pipe:
        _add_passed(pipe, carry, run_id)
        Stats(pipe).outcome(stage, carry.item_id, run_id, outcome, reason, cpu_seconds=cpu)
        # A rerun finds the page gone and changes nothing (its outcome is counted already).
        ItemStore(pipe, res.settings.item_ttl_seconds).delete(
            carry.item_id, [FeedEntry, FetchedPage]
        )
        pipe.execute()


def hand_over(stage: str, carry: Carry, res: Resources, run_id: str | None, exc: Exception) -> None:
    """Save the stage's inputs and send the item to the stage's own task (retry as usual)."""
    task = OWN_TASK[stage]
    _count_passed(carry, res, run_id)
    held = carry.records()
    for kind in task.inputs:
        record = held.get(kind)
        if record is not None:
            res.items.save_as(carry.item_id, record)
    log.warning(
        "handed to %s: %r", task.name, exc, extra={"stage": stage, "item_id": carry.item_id}
    )
    send_to_own_task(task, carry.item_id, run_id, exc)
