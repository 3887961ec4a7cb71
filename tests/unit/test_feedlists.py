"""Feed lists: OPML, YAML and one URL a line, read and written."""

from pathlib import Path

import pytest

from config.settings import DEFAULT_FEEDS_FILE
from pipeline.errors import Drop
from pipeline.feedlists import read_feed_list, read_opml, write_opml

OPML = b"""<?xml version="1.0"?><opml version="2.0"><head/><body>
<outline text="News"><outline type="rss" text="A" xmlUrl="https://a.example/feed"/></outline>
<outline type="rss" text="B" xmlUrl=" https://b.example/rss "/></body></opml>"""


def test_read_opml_finds_nested_outlines() -> None:
    assert read_opml(OPML) == ["https://a.example/feed", "https://b.example/rss"]


def test_read_opml_refuses_entity_declarations() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body/></opml>'
    with pytest.raises(Drop, match="bad-opml"):
        read_opml(bomb)


def test_read_feed_list_reads_plain_lines_and_skips_comments(tmp_path: Path) -> None:
    path = tmp_path / "feeds.txt"
    path.write_text("# mine\nhttps://a.example/feed\n\nhttps://b.example/rss\n")
    assert read_feed_list(path) == ["https://a.example/feed", "https://b.example/rss"]


def test_opml_written_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "out.opml"
    path.write_bytes(write_opml([("https://a.example/feed", "A"), ("https://b.example/x", None)]))
    assert read_feed_list(path) == ["https://a.example/feed", "https://b.example/x"]


def test_default_feeds_file_lists_public_https_feeds() -> None:
    urls = read_feed_list(DEFAULT_FEEDS_FILE)
    assert len(urls) >= 10
    assert all(url.startswith("https://") for url in urls)
