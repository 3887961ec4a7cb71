"""Fleet-wide politeness per host in Redis: a request rate (GCRA) and a concurrency cap."""

import random
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

import httpx
import redis

from config.settings import Settings
from pipeline.errors import Drop, Retryable
from pipeline.fetch import fetch
from pipeline.records import FeedEntry, FetchedPage
from pipeline.robots import ALLOW_ALL, allowed, fetch_rules, robots_url
from workers.resources import Resources

T = TypeVar("T")
ROBOTS_TTL = 86_400  # RFC 9309 2.4: a cached robots.txt should not be used for over 24 hours
ROBOTS_RETRY = 600  # an unreachable robots.txt (5xx, timeout) is tried again after this

# One atomic step per attempt, on the Redis server's clock (the fleet's machines may disagree).
# KEYS: the host's theoretical arrival time (GCRA, burst 1) and its set of requests in flight.
# ARGV: spacing between requests (ms, 0 = no rate), concurrency cap, lease (ms), our token.
# Returns 0 when the request may go now (the slot and a lease are taken), else ms to wait.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local spacing, cap, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local mine = redis.call('ZSCORE', KEYS[2], ARGV[4])
if not mine and redis.call('ZCARD', KEYS[2]) >= cap then return 200 end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat > now then return tat - now end
if spacing > 0 then redis.call('SET', KEYS[1], now + spacing, 'PX', spacing + 60000) end
redis.call('ZADD', KEYS[2], now + lease, ARGV[4])
redis.call('PEXPIRE', KEYS[2], lease)
return 0
"""

# A 429 or 503 pushes the host's next slot out for everyone (never pulls it in).
_SLOW_DOWN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
if until_ms > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1]) + 60000)
end
return until_ms - now
"""

# Requests are spaced this much wider than 1/rate: the gate grants turns, but a request
# reaches the server after a variable delay (scheduling, connect), and two consecutive
# requests must not arrive closer than 1/rate even when the first one was the slower.
JITTER_MARGIN = 0.1
DEFAULT_SLOW_DOWN_SECONDS = 30.0


class HostBusy(BaseException):
    """The host's turn is further away than a worker slot may wait: re-queue the item.

    A BaseException on purpose: the stage wrapper counts every Exception as an outcome, and a
    deferral is not one (the item's single outcome comes when it is finally fetched).
    """

    def __init__(self, host: str, wait_seconds: float) -> None:
        super().__init__(f"{host}: next turn in {wait_seconds:.2f}s")
        self.host = host
        self.wait_seconds = wait_seconds


class HostGate:
    """Per-host rate and concurrency shared by every worker of the fleet."""

    def __init__(self, client: redis.Redis, concurrency: int, lease_seconds: float) -> None:
        self._acquire = client.register_script(_ACQUIRE)
        self._slow = client.register_script(_SLOW_DOWN)
        self._redis = client
        self._cap = concurrency
        self._lease_ms = int(lease_seconds * 1000)

    def try_acquire(self, host: str, rate: float, token: str) -> float:
        """Take the host's next turn now (returns 0.0) or say how many seconds until it comes."""
        spacing = int(1000 * (1 + JITTER_MARGIN) / rate) if rate > 0 else 0
        args: list[int | str] = [spacing, self._cap, self._lease_ms, token]
        return int(self._acquire(keys=_keys(host), args=args)) / 1000

    def acquire(self, host: str, rate: float, token: str, max_wait: float) -> None:
        """Wait (at most max_wait in all) for the host's turn; raise HostBusy past that."""
        deadline = time.monotonic() + max_wait
        while (wait := self.try_acquire(host, rate, token)) > 0:
            if time.monotonic() + wait > deadline:
                raise HostBusy(host, wait)
            time.sleep(wait)

    def release(self, host: str, token: str) -> None:
        """Give back the concurrency lease (the rate slot stays spent)."""
        self._redis.zrem(_keys(host)[1], token)

    def slow_down(self, host: str, seconds: float | None) -> float:
        """Hold every worker off the host for `seconds` (a 429/503 Retry-After); returns it."""
        wait = seconds if seconds and seconds > 0 else DEFAULT_SLOW_DOWN_SECONDS
        return int(self._slow(keys=_keys(host)[:1], args=[int(wait * 1000)])) / 1000


def new_token() -> str:
    """A token naming one request's concurrency lease."""
    return uuid.uuid4().hex


def _keys(host: str) -> list[str]:
    return [f"wire:host:{host}:tat", f"wire:host:{host}:busy"]


def polite_fetch(entry: FeedEntry, res: Resources, token: str) -> FetchedPage:
    """Fetch an entry's page, each request in its host's turn; a 429/503 slows the host down."""
    settings = res.settings
    turns = Turns(HostGate(res.redis, settings.fetch_host_concurrency, settings.total_timeout * 2),
                  settings, token)  # fmt: skip
    try:
        rules = RobotsCache(res.redis).get(entry.link) if settings.robots_txt else ALLOW_ALL
        if rules is None:  # unknown: robots.txt is fetched first, in a turn of its own
            rules = turns.slowing(lambda: _learn_rules(entry.link, res, turns))
        if not allowed(rules, settings.user_agent, entry.link):
            raise Drop("robots-disallowed", entry.link)
        return turns.slowing(lambda: fetch(entry, res.http, settings.fetch_policy(), turns))
    finally:
        turns.release()


class Turns:
    """The host turns of one fetch: taken right before each request goes out (redirects too)."""

    def __init__(self, gate: HostGate, settings: Settings, token: str) -> None:
        self.gate, self.settings, self.token = gate, settings, token
        self.hosts: list[str] = []

    def __call__(self, url: httpx.URL) -> None:
        """Wait for the host's turn (raise HostBusy when it is too far off)."""
        host = url.host
        rate = self.settings.host_rate(host)
        self.gate.acquire(host, rate, self.token, self.settings.fetch_max_wait_seconds)
        self.hosts.append(host)

    def slowing(self, call: Callable[[], T]) -> T:
        """Run a fetch; a 429 or 503 holds every worker off its host for the Retry-After."""
        try:
            return call()
        except Retryable as exc:
            if exc.reason in ("http-429", "http-503") and self.hosts:
                self.gate.slow_down(self.hosts[-1], exc.retry_after)
            raise

    def release(self) -> None:
        """Give back the concurrency leases taken."""
        for host in set(self.hosts):
            self.gate.release(host, self.token)


def _learn_rules(link: str, res: Resources, turns: Turns) -> str:
    rules, final = fetch_rules(res.http, link, res.settings.fetch_policy(), turns)
    RobotsCache(res.redis).put(link, rules, final)
    return rules


class RobotsCache:
    """robots.txt rules per site, shared by the fleet: a day when fetched, minutes when not."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def get(self, url: str) -> str | None:
        """The cached rules of the URL's site, or None when unknown."""
        raw = self._redis.get(_robots_key(url))
        if raw is None or isinstance(raw, str):
            return raw
        return raw.decode("utf-8", errors="replace")

    def put(self, url: str, rules: str, final: bool) -> None:
        """Cache rules: final ones for ROBOTS_TTL, a provisional disallow for ROBOTS_RETRY."""
        self._redis.set(_robots_key(url), rules, ex=ROBOTS_TTL if final else ROBOTS_RETRY)


def defer_countdown(busy: HostBusy, cap_seconds: int) -> float:
    """When to retry a deferred fetch: its turn plus jitter, so a crowd does not return at once."""
    spread = random.uniform(0, min(1.0, busy.wait_seconds / 4))  # noqa: S311 - jitter
    return min(busy.wait_seconds + spread, cap_seconds)


def _robots_key(url: str) -> str:
    return f"wire:robots:{robots_url(url)}"
