"""Small pieces of fleet-wide state in Redis: seen entries, feed locks, host politeness."""

import hashlib
import time

import redis

from pipeline.records import FeedEntry

# Reserve the host's next slot atomically: returns ms to wait (0 = go now, slot taken).
_HOST_SLOT = """
local now = tonumber(ARGV[1])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nxt > now then return nxt - now end
redis.call('SET', KEYS[1], now + tonumber(ARGV[2]), 'PX', tonumber(ARGV[2]) + 1000)
return 0
"""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class SeenEntries:
    """Entries already taken from a feed (by GUID and by link), kept for the retention window."""

    def __init__(self, client: redis.Redis, ttl_seconds: int) -> None:
        self._redis = client
        self._ttl = ttl_seconds

    @staticmethod
    def _keys(entry: FeedEntry) -> list[str]:
        keys = [f"wire:seen:link:{entry.item_id}"]
        if entry.guid:
            keys.append(f"wire:seen:guid:{_digest(entry.feed_url + ' ' + entry.guid)}")
        return keys

    def new_entries(self, entries: list[FeedEntry]) -> list[FeedEntry]:
        """The entries whose link and GUID were both never seen."""
        if not entries:
            return []
        keys = [self._keys(e) for e in entries]
        flat = self._redis.mget([k for ks in keys for k in ks])
        found = iter(flat)
        fresh = []
        for entry, ks in zip(entries, keys, strict=True):
            if not any([next(found) for _ in ks]):
                fresh.append(entry)
        return fresh

    def mark(self, entries: list[FeedEntry]) -> None:
        """Remember entries as taken (after they were handed to the next stage)."""
        pipe = self._redis.pipeline(transaction=False)
        for entry in entries:
            for key in self._keys(entry):
                pipe.set(key, "1", ex=self._ttl)
        pipe.execute()


# Delete the lock only if we still own it (it may have expired and been taken by another).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class FeedLock:
    """One poll of a feed at a time across the fleet (SET NX EX, released by its owner)."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._release = client.register_script(_RELEASE)

    def acquire(self, feed_id: int, owner: str, ttl_seconds: int) -> bool:
        """Take the feed's lock; False when another poll holds it."""
        return bool(self._redis.set(f"wire:lock:feed:{feed_id}", owner, nx=True, ex=ttl_seconds))

    def release(self, feed_id: int, owner: str) -> None:
        """Give the lock back if we still hold it."""
        self._release(keys=[f"wire:lock:feed:{feed_id}"], args=[owner])


class HostGate:
    """Fleet-wide politeness: at most one request per host every `delay` seconds."""

    def __init__(self, client: redis.Redis, delay_seconds: float) -> None:
        self._slot = client.register_script(_HOST_SLOT)
        self._delay_ms = int(delay_seconds * 1000)

    def wait_turn(self, host: str, budget_seconds: float = 30.0) -> bool:
        """Sleep until this host's next slot is ours; False when the budget runs out first."""
        if self._delay_ms <= 0:
            return True
        deadline = time.monotonic() + budget_seconds
        while True:
            wait_ms = int(self._slot(keys=[f"wire:host:{host}"], args=[_now_ms(), self._delay_ms]))
            if wait_ms == 0:
                return True
            if time.monotonic() + wait_ms / 1000 > deadline:
                return False
            time.sleep(wait_ms / 1000)


def _now_ms() -> int:
    # Wall-clock milliseconds: every host of the fleet compares the same kind of time.
    return int(time.time() * 1000)
