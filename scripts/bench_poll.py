"""`make bench` section poll: one full poll round of 10,000 feeds served locally.

Real fleet processes: two `wire worker -Q poll -P threads` processes (THREADS threads each) on a
private redis-server, the feed registry in a private database (SQLite file, and PostgreSQL when
reachable at WIRE_BENCH_POSTGRES_URL). Every feed was polled before (its ETag is in the
registry); nine in ten answer 304, one in ten has changed (200, FRESH new entries, which go on
to the fetch queue that nobody consumes here). The round starts when the beat's task
`wire.dispatch_due` is sent and ends when every feed has recorded its poll; workers answer a
ping first, so their start-up is not timed. The feeds are served by a separate process
(ThreadingHTTPServer, HTTP/1.1 keep-alive) on the same 2 cores, so the figure is pessimistic.

WIRE_BENCH_FEEDS sets the size (default 10,000).
"""

import contextlib
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling helpers below

import bench_store
import psutil
from bench_run import cpu_seconds, environment, private_redis, wait_for_workers
from sqlalchemy import func, select, update

from config.settings import get_settings
from pipeline import registry
from pipeline.models import Feed
from workers import fleet, flow

DEFAULT_FEEDS = 10_000
CHANGED_EVERY = 10  # one feed in ten has new entries; the others answer 304
FRESH = 5  # new entries in a changed feed
WORKERS, THREADS = 2, 16
TIMEOUT = 600.0


class FeedHandler(BaseHTTPRequestHandler):
    """/feed/N: 304 to the right ETag unless N is a multiple of CHANGED_EVERY."""

    protocol_version = "HTTP/1.1"  # keep-alive: the workers' clients reuse connections

    def do_GET(self) -> None:
        n = int(self.path.rsplit("/", 1)[1])
        etag = f'"e{n}"'
        if n % CHANGED_EVERY and self.headers.get("If-None-Match") == etag:
            self._reply(304, b"", etag)
            return
        base = f"http://{self.headers['Host']}"
        items = "".join(
            f"<item><title>Story {n}-{k}</title><link>{base}/news/{n}/{k}</link>"
            f"<guid>s{n}-{k}</guid></item>"
            for k in range(FRESH)
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>{items}'
        self._reply(200, (body + "</channel></rss>").encode(), f'"e{n}-b"')

    def _reply(self, status: int, body: bytes, etag: str) -> None:
        self.send_response(status)
        self.send_header("ETag", etag)
        if body:
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def _serve(port: Any, host: str = "127.0.0.1") -> None:
    server = ThreadingHTTPServer((host, 0), FeedHandler)
    server.daemon_threads = True
    port.value = server.server_address[1]
    server.serve_forever()


@contextlib.contextmanager
def feed_server() -> Iterator[str]:
    """The feeds, served by a separate process; yields the base URL."""
    ctx = multiprocessing.get_context("spawn")
    port = ctx.Value("i", 0)
    proc = ctx.Process(target=_serve, args=(port,), daemon=True)
    proc.start()
    try:
        deadline = time.monotonic() + 30
        while not port.value and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port.value}"
    finally:
        proc.terminate()
        proc.join(10)


def register(count: int, base: str) -> None:
    """Feeds as after an earlier poll: ETag known, due now."""
    from workers.resources import resources

    urls = [f"{base}/feed/{n}" for n in range(count)]
    with resources().sessions.begin() as session:
        registry.add_feeds(session, urls, 900)
    with resources().sessions.begin() as session:
        for n, url in enumerate(urls):  # each its own ETag; one UPDATE per feed, not timed
            session.execute(update(Feed).where(Feed.url == url).values(etag=f'"e{n}"'))
        due = registry.now() - timedelta(seconds=1)
        session.execute(update(Feed).values(next_poll_at=due, last_polled_at=None))


def polled(since: Any) -> int:
    """Feeds whose poll was recorded since the round began."""
    from workers.resources import resources

    with resources().sessions() as session:
        query = select(func.count()).where(Feed.last_polled_at >= since)
        return session.scalar(query) or 0


def one_round(database_url: str, redis_url: str, base: str, count: int) -> dict[str, Any]:
    """Register the feeds, start the poll workers, time one full round."""
    folder = Path(tempfile.mkdtemp(prefix="wire-bench-poll-"))
    env = {"WIRE_REDIS_URL": redis_url, "WIRE_DATABASE_URL": database_url,
           "WIRE_VAR_DIR": str(folder), "WIRE_ALLOW_PRIVATE_NETWORKS": "true",
           "WIRE_LOG_LEVEL": "WARNING"}  # fmt: skip
    try:
        with environment(env):
            register(count, base)
            return _timed(env, folder, count)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _timed(env: dict[str, str], folder: Path, count: int) -> dict[str, Any]:
    from workers.app import create_app
    from workers.resources import resources
    from workers.stats import Stats

    app = create_app(get_settings())
    tag = uuid.uuid4().hex[:6]
    names = [f"bench-poll-{tag}-{i}" for i in range(WORKERS)]
    argvs = [fleet.worker_argv("poll", THREADS, "threads", name) for name in names]
    with fleet.processes(argvs, log_file=folder / "workers.log", env=env) as procs:
        wait_for_workers(app, names)
        workers = [psutil.Process(proc.pid) for proc in procs]
        cpu_before = cpu_seconds(workers)
        since = registry.now()
        started = time.perf_counter()
        app.send_task(flow.DISPATCH_TASK, queue="poll")
        done = 0
        while done < count and time.perf_counter() - started < TIMEOUT:
            time.sleep(0.25)
            done = polled(since)
        seconds = time.perf_counter() - started
        worker_cpu = cpu_seconds(workers) - cpu_before
    counts = Stats(resources().redis).read()
    return {
        "feeds": count,
        "polled": done,
        "seconds": round(seconds, 2),
        "feeds_per_second": round(done / seconds, 1),
        "poll_outcomes": {o: counts.get("poll", o) for o in ("out", "dropped", "failed", "error")},
        "entries_sent_to_fetch": counts.get("fetch", "in"),
        # CPU the poll workers spent per feed: the load-independent figure on a shared machine.
        "worker_cpu_ms_per_feed": round(1000 * worker_cpu / max(done, 1), 2),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "workers": f"{WORKERS} processes x {THREADS} threads",
    }


def run(out: dict[str, Any]) -> None:
    """One full poll round on SQLite, then on PostgreSQL when reachable."""
    count = int(os.environ.get("WIRE_BENCH_FEEDS", DEFAULT_FEEDS))
    print(f"{count} local feeds, 1 in {CHANGED_EVERY} changed, the rest 304; {WORKERS} worker "
          f"processes x {THREADS} threads on the poll queue")  # fmt: skip
    print(f"{'database':12}{'seconds':>9}{'feeds/s':>9}{'polled':>8}{'errors':>8}"
          f"{'cpu ms/feed':>13}{'load':>6}")  # fmt: skip
    for name, database in (
        ("sqlite", bench_store.sqlite_db),
        ("postgresql", bench_store.postgres_db),
    ):
        try:
            with database() as url, private_redis() as redis_url, feed_server() as base:
                figures = one_round(url, redis_url, base, count)
        except Exception as exc:  # a missing PostgreSQL is reported, not fatal
            out[name] = {"skipped": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
            print(f"{name:12}skipped: {out[name]['skipped']}")
            continue
        out[name] = figures
        errors = figures["poll_outcomes"]["error"] + figures["poll_outcomes"]["failed"]
        print(f"{name:12}{figures['seconds']:>9}{figures['feeds_per_second']:>9}"
              f"{figures['polled']:>8}{errors:>8}{figures['worker_cpu_ms_per_feed']:>13}"
              f"{figures['load_average_1m']:>6}")  # fmt: skip


if __name__ == "__main__":
    result: dict[str, Any] = {}
    run(result)
