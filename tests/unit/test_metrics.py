"""The Prometheus exporter's translation of feed state and counters into metric families."""

import argparse
from datetime import UTC, datetime, timedelta

from prometheus_client import generate_latest
from prometheus_client.registry import CollectorRegistry

from workers.metrics import FeedState, feed_metrics, register

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


def _samples(feeds: list[FeedState]) -> dict[tuple[str, str], float]:
    return {
        (sample.name, sample.labels["feed"]): sample.value
        for family in feed_metrics(feeds, NOW)
        for sample in family.samples
    }


def test_feed_metrics_give_seconds_since_the_last_new_entry_and_the_failure_score() -> None:
    fresh = FeedState("http://a/feed", NOW - timedelta(minutes=5), NOW - timedelta(days=3), 0.0)
    quiet = FeedState("http://b/feed", None, NOW - timedelta(hours=2), 2.5)
    samples = _samples([fresh, quiet])
    assert samples[("wire_feed_seconds_since_new_entry", "http://a/feed")] == 300
    # A feed that never had a new entry counts from the moment it was added.
    assert samples[("wire_feed_seconds_since_new_entry", "http://b/feed")] == 7200
    assert samples[("wire_feed_failure_score", "http://b/feed")] == 2.5


def test_naive_database_times_are_read_as_utc() -> None:
    naive = FeedState("http://c/feed", (NOW - timedelta(seconds=30)).replace(tzinfo=None), NOW, 0)
    assert _samples([naive])[("wire_feed_seconds_since_new_entry", "http://c/feed")] == 30


def test_feed_metrics_render_in_the_prometheus_text_format() -> None:
    class Feeds:
        def collect(self) -> object:
            return feed_metrics([FeedState("http://a/feed", NOW, NOW, 1.0)], NOW)

    registry = CollectorRegistry()
    registry.register(Feeds())  # type: ignore[arg-type]
    text = generate_latest(registry).decode()
    assert 'wire_feed_failure_score{feed="http://a/feed"} 1.0' in text
    assert "# TYPE wire_feed_seconds_since_new_entry gauge" in text


def test_wire_metrics_command_takes_a_port_and_address() -> None:
    top = argparse.ArgumentParser()
    register(top.add_subparsers())
    args = top.parse_args(["metrics", "--port", "9100", "--address", "0.0.0.0", "--no-feeds"])
    assert (args.port, args.address, args.no_feeds) == (9100, "0.0.0.0", True)
