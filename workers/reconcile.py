"""The reconciler: an item that entered a stage and whose message the broker lost is sent again.

kombu's Redis transport takes a message off its queue (BRPOP) before it writes the message's
`unacked` entry: a connection lost in between loses the message. Our counters still know the
item entered the stage and has no outcome (the in-flight set), and its records are in the item
store (no TTL while in flight), so the item is sent into its stage again. Every stage is
idempotent and its outcome counted once, so a message found lost by mistake costs a rerun only.
"""

import base64
import binascii
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import redis
from celery import Celery

from workers import flow
from workers.send import poll_key
from workers.stats import GLOBAL, INFLIGHT, STORE_BUFFER, parse_member

log = logging.getLogger("wire.reconcile")

# Bounded work per pass: the oldest candidates first, the rest at the next pass.
MAX_CANDIDATES = 1_000
# kombu's Redis transport: the hash of delivered, unacknowledged messages, and a queue's lists
# (one per priority step, the plain name for priority 0).
UNACKED = "unacked"
PRIORITY_SEP = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)
SCAN_PAGE = 1_000
# A queue longer than this is a backlog, whose old items are waiting, not lost: its stage's
# candidates wait for a later pass instead of a read of the whole backlog every interval.
MAX_SCAN = 50_000
LOCK = "wire:reconcile:lock"
LOCK_SECONDS = 300
Candidate = tuple[str, str | None, str]  # stage, run, item


def reconcile(app: Celery, client: redis.Redis, older_than: float, *, fused: bool) -> int:
    """Send again each item in flight longer than `older_than` s with no message; how many."""
    # Articles parked for a batched store whose flush was lost (a killed flusher, its timer gone
    # with no article parked since) are written by a flush sent here.
    if client.exists(STORE_BUFFER):
        app.send_task(flow.STORE_FLUSH_TASK)
    # One pass at a time fleet-wide (beat and `wire ingest --once` may overlap); the expiry
    # frees the lock of a pass whose process died.
    if not client.set(LOCK, "1", nx=True, ex=LOCK_SECONDS):
        return 0
    try:
        return _pass(app, client, older_than, fused)
    finally:
        client.delete(LOCK)


def _pass(app: Celery, client: redis.Redis, older_than: float, fused: bool) -> int:
    now = int(client.time()[0])
    members = client.zrangebyscore(INFLIGHT, "-inf", now - older_than, 0, MAX_CANDIDATES)
    if not members:
        return 0
    names = [m.decode() if isinstance(m, bytes) else str(m) for m in members]
    candidates = {name: parse_member(name) for name in names}
    queues = {q for stage, _, _ in candidates.values() for q in _queues_of(stage, fused)}
    alive, unread = _items_with_messages(client, queues)
    lost = [
        member
        for member, (stage, _, item) in candidates.items()
        if item not in alive and not unread.intersection(_queues_of(stage, fused))
    ]
    # An item whose outcome came while the queues were read has left the set: not lost.
    scores = client.zmscore(INFLIGHT, lost) if lost else []
    sent = 0
    for member, score in zip(lost, scores, strict=True):
        if score is not None:
            _send_again(app, client, (member, now), candidates[member], fused)
            sent += 1
    return sent


def _queues_of(stage: str, fused: bool) -> tuple[str, ...]:
    """The queues a message of an item in `stage` may wait in (the fused task's too)."""
    if fused and stage in flow.FUSED_STAGES[1:]:
        return (stage, flow.FUSED_STAGES[0])
    return (stage,)


def _items_with_messages(client: redis.Redis, queues: Iterable[str]) -> tuple[set[str], set[str]]:
    """Items with a message queued or held unacked, and the queues too long to read through."""
    alive = set(_unacked_items(client))
    unread: set[str] = set()
    for queue in queues:
        for key in (queue, *(f"{queue}{PRIORITY_SEP}{step}" for step in PRIORITY_STEPS[1:])):
            if client.llen(key) > MAX_SCAN:
                unread.add(queue)
                continue
            alive.update(_listed_items(client, key))
    # Read again: a message delivered while the lists were read moved from a list to the hash.
    alive.update(_unacked_items(client))
    return alive, unread


def _unacked_items(client: redis.Redis) -> Iterator[str]:
    for raw in client.hvals(UNACKED):
        envelope = _loads(raw)
        if isinstance(envelope, list) and envelope:
            yield from message_items(envelope[0])


def _listed_items(client: redis.Redis, key: str) -> Iterator[str]:
    for start in range(0, MAX_SCAN, SCAN_PAGE):
        page = client.lrange(key, start, start + SCAN_PAGE - 1)
        for raw in page:
            yield from message_items(_loads(raw))
        if len(page) < SCAN_PAGE:
            return


def _loads(raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def message_items(message: Any) -> list[str]:
    """The item ids a kombu message (JSON body, protocol 2) is about; none if unreadable."""
    try:
        args = json.loads(base64.b64decode(message["body"]))[0]
    except (KeyError, TypeError, ValueError, IndexError, binascii.Error):
        return []
    if not isinstance(args, list) or not args:
        return []
    first = args[0]
    if isinstance(first, str):
        return [first]
    if isinstance(first, list) and first and all(isinstance(i, list) and i for i in first):
        return [str(i[0]) for i in first]  # a fused batch: [item, run] pairs
    poll_id = args[1] if len(args) > 1 else None
    if isinstance(first, int) and isinstance(poll_id, str):
        return [poll_key(first, poll_id)]  # one poll: feed id, poll id, run
    if isinstance(first, list) and isinstance(poll_id, str):
        return [poll_key(f, poll_id) for f in first if isinstance(f, int)]  # a poll batch
    return []


def _send_again(
    app: Celery, client: redis.Redis, entry: tuple[str, int], found: Candidate, fused: bool
) -> None:
    """Send the item into its stage again, restart its clock and count it."""
    (member, now), (stage, run_id, item) = entry, found
    if stage == "poll":
        feed, _, poll_id = item.removeprefix("feed-").partition(":")
        app.send_task(flow.task_name("poll"), args=[int(feed), poll_id, run_id], queue="poll")
    elif fused and stage in flow.FUSED_STAGES:
        # A later fused stage's input (article, verdict) lived in the lost task's memory only;
        # the fused task reruns from the page, and the stages already counted count nothing.
        first = flow.FUSED_STAGES[0]
        app.send_task(flow.FUSED_TASK, args=[item, run_id], queue=first)
    else:
        app.send_task(flow.task_name(stage), args=[item, run_id], queue=stage)
    with client.pipeline(transaction=False) as pipe:
        pipe.zadd(INFLIGHT, {member: now}, xx=True)
        pipe.hincrby(GLOBAL, f"{stage}:reconciled", 1)
        pipe.execute()
    log.warning("message lost, item sent again", extra={"stage": stage, "item_id": item})


def every(seconds: float, call: Callable[[], object]) -> Callable[[], None]:
    """A callable that runs `call` at most once every `seconds` (a beat for a loop's ticks)."""
    last = time.monotonic()

    def tick() -> None:
        nonlocal last
        if time.monotonic() - last >= seconds:
            last = time.monotonic()
            call()

    return tick
