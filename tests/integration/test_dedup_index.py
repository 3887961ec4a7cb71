"""The near-duplicate index in a real Redis: stories, redelivery, concurrency and expiry."""

import gzip
import multiprocessing
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

import redis

from pipeline.clean import extract
from pipeline.dedup import dedup
from pipeline.policy import CleanLimits, DedupPolicy
from pipeline.records import Article, DedupVerdict
from tests.conftest import FIXTURES
from workers.dedup_index import RedisDedupIndex

POLICY = DedupPolicy(retention_seconds=3600)


def _text(name: str) -> str:
    raw = (FIXTURES / "pages" / name).read_bytes()
    html = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    return extract(html, None, CleanLimits()).text


def _article(item_id: str, host: str, text: str, title: str = "T") -> Article:
    url = f"http://{host}/news/{item_id}"
    return Article(item_id=item_id, url=url, canonical_url=url, title=title, text=text)


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.splitlines() if p.strip()]


def test_republished_copies_of_one_story_share_the_first_copys_story(
    redis_client: redis.Redis,
) -> None:
    index, story = RedisDedupIndex(redis_client), _text("globalsouth-kremlin.html")
    first = dedup(_article("a1", "one.test", story), index, POLICY)
    copies = [
        dedup(_article(item, host, _text(page)), index, POLICY)
        for item, host, page in [("b2", "two.test", "dailywire-kremlin.html"),
                                 ("c3", "three.test", "metro-kremlin.html")]
    ]  # fmt: skip
    assert (first.story_id, first.duplicate_of, first.reason) == ("a1", None, "new")
    assert {(c.story_id, c.duplicate_of) for c in copies} == {("a1", "a1")}


def test_changed_url_and_headline_with_the_same_text_is_the_same_story(
    redis_client: redis.Redis,
) -> None:
    index, story = RedisDedupIndex(redis_client), _text("globalsouth-kremlin.html")
    dedup(_article("a1", "one.test", story, "Kremlin satisfied"), index, POLICY)
    moved = dedup(_article("a9", "one.test", story, "Kremlin welcomes US stance"), index, POLICY)
    assert (moved.story_id, moved.reason) == ("a1", "same-text")


def test_truncated_and_updated_copies_join_the_story(redis_client: redis.Redis) -> None:
    index, story = RedisDedupIndex(redis_client), _text("globalsouth-kremlin.html")
    paragraphs = _paragraphs(story)
    dedup(_article("a1", "one.test", story), index, POLICY)
    short = dedup(_article("b2", "two.test", "\n".join(paragraphs[:9])), index, POLICY)
    extra = "\n".join(
        paragraphs + _paragraphs(_text("corpus/theguardian.com.academics.html.gz"))[:4]
    )
    longer = dedup(_article("c3", "three.test", extra), index, POLICY)
    assert (short.story_id, short.reason) == ("a1", "near-duplicate")
    assert (longer.story_id, longer.reason) == ("a1", "near-duplicate")


def test_unrelated_stories_get_stories_of_their_own(redis_client: redis.Redis) -> None:
    index = RedisDedupIndex(redis_client)
    pages = ["globalsouth-kremlin.html", "corpus/reuters.com.parasite.html.gz",
             "corpus/theguardian.com.academics.html.gz",
             "corpus/readability-nytimes-1.html.gz"]  # fmt: skip
    verdicts = [dedup(_article(f"{i:02x}", "one.test", _text(p)), index, POLICY)
                for i, p in enumerate(pages)]  # fmt: skip
    assert [v.reason for v in verdicts] == ["new"] * 4
    assert len({v.story_id for v in verdicts}) == 4


def test_short_texts_are_clustered_by_exact_text_only(redis_client: redis.Redis) -> None:
    index = RedisDedupIndex(redis_client)
    sentence = "Shares of the company rose sharply on Tuesday after results beat forecasts. "
    text = sentence * 3  # 36 words: under the similarity minimum of 50
    dedup(_article("a1", "one.test", text), index, POLICY)
    edited = dedup(_article("b2", "two.test", text + " analysts said"), index, POLICY)
    exact = dedup(_article("c3", "three.test", text.upper()), index, POLICY)
    assert (edited.story_id, edited.reason) == ("b2", "new")
    assert (exact.story_id, exact.reason) == ("a1", "same-text")


def test_a_redelivered_item_gets_the_same_verdict(redis_client: redis.Redis) -> None:
    index, story = RedisDedupIndex(redis_client), _text("globalsouth-kremlin.html")
    dedup(_article("a1", "one.test", story), index, POLICY)
    copy = _article("b2", "two.test", "\n".join(_paragraphs(story)[:12]))
    once = dedup(copy, index, POLICY)
    dedup(_article("c3", "three.test", _text("metro-kremlin.html")), index, POLICY)
    again = dedup(copy, index, POLICY)
    assert once == again
    assert once.reason == "near-duplicate"


def _claim_at_once(url: str, item_id: str, text: str, gate: Barrier, out: Queue) -> None:
    """One worker process: wait until every worker is ready, then claim a copy of the story."""
    index = RedisDedupIndex(redis.Redis.from_url(url))
    copy = _article(item_id, f"{item_id}.test", text)
    gate.wait(60)
    out.put(dedup(copy, index, POLICY).model_dump_json())


def test_workers_claiming_one_story_at_the_same_moment_make_one_story(
    redis_client: redis.Redis, redis_service: str
) -> None:
    story = _text("globalsouth-kremlin.html")
    paragraphs = _paragraphs(story)
    # Five copies, each a different cut, so some meet only through the similarity layer.
    texts = [story] + ["\n".join(paragraphs[: 8 + 2 * i]) for i in range(4)]
    ctx = multiprocessing.get_context("spawn")
    gate, out = ctx.Barrier(len(texts)), ctx.Queue()
    workers = [ctx.Process(target=_claim_at_once, args=(redis_service, f"{i:02x}aa", t, gate, out))
               for i, t in enumerate(texts)]  # fmt: skip
    for worker in workers:
        worker.start()
    verdicts = [DedupVerdict.model_validate_json(out.get(timeout=120)) for _ in workers]
    for worker in workers:
        worker.join(30)
    assert len({v.story_id for v in verdicts}) == 1
    assert sum(v.reason == "new" for v in verdicts) == 1


def test_index_entries_expire_after_the_retention_window(redis_client: redis.Redis) -> None:
    policy = DedupPolicy(retention_seconds=3)
    index, story = RedisDedupIndex(redis_client), _text("globalsouth-kremlin.html")
    dedup(_article("a1", "one.test", story), index, policy)
    assert dedup(_article("b2", "two.test", story), index, policy).story_id == "a1"
    time.sleep(6.5)  # past two windows: every generation holding a1 is gone
    assert redis_client.keys("wire:dedup:*") == []
    assert dedup(_article("c3", "three.test", story), index, policy).reason == "new"


def test_an_exact_copy_then_a_cut_of_it_both_join_the_story(redis_client: redis.Redis) -> None:
    index, story = RedisDedupIndex(redis_client), _text("globalsouth-kremlin.html")
    dedup(_article("a1", "one.test", story), index, POLICY)
    exact = dedup(_article("b2", "two.test", story.upper()), index, POLICY)
    cut = dedup(_article("c3", "three.test", "\n".join(_paragraphs(story)[:9])), index, POLICY)
    assert (exact.story_id, exact.reason) == ("a1", "same-text")
    assert (cut.story_id, cut.reason) == ("a1", "near-duplicate")


def test_every_index_key_carries_an_expiry_once_all_buckets_exist(
    redis_client: redis.Redis,
) -> None:
    # 16 band buckets and one per single kind: every bucket key exists after a few claims, the
    # counter then says so and the registry is no longer read.
    policy = DedupPolicy(retention_seconds=3600, index_buckets=16)
    index, words = RedisDedupIndex(redis_client), _text("globalsouth-kremlin.html").split()
    for i in range(40):
        text = " ".join(words[i : i + 60])
        dedup(_article(f"{i:02x}", "one.test", text), index, policy)
    keys = redis_client.keys("wire:dedup:*")
    counters = [k for k in keys if b":n:" in k]
    assert len(counters) == 1
    assert int(redis_client.get(counters[0]) or 0) == 16 + 4
    assert all(redis_client.ttl(k) > 0 for k in keys)
