"""The exporter on a real Redis and database: the stage counters, queues and dead letters."""

from datetime import UTC, datetime

import redis
from prometheus_client import generate_latest

from pipeline.db import make_engine, session_factory, upgrade
from pipeline.models import DeadLetter
from workers.metrics import registry_for
from workers.stats import STORE_BUFFER, Stats


def test_exporter_reports_stage_counters_reasons_queues_and_dead_letters(
    redis_client: redis.Redis, sqlite_url: str
) -> None:
    upgrade(sqlite_url)
    sessions = session_factory(make_engine(sqlite_url))
    stats = Stats(redis_client)
    for item in ("a", "b", "c"):
        stats.entered("fetch", item, "run")
    stats.outcome("fetch", "a", "run", "out")
    stats.outcome("fetch", "b", "run", "dropped", "http-404")
    stats.retried("fetch")
    redis_client.hincrby("wire:stats", "fetch:reconciled", 2)
    redis_client.rpush("clean", "m1", "m2")
    redis_client.zadd(STORE_BUFFER, {"run|d": 0})
    with sessions.begin() as session:
        session.add(DeadLetter(stage="store", item_id="c", reason="x", attempts=3, payload={},
                               created_at=datetime.now(UTC), replayed_at=None))  # fmt: skip
    text = generate_latest(registry_for(redis_client, sessions)).decode()
    assert 'wire_stage_items_total{event="in",stage="fetch"} 3.0' in text
    assert 'wire_stage_items_total{event="dropped",stage="fetch"} 1.0' in text
    assert 'wire_stage_items_total{event="retried",stage="fetch"} 1.0' in text
    assert 'wire_stage_items_total{event="reconciled",stage="fetch"} 2.0' in text
    assert (
        'wire_stage_outcome_reasons_total{outcome="dropped",reason="http-404",stage="fetch"} 1.0'
        in text
    )
    assert 'wire_queue_depth{queue="clean"} 2.0' in text
    assert "wire_dead_letters 1.0" in text
    assert "wire_store_parked 1.0" in text
