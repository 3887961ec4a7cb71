"""The `wire` command line contract, run as real processes."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from pipeline.db import make_engine
from pipeline.models import ArticleRow
from tests.conftest import FIXTURES
from tests.e2e.conftest import Wire
from workers.sample_sites import Site

pytestmark = pytest.mark.e2e

EXPORT_FIELDS = {
    "id", "url", "canonical_url", "feed_url", "title", "authors", "published_at", "language",
    "text", "agency", "story_id", "duplicate_of", "topics", "countries", "regions",
    "organizations",
}  # fmt: skip
EXTRACT_FIELDS = {
    "path", "url", "canonical_url", "title", "authors", "published_at", "language", "text",
    "agency", "dateline", "tags", "word_count",
}  # fmt: skip


def _feeds_file(sites: list[Site], path: Path) -> Path:
    path.write_text("".join(f"{site.base_url}/feed.xml\n" for site in sites))
    return path


def test_feeds_commands_add_import_list_export_and_remove(wire: Wire, tmp_path: Path) -> None:
    assert (
        "2 added" in wire("feeds", "add", "https://a.example/feed", "https://b.example/rss").stdout
    )
    refused = wire("feeds", "add", "ftp://c.example/feed")
    assert refused.returncode == 1
    assert "not an http(s) URL" in refused.stderr
    opml = tmp_path / "mine.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        '<outline xmlUrl="https://c.example/atom"/><outline xmlUrl="https://a.example/feed"/>'
        "</body></opml>"
    )
    assert "1 added, 1 already registered" in wire("feeds", "import", str(opml)).stdout
    listed = json.loads(wire("feeds", "list", "--format", "json").stdout)
    assert [row["url"] for row in listed] == [
        "https://a.example/feed", "https://b.example/rss", "https://c.example/atom",
    ]  # fmt: skip
    assert {row["status"] for row in listed} == {"new"}
    exported = wire("feeds", "export").stdout
    assert exported.count("<outline") == 3
    assert wire("feeds", "remove", "https://b.example/rss").returncode == 0
    assert wire("feeds", "remove", "https://b.example/rss").returncode == 1
    assert "https://b.example/rss" not in wire("feeds", "list").stdout


def test_extract_prints_one_json_line_per_saved_page(wire: Wire) -> None:
    pages = [
        FIXTURES / "pages" / "globalsouth-kremlin.html",
        FIXTURES / "pages" / "corpus" / "reuters.com.parasite.html.gz",
    ]
    result = wire("extract", *map(str, pages))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["path"] for row in rows] == [str(p) for p in pages]
    assert all(row.keys() >= EXTRACT_FIELDS for row in rows)
    assert rows[0]["agency"] == "Reuters"
    assert rows[0]["authors"] == ["Dmitry Antonov", "Guy Faulconbridge"]
    assert rows[1]["authors"] == ["Jill Serjeant"]
    assert rows[1]["word_count"] > 200


def test_export_gives_every_field_of_the_contract(
    wire: Wire, sites: list[Site], tmp_path: Path
) -> None:
    assert (
        wire("ingest", "--once", "--feeds", str(_feeds_file(sites, tmp_path / "f.txt"))).returncode
        == 0
    )
    rows = [json.loads(line) for line in wire("export").stdout.splitlines()]
    assert len(rows) == 7
    assert all(row.keys() >= EXPORT_FIELDS for row in rows)
    kremlin = [row for row in rows if "NATO" in (row["title"] or "")]
    assert len({row["story_id"] for row in kremlin}) == 1
    assert all(row["countries"] and row["topics"] for row in kremlin)


def test_exhausted_retries_become_a_dead_letter_that_replay_sends_back(
    wire: Wire, sites: list[Site], tmp_path: Path
) -> None:
    sites[0].extra_links.append("/unavailable/story")
    feeds = _feeds_file(sites, tmp_path / "f.txt")
    result = wire("ingest", "--once", "--feeds", str(feeds))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fetch:failed:http-503: 1" in result.stdout
    assert "dead letters: 1 waiting" in wire("status").stdout
    assert "1 dead letters sent back" in wire("replay").stdout
    assert "dead letters: 0 waiting" in wire("status").stdout


def _stored(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(ArticleRow)) or 0
    except OperationalError:
        return 0  # `wire run` has not created the schema yet
    finally:
        engine.dispose()


def test_run_polls_the_feeds_file_on_schedule_until_stopped(
    wire: Wire, sites: list[Site], tmp_path: Path
) -> None:
    env = {
        **wire.env,
        "WIRE_FEEDS_FILE": str(_feeds_file(sites, tmp_path / "feeds.txt")),
        "WIRE_BEAT_TICK_SECONDS": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "run"], env=env, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _stored(env["WIRE_DATABASE_URL"]) < 7:
            time.sleep(1)
        assert _stored(env["WIRE_DATABASE_URL"]) == 7
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=90)
    assert code == 0
