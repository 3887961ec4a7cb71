"""Workers killed with SIGKILL in the middle of their stages, again and again, during an ingest."""

import os
import random
import signal
import time
from pathlib import Path

import pytest

from pipeline.db import upgrade
from tests.chaos.harness import (
    Fleet,
    Ledger,
    PersistentRedis,
    Run,
    reconciler_of,
    running,
    stored_urls,
    worker_env,
)
from tests.chaos.sites import NewsSite, serve


def _setup(redis: PersistentRedis, tmp_path: Path, **extra: str) -> tuple[str, Run, Fleet]:
    database = f"sqlite:///{tmp_path / 'wire.db'}"
    upgrade(database)
    env = worker_env(redis.url, database, tmp_path / "var", **extra)
    return database, Run(env), Fleet(env, tmp_path / "logs")


class Killer:
    """Calls `strike` every `every` seconds, `times` times; remembers the last strike."""

    def __init__(self, strike: "type[object] | object", every: float, times: int) -> None:
        self.strike, self.every, self.left = strike, every, times
        self.next_at = time.monotonic() + every
        self.last = time.monotonic()

    def __call__(self) -> None:
        """One tick of the waiting loop."""
        if self.left and time.monotonic() >= self.next_at:
            if self.strike():  # type: ignore[operator]
                self.left -= 1
                self.last = time.monotonic()
            self.next_at = time.monotonic() + self.every


def test_sigkill_of_pool_processes_mid_stage_loses_and_duplicates_nothing(
    chaos_redis: PersistentRedis, tmp_path: Path
) -> None:
    database, run, fleet = _setup(chaos_redis, tmp_path)
    with serve(NewsSite(feeds=3, per_feed=80, poison={})) as site, running(fleet, "io", "cpu"):

        def strike() -> bool:
            children = fleet.children("cpu")
            if not children:
                return False
            os.kill(random.choice(children), signal.SIGKILL)
            return True

        # Kill until the ingest ends (how many fit depends on the machine's speed), but at
        # least three times mid-run, or the test proved nothing: a fast machine ingested 150
        # articles between two kills 0.7 s apart.
        killer = Killer(strike, every=0.3, times=40)
        run.send_polls(site.feed_urls())
        assert run.wait(300, killer), f"still in flight: {run.in_flight()}"
        assert 40 - killer.left >= 3, "the ingest ended before three kills were made"
        ledger = Ledger.count("sigkill-pool-processes", site.article_urls(),
                              stored_urls(database), time.monotonic() - killer.last)  # fmt: skip
    ledger.record()
    assert (ledger.lost, ledger.duplicated) == (0, 0)


@pytest.mark.slow
def test_sigkill_of_whole_workers_mid_ingest_loses_and_duplicates_nothing(
    chaos_redis: PersistentRedis, tmp_path: Path
) -> None:
    # A killed worker's unacknowledged messages come back after the visibility timeout (60 s).
    # A message taken off its queue but not yet recorded unacked dies with its worker: the
    # reconciler sends such an item again (as beat or `wire ingest --once` would, sooner here).
    database, run, fleet = _setup(chaos_redis, tmp_path, WIRE_VISIBILITY_TIMEOUT="60",
                                  WIRE_RETRY_BACKOFF_MAX="10", WIRE_RECONCILE_AFTER="70",
                                  WIRE_RECONCILE_INTERVAL="10")  # fmt: skip
    with serve(NewsSite(feeds=4, per_feed=100, poison={})) as site, running(fleet, "io", "cpu"):

        def strike() -> bool:
            name = random.choice(["io", "cpu"])
            fleet.kill(name)
            fleet.start(name)
            return True

        killer, reconciler = Killer(strike, every=4.0, times=6), reconciler_of(run)

        def tick() -> None:
            killer()
            reconciler()

        run.send_polls(site.feed_urls())
        assert run.wait(600, tick), f"still in flight: {run.in_flight()}"
        ledger = Ledger.count("sigkill-whole-workers", site.article_urls(),
                              stored_urls(database), time.monotonic() - killer.last)  # fmt: skip
    ledger.record()
    assert (ledger.lost, ledger.duplicated) == (0, 0)


def test_sigterm_mid_ingest_finishes_or_requeues_held_work_and_a_restart_completes_it(
    chaos_redis: PersistentRedis, tmp_path: Path
) -> None:
    database, run, fleet = _setup(chaos_redis, tmp_path)
    with serve(NewsSite(feeds=3, per_feed=50, poison={})) as site:
        with running(fleet, "io", "cpu"):
            run.send_polls(site.feed_urls())
            while len(stored_urls(database)) < 20:
                time.sleep(0.2)
            stopping = time.monotonic()
            fleet.stop()  # `make down`: SIGTERM, a warm shutdown
            stop_seconds = time.monotonic() - stopping
            assert all(proc.returncode == 0 for proc in fleet.procs.values())
        assert run.in_flight(), "the ingest ended before the shutdown"
        assert int(run.redis().hlen("unacked")) == 0, "a worker left messages unacknowledged"
        with running(fleet, "io", "cpu"):
            back = time.monotonic()
            assert run.wait(300), f"still in flight: {run.in_flight()}"
        ledger = Ledger.count("sigterm-then-restart", site.article_urls(),
                              stored_urls(database), time.monotonic() - back)  # fmt: skip
    ledger.record()
    print(f"warm shutdown of both workers took {stop_seconds:.1f}s")
    assert (ledger.lost, ledger.duplicated) == (0, 0)
