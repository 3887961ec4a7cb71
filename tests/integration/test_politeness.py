"""Fleet-wide host politeness in a real Redis: rate, concurrency cap, slow-down for everyone."""

import itertools
import time
from collections.abc import Iterator

import pytest
import redis

from pipeline.errors import Drop, Retryable
from pipeline.records import FeedEntry
from tests.feedserver import FeedServer, feed_server
from tests.fleet_env import fleet_env  # noqa: F401 - a fixture
from workers.politeness import (
    JITTER_MARGIN,
    HostBusy,
    HostGate,
    RobotsCache,
    defer_countdown,
    new_token,
    polite_fetch,
)
from workers.resources import resources


def test_gate_grants_one_turn_then_says_how_long_to_wait(redis_client: redis.Redis) -> None:
    gate = HostGate(redis_client, concurrency=10, lease_seconds=30)
    assert gate.try_acquire("a.example", 2.0, "t1") == 0.0
    wait = gate.try_acquire("a.example", 2.0, "t2")
    assert 0.4 < wait <= 0.5 * (1 + JITTER_MARGIN)
    assert gate.try_acquire("b.example", 2.0, "t3") == 0.0  # another host has its own rate


def test_gate_spaces_turns_at_the_configured_rate(redis_client: redis.Redis) -> None:
    gate = HostGate(redis_client, concurrency=10, lease_seconds=30)
    granted = []
    start = time.monotonic()
    for n in range(4):
        gate.acquire("a.example", 10.0, f"t{n}", max_wait=1.0)
        granted.append(time.monotonic() - start)
    gaps = [b - a for a, b in itertools.pairwise(granted)]
    assert min(gaps) >= 0.1 * (1 + JITTER_MARGIN) - 0.01


def test_gate_raises_host_busy_when_the_turn_is_beyond_the_wait(redis_client: redis.Redis) -> None:
    gate = HostGate(redis_client, concurrency=10, lease_seconds=30)
    gate.acquire("a.example", 0.1, "t1", max_wait=0.0)
    with pytest.raises(HostBusy) as busy:
        gate.acquire("a.example", 0.1, "t2", max_wait=0.5)
    assert 9.0 < busy.value.wait_seconds <= 11.0
    assert defer_countdown(busy.value, cap_seconds=5) == 5


def test_gate_caps_concurrent_requests_per_host(redis_client: redis.Redis) -> None:
    gate = HostGate(redis_client, concurrency=2, lease_seconds=30)
    assert gate.try_acquire("a.example", 0.0, "t1") == 0.0
    assert gate.try_acquire("a.example", 0.0, "t2") == 0.0
    assert gate.try_acquire("a.example", 0.0, "t3") > 0  # two in flight already
    gate.release("a.example", "t1")
    assert gate.try_acquire("a.example", 0.0, "t3") == 0.0


def test_concurrency_lease_expires_when_a_worker_dies_holding_it(redis_client: redis.Redis) -> None:
    gate = HostGate(redis_client, concurrency=1, lease_seconds=0.2)
    assert gate.try_acquire("a.example", 0.0, "dead-worker") == 0.0
    assert gate.try_acquire("a.example", 0.0, "t2") > 0
    time.sleep(0.25)
    assert gate.try_acquire("a.example", 0.0, "t2") == 0.0


def test_slow_down_holds_every_worker_off_the_host(redis_client: redis.Redis) -> None:
    one = HostGate(redis_client, concurrency=10, lease_seconds=30)
    other = HostGate(redis_client, concurrency=10, lease_seconds=30)
    assert one.slow_down("a.example", 20.0) == 20.0
    assert 19.0 < other.try_acquire("a.example", 5.0, "t1") <= 20.0
    one.slow_down("a.example", 1.0)  # a shorter Retry-After never pulls the slot back in
    assert other.try_acquire("a.example", 5.0, "t2") > 18.0


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A local site with a robots.txt that disallows /private/."""
    with feed_server() as running:
        yield running


def _entry(url: str) -> FeedEntry:
    return FeedEntry(item_id="i1", feed_url="http://f", link=url)


@pytest.mark.usefixtures("fleet_env")
def test_robots_txt_is_fetched_once_for_the_fleet_and_honoured(
    server: FeedServer, redis_client: redis.Redis
) -> None:
    page = polite_fetch(_entry(server.url("/news/1")), resources(), new_token())
    assert page.status == 200
    with pytest.raises(Drop, match="robots-disallowed"):
        polite_fetch(_entry(server.url("/private/2")), resources(), new_token())
    assert server.hits["/robots.txt"] == 1
    assert "/private/2" not in server.hits
    assert RobotsCache(redis_client).get(server.url("/news/3")) is not None


@pytest.mark.usefixtures("fleet_env")
def test_a_429_slows_the_host_down_for_everyone(
    server: FeedServer, redis_client: redis.Redis
) -> None:
    RobotsCache(redis_client).put(server.url("/"), "", final=True)
    with pytest.raises(Retryable, match="http-429"):
        polite_fetch(_entry(server.url("/busy")), resources(), new_token())
    with pytest.raises(HostBusy) as busy:
        polite_fetch(_entry(server.url("/news/1")), resources(), new_token())
    assert busy.value.wait_seconds > 3000  # the server's Retry-After: 3600
    assert "/news/1" not in server.hits


def test_a_request_holding_a_lease_is_not_blocked_by_itself(redis_client: redis.Redis) -> None:
    gate = HostGate(redis_client, concurrency=1, lease_seconds=30)
    assert gate.try_acquire("a.example", 0.0, "t1") == 0.0
    assert gate.try_acquire("a.example", 0.0, "t1") == 0.0  # its redirect hop, same host
    assert gate.try_acquire("a.example", 0.0, "t2") > 0


@pytest.mark.usefixtures("fleet_env")
def test_every_redirect_hop_takes_its_own_turn(
    server: FeedServer, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    RobotsCache(redis_client).put(server.url("/"), "", final=True)
    turns: list[str] = []
    real = HostGate.acquire
    monkeypatch.setattr(
        HostGate, "acquire", lambda self, host, *a: (turns.append(host), real(self, host, *a))
    )
    with pytest.raises(Drop, match="too-many-redirects"):
        polite_fetch(_entry(server.url("/loop")), resources(), new_token())
    assert turns == ["127.0.0.1"] * 6  # the first request and five redirects
