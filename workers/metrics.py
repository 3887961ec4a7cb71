"""Prometheus metrics of the pipeline, read from the Redis counters and the database on scrape.

Nothing is counted twice: the stage counters are the ones `wire status` and `wire ingest` read
(exactly one outcome per item per stage, kept in Redis by workers.stats); this module only
translates them at scrape time, so any number of exporters report the same fleet-wide figures.
"""

import argparse
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from prometheus_client import start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import get_settings
from pipeline.models import DeadLetter, Feed
from workers import flow
from workers.cli_fleet import prepare
from workers.resources import resources
from workers.stats import OUTCOMES, STORE_BUFFER, Stats

# "reconciled": items sent into a stage again after the broker lost their message.
EVENTS = ("in", *OUTCOMES, "retried", "reconciled")


@dataclass(frozen=True)
class FeedState:
    """What the exporter shows of one feed."""

    url: str
    last_new_entry_at: datetime | None
    added_at: datetime
    failure_score: float


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they are stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def stage_metrics(client: redis.Redis) -> Iterator[Metric]:
    """Items in, out, dropped (by reason), failed, errors and retries per stage."""
    stats = Stats(client)
    counts = stats.read()
    items = CounterMetricFamily(
        "wire_stage_items",
        "Items by stage and event (in, out, dropped, failed, error, retried, reconciled)",
        labels=["stage", "event"],
    )  # fmt: skip
    for stage in flow.STAGES:
        for event in EVENTS:
            items.add_metric([stage, event], counts.get(stage, event))
    yield items
    reasons = CounterMetricFamily(
        "wire_stage_outcome_reasons", "Dropped and failed items by stage, outcome and reason",
        labels=["stage", "outcome", "reason"],
    )  # fmt: skip
    for key, count in sorted(stats.reasons().items()):
        stage, outcome, reason = key.split(":", 2)
        reasons.add_metric([stage, outcome, reason], count)
    yield reasons


def queue_metrics(client: redis.Redis) -> Iterator[Metric]:
    """Messages waiting in each queue, and messages delivered but not yet acknowledged."""
    depth = GaugeMetricFamily("wire_queue_depth", "Messages waiting per queue", labels=["queue"])
    for queue in flow.QUEUES:
        depth.add_metric([queue], int(client.llen(queue)))
    yield depth
    yield GaugeMetricFamily(
        "wire_messages_unacked", "Messages held by workers (kombu's unacked hash)",
        value=int(client.hlen("unacked")),
    )  # fmt: skip
    yield GaugeMetricFamily(
        "wire_store_parked", "Articles waiting in Redis for a batched store (leased ones too)",
        value=int(client.zcard(STORE_BUFFER)),
    )  # fmt: skip


def feed_states(session: Session) -> list[FeedState]:
    """Every feed's last new entry and failure score."""
    rows = session.execute(
        select(Feed.url, Feed.last_new_entry_at, Feed.added_at, Feed.failure_score)
    )
    return [FeedState(*row) for row in rows]


def feed_seconds_since_new(feeds: Iterable[FeedState], now: datetime) -> dict[str, float]:
    """Seconds since each feed's last new entry (since it was added, if it never had one)."""
    return {f.url: max(0.0, (now - _utc(f.last_new_entry_at or f.added_at)).total_seconds())
            for f in feeds}  # fmt: skip


def feed_metrics(feeds: Iterable[FeedState], now: datetime) -> Iterator[Metric]:
    """Per feed: seconds since its last new entry (since it was added, if none) and its score."""
    since = GaugeMetricFamily(
        "wire_feed_seconds_since_new_entry", "Seconds since the feed's last new entry",
        labels=["feed"],
    )  # fmt: skip
    score = GaugeMetricFamily(
        "wire_feed_failure_score", "The feed's graded failure score (0 = healthy)", labels=["feed"]
    )
    feeds = list(feeds)
    for url, seconds in feed_seconds_since_new(feeds, now).items():
        since.add_metric([url], seconds)
    for feed in feeds:
        score.add_metric([feed.url], feed.failure_score)
    yield since
    yield score


def dead_letter_count(session: Session) -> int:
    """Dead letters waiting for `wire replay`."""
    query = select(func.count()).where(DeadLetter.replayed_at.is_(None))
    return int(session.scalar(query) or 0)


class PipelineCollector(Collector):
    """Reads the fleet's state on each scrape; with `feeds`, one series per feed."""

    def __init__(self, client: redis.Redis, sessions: sessionmaker[Session], feeds: bool) -> None:
        self._redis, self._sessions, self._feeds = client, sessions, feeds

    def collect(self) -> Iterator[Metric]:
        """Every metric family, read now."""
        yield from stage_metrics(self._redis)
        yield from queue_metrics(self._redis)
        with self._sessions() as session:
            yield GaugeMetricFamily(
                "wire_dead_letters", "Dead letters waiting for replay",
                value=dead_letter_count(session),
            )  # fmt: skip
            if self._feeds:
                yield from feed_metrics(feed_states(session), datetime.now(UTC))


def registry_for(
    client: redis.Redis, sessions: sessionmaker[Session], feeds: bool = True
) -> CollectorRegistry:
    """A registry holding only the pipeline's collector (no process metrics of the exporter)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PipelineCollector(client, sessions, feeds))
    return registry


def serve(args: argparse.Namespace) -> int:
    """`wire metrics`: the Prometheus exporter, until stopped."""
    prepare(get_settings())
    res = resources()
    registry = registry_for(res.redis, res.sessions, feeds=not args.no_feeds)
    start_http_server(args.port, addr=args.address, registry=registry)
    print(f"metrics on http://{args.address}:{args.port}/metrics", flush=True)
    while True:
        time.sleep(3600)


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add `wire metrics` to the `wire` parser."""
    cmd = sub.add_parser("metrics", help="Prometheus exporter of stage, queue and feed metrics")
    cmd.add_argument("--port", type=int, default=9808)
    cmd.add_argument("--address", default="127.0.0.1")
    cmd.add_argument("--no-feeds", action="store_true", help="leave out the per-feed series")
    cmd.set_defaults(handler=serve)
