"""Fleet-wide state in Redis: seen entries and feed locks (host politeness: politeness.py)."""

import hashlib

import redis

from pipeline.records import FeedEntry
from pipeline.urls import canonicalize_url


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class SeenEntries:
    """Entries already taken from a feed (by GUID and by link), kept for the retention window."""

    def __init__(self, client: redis.Redis, ttl_seconds: int) -> None:
        self._redis = client
        self._ttl = ttl_seconds

    @staticmethod
    def _keys(entry: FeedEntry) -> list[str]:
        # The canonical link (trackers, AMP and fragments gone): a republished entry with a
        # fresh GUID but a known link is recognised, and so is one whose link gained a utm_.
        keys = [f"wire:seen:link:{_digest(canonicalize_url(entry.link))}"]
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
# The owner may take its own lock again: a poll whose release was lost with Redis (it went away
# mid-poll) is redelivered with the same task id, and must not find itself "polled elsewhere".
_ACQUIRE = """
local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class FeedLock:
    """One poll of a feed at a time across the fleet (SET NX EX, released by its owner)."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._acquire = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)

    def acquire(self, feed_id: int, owner: str, ttl_seconds: int) -> bool:
        """Take the feed's lock (again, for its owner); False when another poll holds it."""
        return bool(self._acquire(keys=[f"wire:lock:feed:{feed_id}"], args=[owner, ttl_seconds]))

    def release(self, feed_id: int, owner: str) -> None:
        """Give the lock back if we still hold it."""
        self._release(keys=[f"wire:lock:feed:{feed_id}"], args=[owner])
