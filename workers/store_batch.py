"""Articles stored in batches across tasks: parked in Redis, then many written in one transaction.

The fused task parks an item: its three store inputs go to the item store and its member to the
buffer, a sorted set scored by the time the item is due (parked + WIRE_STORE_BATCH_WAIT). Its
message is acked with the item still in flight in the store stage; the records in Redis are what
the task would otherwise have kept. A flush leases up to WIRE_STORE_BATCH_SIZE members (their
score moves LEASE_SECONDS ahead), writes them with `store_many` in one transaction, counts each
one's outcome and removes them. No row waits on one process: members of a flusher that died are
taken again by the next flush once the lease ends (the store is idempotent), and an item whose
member was lost is still in flight, where the reconciler finds it and sends it to `wire.store`.

A flush runs when the parked members that are not leased fill a batch (in the parking task), in a
`wire.store_flush` timer task one wait after the first park of a spell (it writes everything
parked, so a steady flow of articles costs one timer task per wait, not one per article) and at
every reconciler tick.
"""

import logging
import math
import time
import uuid
from typing import Any, cast

import redis

from pipeline.errors import Retryable
from pipeline.records import (
    Article,
    Classification,
    DedupVerdict,
    FeedEntry,
    FetchedPage,
    StoredArticle,
)
from pipeline.store import database_errors_are_transient, store_many
from workers import flow
from workers.app import app
from workers.base import send_to_own_task
from workers.items import ItemStore, encode, item_key
from workers.resources import Resources, resources
from workers.stats import CPU_FIELD, GLOBAL, Stats, run_key
from workers.stats import STORE_BUFFER as BUFFER
from workers.tasks import store_task

log = logging.getLogger("wire.stage")

# The timer holds its flush task's token and lives as long as the task's countdown. A task that
# waits behind a busy worker's queue past it finds another token there and arms nothing, so
# chains of timer tasks never pile up (each re-arming itself, they once came to one flush task
# per article); a lost task (its worker killed) holds back the next timer only that long.
TIMER = "wire:store:flush-timer"
# Far longer than a batch takes to write (tens of ms): a lease that ends while its flusher still
# writes costs a second write of the same rows, never a lost one; a dead flusher's batch waits
# this long for the next flush.
LEASE_SECONDS = 30
INPUTS = (Article, DedupVerdict, Classification)
Member = tuple[str | None, str]  # run, item

_NOW = "local now = redis.call('TIME')\nlocal t = tonumber(now[1]) + tonumber(now[2]) / 1e6\n"
_LEASE = "for _, m in ipairs(ready) do redis.call('ZADD', KEYS[1], t + tonumber(ARGV[2]), m) end\n"
# The whole park in one call (one command instead of eight: a row's client CPU is mostly Redis
# commands). KEYS: buffer, timer, the article's, verdict's and labels' keys, the entry's and the
# page's keys, the global counters, the run's counters ('' for none). ARGV: batch size, lease,
# member, wait, the three records, the CPU field, the park's CPU us, the timer's token and its
# life in ms. Returns {timer armed, members leased} (the members only when the parked, unleased
# ones fill a batch).
_PARK = (
    _NOW
    + """
for i = 3, 5 do redis.call('SET', KEYS[i], ARGV[i + 2]) end
redis.call('DEL', KEYS[6], KEYS[7])
if ARGV[9] ~= '0' then
  redis.call('HINCRBY', KEYS[8], ARGV[8], ARGV[9])
  if KEYS[9] ~= '' then redis.call('HINCRBY', KEYS[9], ARGV[8], ARGV[9]) end
end
local horizon = t + tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], 'NX', horizon, ARGV[3])
local armed = 0
if redis.call('SET', KEYS[2], ARGV[10], 'NX', 'PX', ARGV[11]) then
  armed = 1
end
if redis.call('ZCOUNT', KEYS[1], '-inf', horizon) < tonumber(ARGV[1]) then return {armed} end
local ready = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', horizon, 'LIMIT', 0, ARGV[1])
"""
    + _LEASE
    + "return {armed, unpack(ready)}\n"
)
# KEYS: buffer. ARGV: batch size, lease, ahead. Leases and returns the members due within
# `ahead` seconds.
_CLAIM = (
    _NOW
    + "local horizon = t + tonumber(ARGV[3])\n"
    + "local ready = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', horizon, 'LIMIT', 0, ARGV[1])\n"
    + _LEASE
    + "return ready\n"
)
# KEYS: buffer, timer. ARGV: token, wait ms. Unless a timer is armed, arms one for the
# earliest member, or one wait ahead if that is later (a lease of a live flusher ends later);
# its delay in ms, or -1.
_ARM = (
    _NOW
    + """
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #first == 0 then return -1 end
local delay = math.max(math.min(math.ceil((tonumber(first[2]) - t) * 1000), ARGV[2]), 50)
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', delay) then
  return delay
end
return -1
"""
)
# KEYS: timer. ARGV: token. Deletes the timer when it is this token's; 1 when it was.
_DISARM = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
_DISARM += "return 0\n"


def _member(run_id: str | None, item_id: str) -> str:
    return f"{run_id or '-'}|{item_id}"


def _parse(raw: bytes | str) -> Member:
    run, item = (raw.decode() if isinstance(raw, bytes) else raw).split("|", 1)
    return (None if run == "-" else run), item


def park(record: StoredArticle, run_id: str | None, res: Resources) -> None:
    """Keep the item's store inputs in Redis and its member in the buffer; flush a full batch."""
    started = time.thread_time()
    settings, item_id = res.settings, record.article.item_id
    wait = settings.store_batch_wait
    keys = [BUFFER, TIMER, *(item_key(item_id, kind) for kind in INPUTS)]
    keys += [item_key(item_id, FeedEntry), item_key(item_id, FetchedPage)]
    keys += [GLOBAL, run_key(run_id) if run_id else ""]
    # Read back within a second or so: not worth compressing (0.07 ms of CPU a row).
    parts = [encode(part, compress=False) for part in _parts(record)]
    args: list[str | int | float | bytes] = [
        settings.store_batch_size,
        LEASE_SECONDS,
        _member(run_id, item_id),
        wait,
        *parts,
    ]
    # The parking's own CPU, counted now: the flush counts its share when the row is written.
    args += [f"store:{CPU_FIELD}", round((time.thread_time() - started) * 1e6)]
    token = uuid.uuid4().hex
    args += [token, math.ceil(wait * 1000)]
    armed, *ready = cast(list[Any], res.redis.register_script(_PARK)(keys, args))
    if armed:
        flush_task.apply_async(args=(token,), countdown=wait)
    if ready:
        write([_parse(m) for m in ready], res)


def _parts(record: StoredArticle) -> tuple[Article, DedupVerdict, Classification]:
    """The store inputs in the order of INPUTS."""
    return record.article, record.dedup, record.classification


def write(members: list[Member], res: Resources) -> None:
    """Store leased members in one transaction, count their outcomes and let them go."""
    started = time.thread_time()
    records, missing, unreadable = _load(members, res.items)
    taken = [member for member, _ in records]
    try:
        with database_errors_are_transient(), res.sessions.begin() as session:
            store_many([record for _, record in records], session)
    except Exception as exc:  # each item to the store task: its own retries and dead letter
        log.warning("batch of %d handed to %s: %r", len(taken), store_task.name, exc,
                    exc_info=not isinstance(exc, Retryable))  # fmt: skip
        unreadable, taken = unreadable + [(m, exc) for m in taken], []
    share = (time.thread_time() - started) / max(len(taken), 1)
    _count(res, taken, "out", "", share)
    _count(res, missing, "dropped", "item-expired", 0.0)
    for (run_id, item_id), error in unreadable:
        send_to_own_task(store_task, item_id, run_id, error)
    if unreadable:
        res.redis.zrem(BUFFER, *(_member(*member) for member, _ in unreadable))


def _load(members: list[Member], items: ItemStore) -> tuple[
    list[tuple[Member, StoredArticle]], list[Member], list[tuple[Member, Exception]]
]:  # fmt: skip
    """The members' records, the members whose records are gone, and those that do not load."""
    ids = [item_id for _, item_id in members]
    raws = [items.raw_each(ids, kind) for kind in INPUTS]  # one round trip per kind
    loaded: list[tuple[Member, StoredArticle]] = []
    missing: list[Member] = []
    unreadable: list[tuple[Member, Exception]] = []
    for member, (article, dedup, labels) in zip(members, zip(*raws, strict=True), strict=True):
        if article is None or dedup is None or labels is None:
            missing.append(member)
            continue
        try:
            # Each part is validated as it is read; the whole needs no second validation.
            record = StoredArticle.model_construct(
                article=Article.model_validate_json(article),
                dedup=DedupVerdict.model_validate_json(dedup),
                classification=Classification.model_validate_json(labels),
            )
        except ValueError as exc:  # pydantic's ValidationError: the store task dead-letters it
            unreadable.append((member, exc))
            continue
        loaded.append((member, record))
    return loaded, missing, unreadable


def _count(res: Resources, members: list[Member], outcome: str, reason: str, cpu: float) -> None:
    """Each member's store outcome, its records gone, then out of the buffer (one round trip)."""
    if not members:
        return
    runs: dict[str | None, list[str]] = {}
    for run_id, item_id in members:
        runs.setdefault(run_id, []).append(item_id)
    with res.redis.pipeline(transaction=False) as pipe:
        stats = Stats(pipe)
        for run_id, item_ids in runs.items():  # one call per run: most batches hold one
            stats.outcome_each("store", item_ids, run_id, outcome, reason, cpu_seconds=cpu)
        # Nothing reads them again (a stray store task finds them gone and counts nothing: the
        # outcome is counted here), and kept for the TTL they would hold an hour of articles in
        # Redis. The page went when the item was parked.
        pipe.delete(*(item_key(item_id, kind) for _, item_id in members for kind in INPUTS))
        pipe.zrem(BUFFER, *(_member(run, item) for run, item in members))
        pipe.execute()


def flush_due(res: Resources, ahead: float = 0.0) -> int:
    """Write every parked member due within `ahead` seconds, a batch at a time; how many."""
    size, taken = res.settings.store_batch_size, 0
    while True:
        raw = cast(list[Any], res.redis.eval(_CLAIM, 1, BUFFER, size, LEASE_SECONDS, ahead))
        if raw:
            write([_parse(m) for m in raw], res)
            taken += len(raw)
        if len(raw) < size:
            return taken


def parked(client: redis.Redis) -> int:
    """Members in the buffer, leased or not."""
    return int(client.zcard(BUFFER))


@app.task(name=flow.STORE_FLUSH_TASK)
def flush_task(token: str | None = None) -> int:
    """The buffer's timer: write what is parked (due within one wait), then arm it for the rest.

    Only the task of the armed timer (its token) disarms it, and any flush arms it only when none
    is armed: there is one chain of timer tasks at a time. A timer task killed while it wrote is
    delivered again with a token it already spent; it still arms the timer when none is, or the
    batch its dead run had leased would wait for the reconciler.
    """
    res = resources()
    if token is not None:
        res.redis.eval(_DISARM, 1, TIMER, token)
    # Everything parked is taken, not only what is due: the members parked since the timer was
    # armed would each come due a moment later, and a timer armed for each would write them one
    # by one (under steady load, one flush task per article). Members leased by a live flusher
    # are taken only when their lease is within one wait of its end.
    taken = flush_due(res, ahead=res.settings.store_batch_wait)
    _arm(res)
    return taken


def _arm(res: Resources) -> None:
    """Arm the timer for the earliest parked member, unless a timer is armed."""
    token = uuid.uuid4().hex
    wait = math.ceil(res.settings.store_batch_wait * 1000)
    delay = int(cast(int, res.redis.eval(_ARM, 2, BUFFER, TIMER, token, wait)))
    if delay >= 0:
        flush_task.apply_async(args=(token,), countdown=delay / 1000)
