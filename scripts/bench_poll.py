"""`make bench` section poll: one full poll round of 10,000 feeds served locally.

Real fleet processes: two `wire worker -Q poll -P threads` processes (THREADS threads each) on a
private redis-server, the feed registry in a private database (SQLite file, and PostgreSQL when
reachable at WIRE_BENCH_POSTGRES_URL). Every feed was polled before (its ETag is in the
registry); nine in ten answer 304, one in ten has changed (200, FRESH new entries, which go on
to the fetch queue that nobody consumes here). The round starts when the beat's task
`wire.dispatch_due` is sent and ends when every feed has recorded its poll; workers answer a
ping first, so their start-up is not timed. The feeds are served by a separate process (a small
asyncio HTTP/1.1 keep-alive server) on the same 2 cores; its CPU is reported beside the workers'.

WIRE_BENCH_FEEDS sets the size (default 10,000).
"""

import asyncio
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


def respond(path: str, if_none_match: str | None, host: str) -> bytes:
    """/feed/N: 304 to the right ETag unless N is a multiple of CHANGED_EVERY; else the feed."""
    n = int(path.rsplit("/", 1)[1])
    etag = f'"e{n}"'
    if n % CHANGED_EVERY and if_none_match == etag:
        return _reply(304, b"", etag)
    items = "".join(
        f"<item><title>Story {n}-{k}</title><link>http://{host}/news/{n}/{k}</link>"
        f"<guid>s{n}-{k}</guid></item>"
        for k in range(FRESH)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>{items}'
    return _reply(200, (body + "</channel></rss>").encode(), f'"e{n}-b"')


def _reply(status: int, body: bytes, etag: str) -> bytes:
    reason = "OK" if status == 200 else "Not Modified"
    head = f"HTTP/1.1 {status} {reason}\r\nETag: {etag}\r\nContent-Length: {len(body)}\r\n"
    if body:
        head += "Content-Type: application/rss+xml; charset=utf-8\r\n"
    return head.encode() + b"\r\n" + body


async def _connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # A minimal HTTP/1.1 keep-alive server: the feeds stand in for remote hosts, so the less CPU
    # they take from the two shared cores, the closer the figure is to the workers' own cost.
    try:
        while head := await reader.readuntil(b"\r\n\r\n"):
            lines = head.decode("latin-1").split("\r\n")
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            path = lines[0].split(" ")[1]
            writer.write(respond(path, headers.get("If-None-Match"), headers.get("Host", "")))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve_async(port: Any) -> None:
    server = await asyncio.start_server(_connection, "127.0.0.1", 0, backlog=512)
    port.value = server.sockets[0].getsockname()[1]
    async with server:
        await server.serve_forever()


def _serve(port: Any) -> None:
    asyncio.run(_serve_async(port))


@contextlib.contextmanager
def feed_server() -> Iterator[tuple[str, int]]:
    """The feeds, served by a separate process; yields the base URL and the process id."""
    ctx = multiprocessing.get_context("spawn")
    port = ctx.Value("i", 0)
    proc = ctx.Process(target=_serve, args=(port,), daemon=True)
    proc.start()
    try:
        deadline = time.monotonic() + 30
        while not port.value and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port.value}", proc.pid or 0
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
          f"{'cpu ms/feed':>13}{'server ms':>11}{'load':>6}")  # fmt: skip
    for name, database in (
        ("sqlite", bench_store.sqlite_db),
        ("postgresql", bench_store.postgres_db),
    ):
        try:
            with database() as url, private_redis() as redis_url, feed_server() as (base, pid):
                server = [psutil.Process(pid)]
                before = cpu_seconds(server)
                figures = one_round(url, redis_url, base, count)
                spent = cpu_seconds(server) - before  # registering the feeds used none of it
                figures["server_cpu_ms_per_feed"] = round(1000 * spent / count, 2)
        except Exception as exc:  # a missing PostgreSQL is reported, not fatal
            out[name] = {"skipped": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
            print(f"{name:12}skipped: {out[name]['skipped']}")
            continue
        out[name] = figures
        errors = figures["poll_outcomes"]["error"] + figures["poll_outcomes"]["failed"]
        f = figures
        print(f"{name:12}{f['seconds']:>9}{f['feeds_per_second']:>9}{f['polled']:>8}{errors:>8}"
              f"{f['worker_cpu_ms_per_feed']:>13}{f['server_cpu_ms_per_feed']:>11}"
              f"{f['load_average_1m']:>6}")  # fmt: skip


if __name__ == "__main__":
    result: dict[str, Any] = {}
    run(result)
