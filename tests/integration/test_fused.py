"""The fused CPU task on real Redis and real databases: one outcome per stage, idempotent,
a failing stage handed to its own task with its inputs saved."""

import gzip
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
from celery.exceptions import Reject
from sqlalchemy import func, select

from pipeline.errors import Retryable
from pipeline.models import ArticleRow
from pipeline.records import Article, Classification, DedupVerdict, FetchedPage
from tests.conftest import FIXTURES
from tests.fleet_env import fleet_env, store_at_once  # noqa: F401 - fixtures
from workers import fused
from workers.resources import resources
from workers.stats import Stats

pytestmark = pytest.mark.usefixtures("fleet_env", "redis_client", "store_at_once")
RUN = "run-fused"
CPU_STAGES = ("clean", "dedup", "classify", "store")


def _page(item_id: str = "item-kremlin", content_type: str = "text/html") -> FetchedPage:
    url = "http://127.0.0.1/news/kremlin"
    return FetchedPage(
        item_id=item_id, feed_url="http://127.0.0.1/feed.xml", url=url, final_url=url,
        status=200, content_type=content_type, charset="utf-8",
        body=(FIXTURES / "pages" / "dailywire-kremlin.html").read_bytes(),
        fetched_at=datetime(2025, 4, 22, tzinfo=UTC),
    )  # fmt: skip


def _process(page: FetchedPage) -> None:
    res = resources()
    res.items.save(page)
    Stats(res.redis).entered("clean", page.item_id, RUN)
    fused.process_task(page.item_id, RUN)


def _rows() -> int:
    with resources().sessions() as session:
        return session.scalar(select(func.count()).select_from(ArticleRow)) or 0


def test_fused_task_stores_the_article_with_one_outcome_per_stage() -> None:
    _process(_page())
    counts = Stats(resources().redis).read(RUN)
    assert [counts.get(s, "in") for s in CPU_STAGES] == [1, 1, 1, 1]
    assert [counts.get(s, "out") for s in CPU_STAGES] == [1, 1, 1, 1]
    assert counts.in_flight() == 0
    assert counts.cpu_seconds("clean") > 0
    assert _rows() == 1


def test_fused_task_forgets_the_page_once_stored() -> None:
    _process(_page())
    assert resources().items.raw("item-kremlin", FetchedPage) is None


def test_fused_task_run_twice_changes_nothing(redis_client: redis.Redis) -> None:
    page = _page()
    _process(page)
    first = Stats(resources().redis).read(RUN).values
    _process(page)  # a redelivered message: its page is gone, its counts are guarded
    assert Stats(resources().redis).read(RUN).values == first
    assert _rows() == 1


def test_fused_task_drop_is_the_items_one_outcome_and_later_stages_never_see_it() -> None:
    _process(_page(content_type="application/pdf"))
    counts = Stats(resources().redis).read(RUN)
    assert counts.get("clean", "dropped") == 1
    assert counts.get("dedup", "in") == 0
    assert counts.in_flight() == 0
    assert Stats(resources().redis).reasons(RUN) == {"clean:dropped:not-html": 1}
    assert resources().items.raw("item-kremlin", FetchedPage) is None


def test_each_item_of_a_batch_message_has_its_own_outcomes() -> None:
    res = resources()
    pages = [_page("a1"), _page("a2", content_type="application/pdf")]
    for page in pages:
        res.items.save(page)
        Stats(res.redis).entered("clean", page.item_id, RUN)
    fused.process_batch_task([["a1", RUN], ["a2", RUN]])
    counts = Stats(res.redis).read(RUN)
    assert (counts.get("clean", "out"), counts.get("clean", "dropped")) == (1, 1)
    assert [counts.get(s, "out") for s in CPU_STAGES[1:]] == [1, 1, 1]
    assert counts.in_flight() == 0
    assert _rows() == 1


def test_a_bug_on_one_item_of_a_batch_leaves_the_next_ones_done_and_fails_the_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    res = resources()
    res.items.save(_page("good"))
    Stats(res.redis).entered("clean", "good", RUN)
    process_item = fused.process_item

    def buggy(item_id: str, run_id: str | None) -> None:
        if item_id == "bad":
            raise KeyError("a bug")
        process_item(item_id, run_id)

    monkeypatch.setattr(fused, "process_item", buggy)
    with pytest.raises(KeyError):
        fused.process_batch_task([["bad", RUN], ["good", RUN]])
    assert Stats(res.redis).read(RUN).get("store", "out") == 1
    assert _rows() == 1


def test_an_outage_sends_the_whole_batch_message_back(monkeypatch: pytest.MonkeyPatch) -> None:
    done: list[str] = []

    def redis_away(item_id: str, run_id: str | None) -> None:
        if item_id == "a2":
            raise redis.ConnectionError("redis away")
        done.append(item_id)

    monkeypatch.setattr(fused, "process_item", redis_away)
    with pytest.raises(Reject) as rejected:
        fused.process_batch_task([["a1", RUN], ["a2", RUN], ["a3", RUN]])
    assert rejected.value.requeue
    assert done == ["a1"]  # a1 runs again with the message, as a no-op (its counts are guarded)


def test_failing_stage_goes_to_its_own_task_with_its_inputs_saved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[dict[str, Any]] = []

    def unavailable(carry: fused.Carry, res: Any) -> None:
        raise Retryable("database-unavailable", "connection refused")

    monkeypatch.setitem(fused.STEPS, "store", unavailable)
    monkeypatch.setattr(fused.store_task, "apply_async", lambda **kw: sent.append(kw))
    _process(_page())
    counts = Stats(resources().redis).read(RUN)
    assert counts.get("store", "in") == 1
    assert counts.in_flight() == 1  # the store stage's own task owes the outcome
    assert counts.get("store", "retried") == 0  # retries are fleet-wide, not per run
    items = resources().items
    for kind in (Article, DedupVerdict, Classification):
        assert items.raw("item-kremlin", kind) is not None
    assert len(sent) == 1
    assert sent[0]["args"] == ["item-kremlin", RUN]
    assert sent[0]["queue"] == "store"
    assert sent[0]["retries"] == 1
    assert _rows() == 0


def test_stage_cpu_time_is_counted_once_per_item_and_outcome() -> None:
    stats = Stats(resources().redis)
    stats.entered("clean", "a", RUN)
    assert stats.outcome("clean", "a", RUN, "out", cpu_seconds=0.25)
    assert not stats.outcome("clean", "a", RUN, "out", cpu_seconds=0.25)
    assert stats.read(RUN).cpu_seconds("clean") == pytest.approx(0.25)
    assert stats.read().cpu_seconds("clean") == pytest.approx(0.25)


def test_a_page_is_kept_compressed_in_the_item_store(redis_client: redis.Redis) -> None:
    body = gzip.decompress(
        (FIXTURES / "pages" / "corpus" / "faz.net.streaming.html.gz").read_bytes()
    )
    page = _page().model_copy(update={"body": body})
    resources().items.save(page)
    stored = redis_client.get("wire:item:item-kremlin:FetchedPage")
    assert stored is not None
    assert len(stored) < len(page.model_dump_json()) / 2
    assert resources().items.load("item-kremlin", FetchedPage) == page
    assert resources().items.raw("item-kremlin", FetchedPage) == page.model_dump_json()
