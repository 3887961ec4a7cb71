"""Polling with real `wire` processes: feeds try/import/export, and a real beat and poll worker
recording good and broken feeds side by side."""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Wire
from tests.feedserver import FeedServer, feed_server
from workers import fleet

pytestmark = pytest.mark.e2e
BROKEN = {
    "html": "not-a-feed",
    "bomb": "xml-entities",
    "huge": "too-large",
    "loop": "too-many-redirects",
    "gone": "http-410",
    "silent": "timeout",
}


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """The good and broken feeds on a free port of 127.0.0.1."""
    with feed_server() as running:
        yield running


def test_feeds_try_prints_entries_and_stores_nothing(wire: Wire, server: FeedServer) -> None:
    result = wire("feeds", "try", server.url("/latin1"), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "ok"
    assert len(report["entries"]) == 40
    first = report["entries"][0]
    assert set(first) == {"title", "link", "published", "guid"}
    assert first["link"].startswith("http")
    assert not (wire.cwd / "wire.db").exists()  # the test database: nothing stored, no schema


def test_feeds_try_honours_the_private_network_setting(wire: Wire, server: FeedServer) -> None:
    wire.env["WIRE_ALLOW_PRIVATE_NETWORKS"] = "false"
    result = wire("feeds", "try", server.url("/good"), "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["status"] == "failing"
    assert report["error"].startswith("blocked-address")
    assert server.hits.get("/good") is None


def test_feeds_import_reads_opml_and_url_lists_and_export_writes_opml(
    wire: Wire, tmp_path: Path
) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body><outline text="A">'
        '<outline text="a" xmlUrl="http://a.example/feed"/></outline>'
        '<outline text="b" xmlUrl="http://b.example/rss"/></body></opml>'
    )
    lines = tmp_path / "feeds.txt"
    lines.write_text("# wires\nhttp://c.example/atom\n\nhttp://a.example/feed\n")
    assert wire("feeds", "import", str(opml)).returncode == 0
    assert wire("feeds", "import", str(lines)).stdout.startswith("1 added, 1 already")
    listed = json.loads(wire("feeds", "list", "--format", "json").stdout)
    assert [f["url"] for f in listed] == [
        "http://a.example/feed", "http://b.example/rss", "http://c.example/atom",
    ]  # fmt: skip
    assert {f["status"] for f in listed} == {"new"}
    exported = wire("feeds", "export").stdout
    assert exported.count("<outline") == 3
    assert 'xmlUrl="http://c.example/atom"' in exported


def _wait_all_polled(wire: Wire, count: int, timeout: float = 120) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        feeds = json.loads(wire("feeds", "list", "--format", "json").stdout)
        if sum(1 for f in feeds if f["last_polled_at"]) == count:
            return list(feeds)
        time.sleep(1)
    raise AssertionError(f"not every feed was polled in {timeout}s")


def test_beat_and_poll_worker_record_broken_feeds_beside_good_ones(
    wire: Wire, server: FeedServer, tmp_path: Path
) -> None:
    paths = ["/good", "/latin1", "/truncated", *(f"/{name}" for name in BROKEN)]
    (tmp_path / "feeds.txt").write_text("".join(server.url(p) + "\n" for p in paths))
    assert wire("feeds", "import", str(tmp_path / "feeds.txt")).returncode == 0
    env = {**wire.env, "WIRE_BEAT_TICK_SECONDS": "1", "WIRE_READ_TIMEOUT": "2",
           "WIRE_TOTAL_TIMEOUT": "4", "WIRE_POLL_BATCH_SIZE": "3"}  # fmt: skip
    argvs = [
        fleet.worker_argv("poll", 4, "threads", "e2e-poll"),
        [*fleet.celery_argv("beat", "-s", str(tmp_path / "beat-schedule"), "-l", "INFO")],
    ]
    with fleet.processes(argvs, log_file=tmp_path / "fleet.log", env=env):
        feeds = {str(f["url"]).rsplit("/", 1)[1]: f for f in _wait_all_polled(wire, len(paths))}
    assert [feeds[n]["status"] for n in ("good", "latin1", "truncated")] == ["ok", "ok", "warning"]
    assert feeds["good"]["entries_seen"] == 15
    for name, reason in BROKEN.items():
        assert feeds[name]["status"] == "failing"
        assert str(feeds[name]["last_error"]).startswith(reason)
        assert feeds[name]["next_poll_at"] is not None  # still scheduled, never dropped
    table = wire("feeds", "list").stdout
    assert "! too-many-redirects" in table
    assert f"{len(BROKEN)} failing" in wire("status").stdout
