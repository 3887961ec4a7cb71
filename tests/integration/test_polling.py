"""Polling against a local HTTP server: every broken feed recorded with its reason, none stops
the others; conditional GET, body hash and seen entries across polls."""

from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import select

from pipeline.errors import Drop, Retryable
from pipeline.http import make_client
from pipeline.models import Feed
from pipeline.policy import FetchPolicy
from pipeline.poll import poll
from pipeline.records import FeedEntry
from tests.feedserver import FeedServer, feed_server
from tests.fleet_env import fleet_env  # noqa: F401 - a fixture
from workers.polling import poll_feed
from workers.resources import resources

POLICY = FetchPolicy(allow_private_networks=True, read_timeout=1.0, total_timeout=3.0)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """The good and broken feeds on a free port of 127.0.0.1."""
    with feed_server() as running:
        yield running


def _poll(server: FeedServer, path: str, **kwargs: str | None) -> object:
    with make_client(POLICY) as client:
        return poll(client, server.url(path), POLICY, **kwargs)


@pytest.mark.parametrize(
    ("path", "error", "reason"),
    [
        ("/html", Drop, "not-a-feed"),
        ("/bomb", Drop, "xml-entities"),
        ("/huge", Drop, "too-large"),
        ("/loop", Drop, "too-many-redirects"),
        ("/gone", Drop, "http-410"),
        ("/missing", Drop, "http-404"),
        ("/silent", Retryable, "timeout"),
        ("/busy", Retryable, "http-429"),
    ],
)
def test_broken_feed_fails_with_a_clear_reason(
    server: FeedServer, path: str, error: type[Exception], reason: str
) -> None:
    with pytest.raises(error) as caught:
        _poll(server, path)
    assert getattr(caught.value, "reason", None) == reason


def test_too_many_requests_carries_the_servers_retry_after(server: FeedServer) -> None:
    with pytest.raises(Retryable) as caught:
        _poll(server, "/busy")
    assert caught.value.retry_after == 3600


def test_the_ssrf_guard_refuses_the_local_server_by_default(server: FeedServer) -> None:
    strict = FetchPolicy(allow_private_networks=False)
    with make_client(strict) as client, pytest.raises(Drop, match="blocked-address"):
        poll(client, server.url("/good"), strict)
    assert server.hits.get("/good") is None  # refused before any connection


def test_truncated_feed_keeps_its_complete_entries_and_says_it_is_broken(
    server: FeedServer,
) -> None:
    result = _poll(server, "/truncated")
    feed = result.feed  # type: ignore[attr-defined]
    assert len(feed.entries) == 5
    assert feed.bozo
    assert "CDATA" in feed.bozo_reason


def test_wrong_declared_encoding_is_recovered_and_flagged(server: FeedServer) -> None:
    feed = _poll(server, "/wrong-encoding").feed  # type: ignore[attr-defined]
    assert "CharacterEncodingOverride" in feed.bozo_reason
    assert [e.title for e in feed.entries] == ["São Paulo élection"]


def test_second_poll_sends_the_etag_and_gets_304(server: FeedServer) -> None:
    first = _poll(server, "/good")
    second = _poll(server, "/good", etag=first.etag)  # type: ignore[attr-defined]
    assert (second.status, second.not_modified) == (304, True)  # type: ignore[attr-defined]


def test_304s_and_redirects_keep_the_connection_alive(server: FeedServer) -> None:
    with make_client(POLICY) as client:
        first = poll(client, server.url("/good"), POLICY)
        for _ in range(5):
            poll(client, server.url("/good"), POLICY, etag=first.etag)
        with pytest.raises(Drop):
            poll(client, server.url("/loop"), POLICY)
    assert len(server.peers) == 1


def test_false_etags_are_caught_by_the_body_hash(server: FeedServer) -> None:
    first = _poll(server, "/false-etag")
    second = _poll(
        server,
        "/false-etag",
        etag=first.etag,  # type: ignore[attr-defined]
        content_hash=first.content_hash,  # type: ignore[attr-defined]
    )
    assert second.same_body  # type: ignore[attr-defined]
    assert second.feed is None  # type: ignore[attr-defined]


BROKEN = ["/html", "/bomb", "/huge", "/loop", "/gone", "/silent", "/busy"]
GOOD = ["/good", "/latin1", "/truncated", "/wrong-encoding"]


def _poll_all(owner: str) -> list[FeedEntry]:
    """What the poll task does for each due feed: failures are recorded, the others go on."""
    sent: list[FeedEntry] = []
    with resources().sessions() as session:
        ids = list(session.scalars(select(Feed.id).order_by(Feed.id)))
    for feed_id in ids:
        try:
            poll_feed(feed_id, owner, sent.append)
        except (Drop, Retryable):
            continue
    return sent


def _feeds() -> dict[str, Feed]:
    with resources().sessions() as session:
        return {f.url.rsplit("/", 1)[1]: f for f in session.scalars(select(Feed))}


@pytest.mark.usefixtures("fleet_env")
def test_broken_feeds_are_recorded_as_failing_and_never_stop_the_others(
    server: FeedServer, redis_client: redis.Redis
) -> None:
    from pipeline import registry

    with resources().sessions.begin() as session:
        registry.add_feeds(session, [server.url(p) for p in GOOD + BROKEN], 900)
    sent = _poll_all("test")
    feeds = _feeds()
    assert len(sent) == 15 + 40 + 5 + 1
    for name in ("good", "latin1"):
        assert (feeds[name].last_error, feeds[name].last_warning) == (None, None)
    for name in ("truncated", "wrong-encoding"):
        assert feeds[name].last_error is None
        assert (feeds[name].last_warning or "").startswith("bozo: ")
    reasons = {name: (feeds[name].last_error or "").split(":")[0] for name in feeds}
    assert {n: reasons[n] for n in ("html", "bomb", "huge", "loop", "gone", "silent", "busy")} == {
        "html": "not-a-feed", "bomb": "xml-entities", "huge": "too-large",
        "loop": "too-many-redirects", "gone": "http-410", "silent": "timeout", "busy": "http-429",
    }  # fmt: skip
    assert all(feeds[n].failure_score > 0 for n in ("html", "bomb", "silent"))
    assert feeds["good"].entries_seen == 15
    assert feeds["good"].etag == '"v1"'


@pytest.mark.usefixtures("fleet_env")
def test_second_round_sends_nothing_again(server: FeedServer, redis_client: redis.Redis) -> None:
    from pipeline import registry

    with resources().sessions.begin() as session:
        registry.add_feeds(session, [server.url(p) for p in ("/good", "/false-etag")], 900)
    assert len(_poll_all("first")) == 16
    assert _poll_all("second") == []
    feeds = _feeds()
    assert feeds["good"].recent_new == "15,0"
    assert feeds["good"].last_status == 304
    assert feeds["false-etag"].recent_new == "1,0"
    assert feeds["good"].interval_seconds >= 1200  # Cache-Control: max-age=1200 is honoured
