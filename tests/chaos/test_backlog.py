"""A backlog queued while the CPU workers are away longer than the item TTL: nothing expires."""

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.db import upgrade
from pipeline.poll import item_id_for
from pipeline.records import FetchedPage
from tests.chaos.harness import (
    Fleet,
    Ledger,
    PersistentRedis,
    Run,
    running,
    stored_urls,
    worker_env,
)
from tests.chaos.sites import article_html
from workers import flow
from workers.items import ItemStore
from workers.stats import Stats

BASE = "http://127.0.0.1:9/news"  # never fetched: the pages are put in the item store directly
TTL = 60


def _queue_pages(run: Run, count: int) -> list[str]:
    """Put `count` fetched pages in the item store and send each to the first CPU stage."""
    client, settings = run.redis(), run.settings
    items, stats, app = ItemStore(client, TTL), Stats(client), run.app()
    task = flow.entry_task("clean", settings.fuse_cpu_stages)
    urls = [f"{BASE}/{i}" for i in range(count)]
    for i, url in enumerate(urls):
        item_id = item_id_for(url)
        items.save(FetchedPage(item_id=item_id, feed_url=f"{BASE}/feed", url=url, final_url=url,
                               status=200, content_type="text/html", charset="utf-8",
                               body=article_html(i), fetched_at=datetime.now(UTC)))  # fmt: skip
        stats.entered("clean", item_id, run.run_id)
        app.send_task(task, args=[item_id, run.run_id], queue="clean")
    return urls


def _page_keys(run: Run) -> list[bytes]:
    return list(run.redis().scan_iter(match="wire:item:*:FetchedPage", count=5000))


def _setup(redis: PersistentRedis, tmp_path: Path) -> tuple[str, Run, Fleet]:
    database = f"sqlite:///{tmp_path / 'wire.db'}"
    upgrade(database)
    env = worker_env(redis.url, database, tmp_path / "var", WIRE_ITEM_TTL_SECONDS=str(TTL))
    return database, Run(env), Fleet(env, tmp_path / "logs")


def test_queued_items_carry_no_ttl_until_their_terminal_outcome(
    chaos_redis: PersistentRedis, tmp_path: Path
) -> None:
    database, run, fleet = _setup(chaos_redis, tmp_path)
    urls = _queue_pages(run, 200)
    client = run.redis()
    assert {client.ttl(key) for key in _page_keys(run)} == {-1}
    with running(fleet, "cpu"):
        assert run.wait(300)
    assert sorted(stored_urls(database)) == sorted(urls)
    left = list(client.scan_iter(match="wire:item:*", count=5000))
    assert all(0 < client.ttl(key) <= TTL for key in left)


@pytest.mark.slow
def test_backlog_of_20000_items_outlives_the_ttl_and_is_all_stored(
    chaos_redis: PersistentRedis, tmp_path: Path
) -> None:
    database, run, fleet = _setup(chaos_redis, tmp_path)
    client = run.redis()
    before = int(client.info("memory")["used_memory"])
    urls = _queue_pages(run, 20_000)
    queued = int(client.info("memory")["used_memory"]) - before
    time.sleep(TTL + 15)  # the CPU workers are away for longer than any item TTL
    assert len(_page_keys(run)) == 20_000
    back = time.monotonic()
    with running(fleet, "cpu"):
        assert run.wait(3600), f"still in flight: {run.in_flight()}"
    peak = int(client.info("memory")["used_memory_peak"])
    ledger = Ledger.count("backlog-20000-past-ttl", urls, stored_urls(database),
                          time.monotonic() - back)  # fmt: skip
    ledger.record()
    mib = 2**20
    print(f"backlog: {queued / mib:.1f} MiB for 20000 queued items; peak {peak / mib:.1f} MiB")
    assert (ledger.lost, ledger.duplicated) == (0, 0)
    assert peak < 200 * 2**20  # the figure the README states for a 20,000-item backlog
