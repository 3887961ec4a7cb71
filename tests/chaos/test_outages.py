"""Redis restarted and the database unreachable for 30 seconds, each in the middle of an ingest."""

import time
from pathlib import Path

import pytest
import redis
from sqlalchemy.engine import make_url

from pipeline.db import upgrade
from tests.chaos.harness import (
    Fleet,
    Ledger,
    PersistentRedis,
    Run,
    TcpProxy,
    reconciler_of,
    running,
    stored_urls,
    worker_env,
)
from tests.chaos.sites import NewsSite, serve
from workers.stats import Stats

OUTAGE_SECONDS = 30


def _wait_for(check: "object", timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the ingest never got going"
        time.sleep(0.2)


def _polled(run: Run, feeds: int) -> bool:
    counts = Stats(run.redis()).read()
    return counts.get("poll", "out") + counts.get("poll", "dropped") >= feeds


def _lose_one_message(client: redis.Redis) -> str:
    """Take a waiting message away, as the transport loses one between BRPOP and `unacked`."""
    for queue in ("clean", "fetch"):
        if client.rpop(queue) is not None:
            return queue
    raise AssertionError("no message waiting in the clean or fetch queue")


@pytest.mark.slow
def test_redis_restart_mid_ingest_resumes_and_stores_each_article_once(
    chaos_redis: PersistentRedis, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'wire.db'}"
    upgrade(database)
    # Messages a worker held when Redis went away come back after the visibility timeout; one
    # the transport lost between taking it and recording it unacked, through the reconciler.
    env = worker_env(chaos_redis.url, database, tmp_path / "var", WIRE_VISIBILITY_TIMEOUT="60",
                     WIRE_RETRY_BACKOFF_MAX="10", WIRE_RECONCILE_AFTER="60",
                     WIRE_RECONCILE_INTERVAL="10")  # fmt: skip
    run, fleet = Run(env), Fleet(env, tmp_path / "logs")
    with serve(NewsSite(feeds=3, per_feed=60, poison={})) as site, running(fleet, "io", "cpu"):
        run.send_polls(site.feed_urls())
        # After the polls: a poll redelivered after the restart would send the lost item again
        # itself (its entries are marked seen only once all are sent), not the reconciler.
        _wait_for(lambda: len(stored_urls(database)) >= 20 and _polled(run, 3), 120)
        # The loss is rare (1 run in several): made certain here, the reconciler must find it.
        lost_from = _lose_one_message(run.redis())
        chaos_redis.stop()
        time.sleep(3)
        chaos_redis.start()
        back = time.monotonic()
        # A worker may exit on the lost connection (kombu's reconnect is not bullet-proof):
        # its supervisor starts it again, and its unacknowledged messages come back.
        reconciler = reconciler_of(run)

        def tick() -> None:
            fleet.revive()
            reconciler()

        assert run.wait(400, tick), f"still in flight: {run.in_flight()}"
        ledger = Ledger.count("redis-restart", site.article_urls(), stored_urls(database),
                              time.monotonic() - back)  # fmt: skip
        counters = Stats(run.redis()).read().values
    ledger.record()
    print(f"workers restarted after the Redis restart: {fleet.revived}")
    again = {k: v for k, v in counters.items() if k.endswith(":reconciled")}
    print(f"one message lost from {lost_from}; sent again by the reconciler: {again}")
    assert (ledger.lost, ledger.duplicated) == (0, 0)
    assert sum(again.values()) >= 1


# About 65-80 s on a loaded 2-core machine: it runs in `make test` (see decisions, issue 7).
def test_database_unreachable_for_30_seconds_then_every_article_is_stored(
    chaos_redis: PersistentRedis, postgres_db: str, tmp_path: Path
) -> None:
    upgrade(postgres_db)
    url = make_url(postgres_db)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
    # Short backoffs keep the test short; 30 of them still outlast the outage.
    env = worker_env(chaos_redis.url, through_proxy, tmp_path / "var",
                     WIRE_RETRY_BACKOFF_MAX="8", WIRE_STORE_RETRY_MAX="30")  # fmt: skip
    run, fleet = Run(env), Fleet(env, tmp_path / "logs")
    with serve(NewsSite(feeds=3, per_feed=60, poison={})) as site, running(fleet, "io", "cpu"):
        run.send_polls(site.feed_urls())
        _wait_for(lambda: len(stored_urls(postgres_db)) >= 10, 120)
        proxy.stop()
        time.sleep(OUTAGE_SECONDS)
        proxy.start()
        back = time.monotonic()
        assert run.wait(400), f"still in flight: {run.stuck()}"
        ledger = Ledger.count("database-outage-30s", site.article_urls(),
                              stored_urls(postgres_db), time.monotonic() - back)  # fmt: skip
        retried = int(run.redis().hget("wire:stats", "store:retried") or 0)
    proxy.stop()
    ledger.record()
    assert (ledger.lost, ledger.duplicated) == (0, 0)
    assert retried > 0, "the outage never reached the store stage"
