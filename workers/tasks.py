"""The stage tasks: thin adapters that load an item, call the stage, save it, send it on."""

from typing import Any

from celery.signals import (
    worker_before_create_process,
    worker_init,
    worker_process_init,
    worker_process_shutdown,
)

from pipeline import registry
from pipeline.classify import classify, load_model
from pipeline.clean import clean, warm_up
from pipeline.dedup import dedup
from pipeline.records import (
    Article,
    Classification,
    DedupVerdict,
    FeedEntry,
    FetchedPage,
    StoredArticle,
)
from pipeline.store import store_committed
from workers import flow
from workers.app import app
from workers.base import OUTAGES, StageTask
from workers.dedup_index import RedisDedupIndex
from workers.politeness import HostBusy, defer_countdown, polite_fetch
from workers.polling import POLL_BATCH_TASK, batch_states, poll_feed, send_poll_batch
from workers.reconcile import reconcile
from workers.resources import reset, resources
from workers.send import poll_key, send, set_concurrent_senders

DISPATCH_BATCH = 500


@worker_before_create_process.connect
def _prepare_before_fork(**_: Any) -> None:
    """A prefork parent loads the model and warms the clean stage once; its children inherit."""
    # Done in each child instead, it cost every replaced child (WIRE_WORKER_MAX_TASKS_PER_CHILD)
    # one to three seconds of CPU over its first articles.
    load_model(resources().settings.model_choice())
    warm_up()


@worker_init.connect
def _group_sends(sender: Any, **_: Any) -> None:
    """A worker whose tasks run side by side in one process lets their sends share messages."""
    pool = getattr(sender, "pool_cls", "")
    name = f"{getattr(pool, '__module__', '')}.{pool}"
    concurrency = sender.concurrency if isinstance(sender.concurrency, int) else 1
    # Threads (and green threads) share one process; a prefork child runs one task at a time.
    side_by_side = any(kind in name for kind in ("thread", "gevent", "eventlet"))
    set_concurrent_senders(concurrency if side_by_side else 1)


@worker_process_init.connect
def _fresh_clients(**_: Any) -> None:
    """A forked child must not share its parent's sockets."""
    reset()


@worker_process_shutdown.connect
def _close_clients(**_: Any) -> None:
    reset()


def _forward(stage: str, item_id: str, run_id: str | None) -> None:
    nxt = flow.next_stage(stage)
    if nxt is not None:
        send(app, nxt, item_id, run_id)


@app.task(bind=True, base=StageTask, name="wire.poll", stage="poll", retry_transient=False)
def poll_task(self: StageTask, feed_id: int, poll_id: str, run_id: str | None = None) -> None:
    """Poll one feed and send its new entries to the fetch stage."""

    def work() -> None:
        poll_feed(
            feed_id, self.request.id or poll_id, lambda e: _forward("poll", e.item_id, run_id)
        )

    self.run_stage(poll_key(feed_id, poll_id), run_id, work)


@app.task(bind=True, base=StageTask, name="wire.fetch", stage="fetch", inputs=(FeedEntry,))
def fetch_task(self: StageTask, item_id: str, run_id: str | None = None) -> None:
    """Fetch the entry's page, politely for its host (fleet-wide rate and concurrency)."""

    def work() -> None:
        res = resources()
        entry = res.items.load(item_id, FeedEntry)
        page = polite_fetch(entry, res, self.request.id or item_id)
        res.items.save(page)
        _forward("fetch", item_id, run_id)

    try:
        self.run_stage(item_id, run_id, work)
    except HostBusy as busy:
        # The host's turn is far off: free this slot and come back then (no outcome, no retry
        # spent; the countdown is capped far below the broker's visibility timeout).
        countdown = defer_countdown(busy, resources().settings.fetch_defer_max_seconds)
        self.apply_async(args=[item_id, run_id], countdown=countdown,
                         retries=self.request.retries, queue="fetch")  # fmt: skip


@app.task(bind=True, base=StageTask, name="wire.clean", stage="clean", inputs=(FetchedPage,))
def clean_task(self: StageTask, item_id: str, run_id: str | None = None) -> None:
    """Extract the article's text and metadata."""

    def work() -> None:
        res = resources()
        page = res.items.load(item_id, FetchedPage)
        res.items.save(clean(page, res.settings.clean_limits()))
        _forward("clean", item_id, run_id)

    self.run_stage(item_id, run_id, work)


@app.task(bind=True, base=StageTask, name="wire.dedup", stage="dedup", inputs=(Article,))
def dedup_task(self: StageTask, item_id: str, run_id: str | None = None) -> None:
    """Place the article in its story (exact URL and text duplicates)."""

    def work() -> None:
        res = resources()
        article = res.items.load(item_id, Article)
        verdict = dedup(article, RedisDedupIndex(res.redis), res.settings.dedup_policy())
        res.items.save_as(item_id, verdict)
        _forward("dedup", item_id, run_id)

    self.run_stage(item_id, run_id, work)


@app.task(bind=True, base=StageTask, name="wire.classify", stage="classify", inputs=(Article,))
def classify_task(self: StageTask, item_id: str, run_id: str | None = None) -> None:
    """Label the article with topics, countries, regions and organisations."""

    def work() -> None:
        res = resources()
        article = res.items.load(item_id, Article)
        labels = classify(article.title, article.text, article.dateline, res.classifier)
        res.items.save_as(item_id, labels)
        _forward("classify", item_id, run_id)

    self.run_stage(item_id, run_id, work)


@app.task(
    bind=True,
    base=StageTask,
    name="wire.store",
    stage="store",
    inputs=(Article, DedupVerdict, Classification),
    retries_setting="store_retry_max",
)
def store_task(self: StageTask, item_id: str, run_id: str | None = None) -> None:
    """Write the article and its labels to the database (idempotent upsert)."""

    def work() -> None:
        res = resources()
        record = StoredArticle(
            article=res.items.load(item_id, Article),
            dedup=res.items.load(item_id, DedupVerdict),
            classification=res.items.load(item_id, Classification),
        )
        store_committed(record, res.sessions)

    self.run_stage(item_id, run_id, work)


def _entry_to_fetch(entry: FeedEntry) -> None:
    _forward("poll", entry.item_id, None)


@app.task(bind=True, base=StageTask, name=POLL_BATCH_TASK, stage="poll", retry_transient=False)
def poll_batch_task(self: StageTask, feed_ids: list[int], poll_id: str) -> None:
    """Poll a batch of due feeds one after another, each with its own lock and outcome."""
    states = batch_states(feed_ids)
    failure: Exception | None = None
    for feed_id in feed_ids:

        def work(feed_id: int = feed_id) -> None:
            owner = f"{self.request.id or poll_id}:{feed_id}"
            poll_feed(feed_id, owner, _entry_to_fetch, states.get(feed_id))

        try:
            self.run_stage(poll_key(feed_id, poll_id), None, work)
        except OUTAGES:
            raise  # the batch's message goes back (StageTask.__call__)
        except Exception as exc:  # counted and logged by run_stage: the other feeds still go
            failure = failure or exc
    if failure is not None:
        raise failure  # after the batch, so that Flower still shows it


@app.task(name=flow.DISPATCH_TASK)
def dispatch_due() -> int:
    """Beat's tick: claim the due feeds and send them to the poll stage in small batches."""
    res = resources()
    size, sent = res.settings.poll_batch_size, 0
    while True:
        with res.sessions.begin() as session:
            due = registry.claim_due(session, DISPATCH_BATCH)
        for start in range(0, len(due), size):
            send_poll_batch(app, due[start : start + size])
        sent += len(due)
        if len(due) < DISPATCH_BATCH:
            return sent


@app.task(name=flow.RECONCILE_TASK)
def reconcile_task() -> int:
    """Beat's reconciler tick: send again the items whose message the broker lost."""
    res = resources()
    after, fused = res.settings.reconcile_after_seconds, res.settings.fuse_cpu_stages
    return reconcile(app, res.redis, after, fused=fused)
