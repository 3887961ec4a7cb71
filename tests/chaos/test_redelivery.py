"""The same message delivered twice, and a task outliving the visibility timeout: no duplicate."""

import time
from pathlib import Path

import pytest

from pipeline.db import upgrade
from tests.chaos.harness import (
    SECRET,
    Fleet,
    Ledger,
    PersistentRedis,
    Run,
    running,
    stored_urls,
    worker_env,
)
from tests.chaos.sites import NewsSite, serve
from workers.stats import Stats


def _item_ids(run: Run) -> list[str]:
    keys = run.redis().scan_iter(match="wire:item:*:Article", count=1000)
    return sorted(k.decode().split(":")[2] for k in keys)


def test_store_and_clean_messages_delivered_twice_leave_one_row_each(
    chaos_redis: PersistentRedis, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'wire.db'}"
    upgrade(database)
    env = worker_env(chaos_redis.url, database, tmp_path / "var", WIRE_FUSE_CPU_STAGES="false")
    run, fleet = Run(env), Fleet(env, tmp_path / "logs")
    with serve(NewsSite(feeds=2, per_feed=20, poison={})) as site, running(fleet, "io", "cpu"):
        run.send_polls(site.feed_urls())
        assert run.wait(240)
        before = stored_urls(database)
        ids = _item_ids(run)
        assert len(ids) == 40, "the stored items' records must outlive their run (terminal TTL)"
        # A second run sends every store and clean message twice more, as a redelivery would.
        again, stats, app = Run(env), Stats(run.redis()), run.app()
        started = time.monotonic()
        for item_id in ids:
            for stage in ("store", "clean"):
                stats.entered(stage, item_id, again.run_id)
                for _ in range(2):
                    app.send_task(f"wire.{stage}", args=[item_id, again.run_id], queue=stage)
        # Counters say done at the first copy; wait for every copy to be consumed.
        assert again.wait(240)
        deadline = time.monotonic() + 240
        while not again.drained():
            assert time.monotonic() < deadline, "duplicate messages never consumed"
            time.sleep(0.5)
        ledger = Ledger.count("message-delivered-twice", site.article_urls(),
                              stored_urls(database), time.monotonic() - started)  # fmt: skip
    ledger.record()
    assert sorted(before) == sorted(stored_urls(database))
    assert (ledger.lost, ledger.duplicated) == (0, 0)
    assert SECRET not in fleet.log_text()


@pytest.mark.slow
def test_fetch_outliving_the_visibility_timeout_stores_its_article_once(
    chaos_redis: PersistentRedis, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'wire.db'}"
    upgrade(database)
    env = worker_env(chaos_redis.url, database, tmp_path / "var", WIRE_VISIBILITY_TIMEOUT="60",
                     WIRE_RETRY_BACKOFF_MAX="10", WIRE_READ_TIMEOUT="300",
                     WIRE_TOTAL_TIMEOUT="300")  # fmt: skip
    run, fleet = Run(env), Fleet(env, tmp_path / "logs")
    # The first request of one page answers after 180 s. kombu looks for messages past the
    # visibility timeout (60 s) every 10 x 10 s, so the message is redelivered by ~160 s.
    site_ = NewsSite(feeds=1, per_feed=10, poison={}, slow_first={"/news/3": 180.0})
    with serve(site_) as site, running(fleet, "io", "cpu"):
        run.send_polls(site.feed_urls())
        started = time.monotonic()
        assert run.wait(600)
        # The first, slow run of the fetch still goes on: let it finish and send its copy on.
        deadline = time.monotonic() + 300
        while site.served.get("/news/3", 0) < 2 or not run.drained():
            assert time.monotonic() < deadline, "the slow fetch never finished"
            time.sleep(0.5)
        ledger = Ledger.count("task-past-visibility-timeout", site.article_urls(),
                              stored_urls(database), time.monotonic() - started)  # fmt: skip
        redelivered = site.hits.get("/news/3", 0)
    ledger.record()
    assert redelivered >= 2, "the slow fetch was never redelivered"
    assert (ledger.lost, ledger.duplicated) == (0, 0)
