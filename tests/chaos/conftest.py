"""Fault tests: a persistent private Redis per test; the slow ones only under `make chaos`."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.harness import PersistentRedis

FULL = os.environ.get("WIRE_CHAOS_FULL") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is `chaos`; the `slow` ones are skipped unless WIRE_CHAOS_FULL=1."""
    skip = pytest.mark.skip(reason="slow fault test: run it with `make chaos`")
    for item in items:
        if "tests/chaos/" not in str(item.path).replace(os.sep, "/"):
            continue
        item.add_marker(pytest.mark.chaos)
        if "slow" in item.keywords and not FULL:
            item.add_marker(skip)


@pytest.fixture
def chaos_redis(tmp_path: Path) -> Iterator[PersistentRedis]:
    """A private redis-server with append-only persistence and a password."""
    server = PersistentRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()
