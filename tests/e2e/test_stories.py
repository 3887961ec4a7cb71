"""`wire stories` after a real ingest: the demo's Reuters story and its three republishers."""

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Wire
from workers.sample_sites import Site

pytestmark = pytest.mark.e2e


def _ingest(wire: Wire, sites: list[Site], tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("".join(f"{site.base_url}/feed.xml\n" for site in sites))
    result = wire("ingest", "--once", "--feeds", str(feeds))
    assert result.returncode == 0, result.stdout + result.stderr


def test_stories_list_and_show_print_the_story_and_its_republishers(
    wire: Wire, sites: list[Site], tmp_path: Path
) -> None:
    _ingest(wire, sites, tmp_path)
    listed = wire("stories", "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    stories = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(s["copies"] for s in stories) == [1, 1, 1, 1, 3]
    kremlin = next(s for s in stories if s["copies"] == 3)
    assert kremlin["agency"] == "Reuters"
    assert len(kremlin["outlets"]) == 3
    shown = wire("stories", "show", kremlin["id"], "--format", "json")
    story = json.loads(shown.stdout)
    copies = story["republished"]
    assert [c["duplicate_of"] for c in copies] == [None, story["original_id"],
                                                   story["original_id"]]  # fmt: skip
    assert len({c["url"] for c in copies}) == 3
    assert all(c["url"].rsplit("/", 1)[-1].startswith("kremlin") for c in copies)
    table = wire("stories", "show", kremlin["id"])
    assert table.stdout.count("original") == 1
    assert table.stdout.count("copy") == 2
    assert "3 copies" in table.stdout


def test_stories_show_of_an_unknown_id_fails(wire: Wire, tmp_path: Path) -> None:
    result = wire("stories", "show", "nosuchstory")
    assert result.returncode == 1
    assert "no story nosuchstory" in result.stdout


def test_ingesting_again_adds_no_copy_to_any_story(
    wire: Wire, sites: list[Site], tmp_path: Path
) -> None:
    _ingest(wire, sites, tmp_path)
    before = wire("stories", "list", "--format", "json").stdout
    _ingest(wire, sites, tmp_path)
    assert wire("stories", "list", "--format", "json").stdout == before
