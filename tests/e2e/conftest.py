"""End-to-end fixtures: local news sites and the `wire` command run as a real process."""

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from tests.conftest import FIXTURES
from workers.sample_sites import Site, load_sites, serve


@dataclass
class Wire:
    """The `wire` command with a test's environment: its Redis, database and var folder."""

    env: dict[str, str]
    cwd: Path

    def __call__(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run `wire ARGS…` and return what it printed."""
        return subprocess.run(
            [sys.executable, "-m", "workers.cli", *args],
            env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=timeout,
            check=False,
        )  # fmt: skip


@pytest.fixture
def sites() -> Iterator[list[Site]]:
    """The demo's three outlets, served on free ports of 127.0.0.1."""
    loaded = load_sites(FIXTURES / "demo" / "manifest.yaml")
    for site in loaded:
        site.port = 0
    with serve(loaded) as served:
        yield served


def wire_env(redis_url: str, database_url: str, var_dir: Path) -> dict[str, str]:
    """A clean environment for one test's `wire` processes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRE_")}
    env.update(
        WIRE_REDIS_URL=redis_url,
        WIRE_DATABASE_URL=database_url,
        WIRE_VAR_DIR=str(var_dir),
        WIRE_ALLOW_PRIVATE_NETWORKS="true",
        WIRE_HOST_DELAY_SECONDS="0",
        WIRE_RETRY_MAX="1",
    )
    return env


@pytest.fixture
def wire(redis_client: redis.Redis, redis_service: str, tmp_path: Path) -> Wire:
    """`wire` on the test Redis (emptied) and a SQLite file of this test."""
    env = wire_env(redis_service, f"sqlite:///{tmp_path / 'wire.db'}", tmp_path / "var")
    return Wire(env, tmp_path)
