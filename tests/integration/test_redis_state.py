"""Fleet-wide state in a real Redis: dedup index, stage counters, seen entries, locks."""

import pytest
import redis

from pipeline.dedup import dedup
from pipeline.errors import Drop
from pipeline.policy import DedupPolicy
from pipeline.records import Article, FeedEntry
from workers.dedup_index import RedisDedupIndex
from workers.items import ItemMissing, ItemStore
from workers.redis_state import FeedLock, SeenEntries
from workers.stats import Stats

POLICY = DedupPolicy(retention_seconds=3600)


def _article(item_id: str, url: str, text: str) -> Article:
    return Article(item_id=item_id, url=url, canonical_url=url, text=text)


def test_dedup_links_a_republished_copy_to_the_first(redis_client: redis.Redis) -> None:
    index = RedisDedupIndex(redis_client)
    first = dedup(_article("a", "http://one.example/x", "The Kremlin said."), index, POLICY)
    copy = dedup(_article("b", "http://two.example/y", "the kremlin  SAID"), index, POLICY)
    assert (first.story_id, first.duplicate_of, first.reason) == ("a", None, "new")
    assert (copy.story_id, copy.duplicate_of, copy.reason) == ("a", "a", "same-text")


def test_dedup_gives_the_same_answer_when_run_twice(redis_client: redis.Redis) -> None:
    index = RedisDedupIndex(redis_client)
    dedup(_article("a", "http://one.example/x", "Story one."), index, POLICY)
    once = dedup(_article("b", "http://two.example/y", "Story one."), index, POLICY)
    again = dedup(_article("b", "http://two.example/y", "Story one."), index, POLICY)
    assert once == again


def test_dedup_drops_a_second_item_with_the_same_canonical_url(
    redis_client: redis.Redis,
) -> None:
    index = RedisDedupIndex(redis_client)
    dedup(_article("a", "http://one.example/x", "Story one."), index, POLICY)
    with pytest.raises(Drop, match="duplicate-url"):
        dedup(_article("c", "http://one.example/x", "Story one, edited."), index, POLICY)


def test_dedup_keys_expire_after_the_retention_window(redis_client: redis.Redis) -> None:
    dedup(_article("a", "http://one.example/x", "Story."), RedisDedupIndex(redis_client), POLICY)
    ttls = [redis_client.ttl(key) for key in redis_client.keys("wire:dedup:*")]
    assert ttls
    # A generation lasts one window and its keys expire at the end of the next: two at most.
    assert all(0 < ttl <= 2 * 3600 for ttl in ttls)


def test_stats_count_each_outcome_once_per_item(redis_client: redis.Redis) -> None:
    stats = Stats(redis_client)
    assert stats.entered("fetch", "i1", "run")
    assert not stats.entered("fetch", "i1", "run")
    assert stats.outcome("fetch", "i1", "run", "dropped", "http-404")
    assert not stats.outcome("fetch", "i1", "run", "out")
    counts = stats.read("run")
    assert (counts.get("fetch", "in"), counts.get("fetch", "dropped")) == (1, 1)
    assert counts.in_flight() == 0
    assert stats.reasons("run") == {"fetch:dropped:http-404": 1}


def test_stats_in_flight_counts_items_without_outcome(redis_client: redis.Redis) -> None:
    stats = Stats(redis_client)
    stats.entered("poll", "f1", "r")
    stats.outcome("poll", "f1", "r", "out")
    stats.entered("fetch", "i1", "r")
    stats.entered("fetch", "i2", "r")
    stats.outcome("fetch", "i1", "r", "out")
    assert stats.read("r").in_flight() == 1


def test_item_store_round_trips_and_reports_missing(redis_client: redis.Redis) -> None:
    items = ItemStore(redis_client, ttl_seconds=60)
    entry = FeedEntry(item_id="i1", feed_url="http://f", link="http://f/1", title="T")
    items.save(entry)
    assert items.load("i1", FeedEntry) == entry
    assert redis_client.ttl("wire:item:i1:FeedEntry") == -1  # no TTL while in flight
    items.finish("i1")
    assert 0 < redis_client.ttl("wire:item:i1:FeedEntry") <= 60
    with pytest.raises(ItemMissing):
        items.load("i2", FeedEntry)


def test_seen_entries_recognise_a_new_guid_with_a_seen_link(
    redis_client: redis.Redis,
) -> None:
    seen = SeenEntries(redis_client, ttl_seconds=60)
    first = FeedEntry(item_id="i1", feed_url="http://f", link="http://f/1", guid="g1")
    seen.mark(seen.new_entries([first]))
    same_link = first.model_copy(update={"guid": "g2"})
    same_guid = FeedEntry(item_id="i9", feed_url="http://f", link="http://f/9", guid="g1")
    fresh = FeedEntry(item_id="i3", feed_url="http://f", link="http://f/3", guid="g3")
    assert seen.new_entries([same_link, same_guid, fresh]) == [fresh]


def test_feed_lock_admits_one_poller_at_a_time(redis_client: redis.Redis) -> None:
    lock = FeedLock(redis_client)
    assert lock.acquire(1, "a", 30)
    assert not lock.acquire(1, "b", 30)
    lock.release(1, "b")  # not the owner: the lock stays
    assert not lock.acquire(1, "b", 30)
    lock.release(1, "a")
    assert lock.acquire(1, "b", 30)


def test_a_redelivered_poll_takes_back_its_own_lock(redis_client: redis.Redis) -> None:
    # Redis went away mid-poll: the release was lost, and the poll's message comes back.
    lock = FeedLock(redis_client)
    assert lock.acquire(7, "task-1", 30)
    assert lock.acquire(7, "task-1", 120)
    assert 30 < redis_client.ttl("wire:lock:feed:7") <= 120  # held for the new poll's time
    assert not lock.acquire(7, "task-2", 30)


def test_seen_entries_recognise_a_seen_link_behind_a_tracker(redis_client: redis.Redis) -> None:
    seen = SeenEntries(redis_client, ttl_seconds=60)
    first = FeedEntry(item_id="i1", feed_url="http://f", link="http://f/news/1", guid="g1")
    seen.mark([first])
    tracked = FeedEntry(
        item_id="i2", feed_url="http://f", link="http://f/news/1?utm_source=rss#top", guid="g2"
    )
    assert seen.new_entries([tracked]) == []
