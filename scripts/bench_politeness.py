"""`make bench` section politeness: 2,000 pages on 20 local hosts under a fleet-wide host rate.

Hosts 127.0.0.2 to 127.0.0.21 each serve 100 small pages (one server process, one port per
address) and log the wall-clock arrival time of every request. Two `wire worker -Q fetch -P
threads` processes (THREADS threads each) fetch them with WIRE_FETCH_HOST_RATE=5 and
WIRE_FETCH_HOST_CONCURRENCY=2; the fetch stage sends pages on to the clean queue, which nobody
consumes here. Figures: the highest number of requests any host received in any one-second
window (sliding, measured at the server: it must not exceed the rate), and pages per second
from the first request to the last outcome. Redis is a private redis-server.

WIRE_BENCH_PAGES sets the size (default 2,000).
"""

import contextlib
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling helpers below

from bench_run import environment, private_redis, wait_for_workers

from config.settings import get_settings
from pipeline.poll import item_id_for
from pipeline.records import FeedEntry
from workers import fleet
from workers.politeness import JITTER_MARGIN

HOSTS = [f"127.0.0.{n}" for n in range(2, 22)]
DEFAULT_PAGES = 2_000
RATE = 5
WORKERS, THREADS = 2, 16
TIMEOUT = 600.0
PAGE = (
    "<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1>"
    + "<p>Words of a local test page, long enough to look like an article.</p>" * 5
    + "</article></body></html>"
)


def _handler(log: Any, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            arrived = time.time()  # wall clock: the parent compares nothing else with it
            with lock:
                log.write(f"{self.server.server_address[0]} {arrived:.6f}\n")  # type: ignore[str-bytes-safe]
                log.flush()
            body = PAGE.format(n=self.path.rsplit("/", 1)[1]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    return Handler


def _serve(log_path: str, ports: Any) -> None:
    lock = threading.Lock()
    with open(log_path, "a", encoding="utf-8") as log:
        servers = [ThreadingHTTPServer((host, 0), _handler(log, lock)) for host in HOSTS]
        for i, server in enumerate(servers):
            server.daemon_threads = True
            ports[i] = server.server_address[1]
            threading.Thread(target=server.serve_forever, daemon=True).start()
        threading.Event().wait()


@contextlib.contextmanager
def page_servers(log_path: Path) -> Iterator[list[int]]:
    """The 20 hosts, served by a separate process; yields each host's port."""
    ctx = multiprocessing.get_context("spawn")
    ports = ctx.Array("i", len(HOSTS))
    proc = ctx.Process(target=_serve, args=(str(log_path), ports), daemon=True)
    proc.start()
    try:
        deadline = time.monotonic() + 30
        while not all(ports) and time.monotonic() < deadline:
            time.sleep(0.05)
        yield list(ports)
    finally:
        proc.terminate()
        proc.join(10)


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most requests inside any half-open window [t, t + window) of the sorted times."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def arrivals(log_path: Path) -> dict[str, list[float]]:
    """The arrival times per host, sorted."""
    per_host: dict[str, list[float]] = {}
    for line in log_path.read_text(encoding="utf-8").splitlines():
        host, stamp = line.split()
        per_host.setdefault(host, []).append(float(stamp))
    return {host: sorted(times) for host, times in per_host.items()}


def _send_pages(app: Any, ports: list[int], count: int, run_id: str) -> None:
    from workers.resources import resources
    from workers.send import send

    items = resources().items
    for n in range(count):
        host = n % len(HOSTS)  # interleaved, as entries of many feeds arrive mixed
        link = f"http://{HOSTS[host]}:{ports[host]}/page/{n}"
        entry = FeedEntry(item_id=item_id_for(link), feed_url="bench", link=link)
        items.save(entry)
        send(app, "fetch", entry.item_id, run_id)


def _finished(stats: Any, run_id: str) -> int:
    counts = stats.read(run_id)
    return sum(counts.get("fetch", o) for o in ("out", "dropped", "failed", "error"))


def _measured(env: dict[str, str], folder: Path, count: int) -> dict[str, Any]:
    from workers.app import create_app
    from workers.resources import resources
    from workers.stats import Stats

    app = create_app(get_settings())
    tag, run_id = uuid.uuid4().hex[:6], uuid.uuid4().hex[:16]
    names = [f"bench-fetch-{tag}-{i}" for i in range(WORKERS)]
    argvs = [fleet.worker_argv("fetch", THREADS, "threads", name) for name in names]
    log_path = folder / "arrivals.log"
    stats = Stats(resources().redis)
    with page_servers(log_path) as ports, fleet.processes(argvs, folder / "w.log", env):
        wait_for_workers(app, names)
        _send_pages(app, ports, count, run_id)
        deadline = time.monotonic() + TIMEOUT
        while _finished(stats, run_id) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        done_at = time.time()
    return _figures(arrivals(log_path), stats.read(run_id), done_at, count)


def _figures(
    per_host: dict[str, list[float]], counts: Any, done_at: float, count: int
) -> dict[str, Any]:
    first = min(t[0] for t in per_host.values())
    windows = {host: max_in_window(times) for host, times in per_host.items()}
    return {
        "pages": count,
        "hosts": len(per_host),
        "limit_per_host": RATE,
        "requests": sum(len(t) for t in per_host.values()),
        "fetched": counts.get("fetch", "out"),
        "not_fetched": {o: counts.get("fetch", o) for o in ("dropped", "failed", "error")},
        "max_requests_in_any_1s_window": max(windows.values()),
        "seconds": round(done_at - first, 2),
        "pages_per_second": round(count / (done_at - first), 1),
        "ideal_pages_per_second": RATE * len(HOSTS),
        # Turns are spaced 1/rate * (1 + JITTER_MARGIN) apart: the ceiling this design can reach.
        "ceiling_pages_per_second": round(RATE * len(HOSTS) / (1 + JITTER_MARGIN), 1),
    }


def run(out: dict[str, Any]) -> None:
    """Fetch the pages once and report the worst one-second window at any host."""
    count = int(os.environ.get("WIRE_BENCH_PAGES", DEFAULT_PAGES))
    folder = Path(tempfile.mkdtemp(prefix="wire-bench-polite-"))
    try:
        with private_redis() as redis_url:
            env = {"WIRE_REDIS_URL": redis_url, "WIRE_DATABASE_URL": f"sqlite:///{folder / 'w.db'}",
                   "WIRE_VAR_DIR": str(folder), "WIRE_ALLOW_PRIVATE_NETWORKS": "true",
                   "WIRE_FETCH_HOST_RATE": str(RATE), "WIRE_FETCH_HOST_CONCURRENCY": "2",
                   "WIRE_ROBOTS_TXT": "false", "WIRE_LOG_LEVEL": "WARNING"}  # fmt: skip
            with environment(env):
                figures = _measured(env, folder, count)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    out.update(figures)
    print(f"{count} pages on {len(HOSTS)} hosts, limit {RATE}/s per host, {WORKERS} worker "
          f"processes x {THREADS} threads")  # fmt: skip
    print(
        f"  highest rate at any host in any 1 s window: {figures['max_requests_in_any_1s_window']}"
    )
    print(f"  pages/s: {figures['pages_per_second']} (limit x hosts "
          f"{figures['ideal_pages_per_second']}, ceiling with the jitter margin "
          f"{figures['ceiling_pages_per_second']}); "
          f"{figures['fetched']} fetched in {figures['seconds']} s")  # fmt: skip


if __name__ == "__main__":
    result: dict[str, Any] = {}
    run(result)
