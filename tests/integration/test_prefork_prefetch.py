"""A prefork worker holds the next message in its child's pipe; a thread pool is left as it is."""

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import redis

from config.settings import get_settings
from tests.e2e.conftest import wire_env
from workers import fleet
from workers.app import _prefork_prefetch, create_app


def _stats(app: Any, names: set[str], timeout: float = 60) -> dict[str, Any]:
    """`celery inspect stats` of the named workers, once all of them answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = app.control.inspect(timeout=1.0).stats() or {}
        by_name = {node.split("@")[0]: reply for node, reply in stats.items()}
        if names <= set(by_name):
            return by_name
    raise AssertionError(f"workers {names} did not answer in {timeout:.0f}s")


def test_prefork_worker_prefetches_two_per_process_first_come_first_served(
    redis_client: redis.Redis, redis_service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = wire_env(redis_service, f"sqlite:///{tmp_path / 'wire.db'}", tmp_path / "var")
    for key, value in env.items():
        if key.startswith("WIRE_"):
            monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    app = create_app(get_settings())
    argvs = [
        fleet.worker_argv(fleet.IO_QUEUES, 3, "threads", "prefetch-io"),
        fleet.worker_argv(fleet.CPU_QUEUES, 2, "prefork", "prefetch-cpu"),
    ]
    with fleet.processes(argvs, log_file=tmp_path / "workers.log", env=env):
        stats = _stats(app, {"prefetch-io", "prefetch-cpu"})
    get_settings.cache_clear()
    cpu, io = stats["prefetch-cpu"], stats["prefetch-io"]
    assert cpu["prefetch_count"] == 4  # two processes, two messages each
    assert cpu["pool"]["writes"]["strategy"] == "fcfs"
    assert io["prefetch_count"] == 3  # one per thread, as configured
    assert io["pool"].get("writes") is None


@pytest.mark.parametrize(("pool", "prefetch"), [("threads", "2"), ("prefork", "1")])
def test_fair_scheduling_stays_where_nothing_is_written_ahead(
    pool: str, prefetch: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIRE_PREFORK_PREFETCH", prefetch)
    get_settings.cache_clear()
    worker = SimpleNamespace(pool_cls=pool, optimization=None, prefetch_multiplier=1)
    _prefork_prefetch(sender=worker)
    get_settings.cache_clear()
    assert (worker.optimization, worker.prefetch_multiplier) == (None, 1)
