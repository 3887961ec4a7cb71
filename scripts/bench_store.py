"""Database writes per second of the store path (a helper of bench_pipeline, not a section).

Rows are real cleaned and classified corpus articles, each copy with its own id and URL and the
copies of one corpus page in one story (as the pipeline's dedup places them), written with
`store_many` (the store stage's upsert, story rows included) in one transaction per batch, on a
fresh SQLite file and on a private PostgreSQL database created and dropped here. The same rows
are also written with the story refresh left out, so its share of the cost is visible, and on
PostgreSQL once more with the statistics a running database has (`analyze` below): a fresh
database's planner scans whole tables for lookups by key until autovacuum first analyses them.
Given a Redis, the rows also go through the fused task's own store path, the batch writer of
`workers/store_batch.py` (parked in Redis, written 100 to a transaction), with one and with two
writer processes.

Beside rows/s (wall clock, which this shared machine's load moves a lot) it gives the CPU per row
of this process and, when PostgreSQL runs on this machine, of its backend process (read from
/proc), the steadier figures. Run alone: `.venv/bin/python scripts/bench_store.py [rows]`.
"""

import multiprocessing
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis
from sqlalchemy import func, select, text

import pipeline.store
from pipeline.classify import classify, load_model
from pipeline.db import make_engine, session_factory, upgrade
from pipeline.models import ArticleRow
from pipeline.records import Article, Classification, DedupVerdict, StoredArticle

if TYPE_CHECKING:
    from workers.resources import Resources

POSTGRES = os.environ.get("WIRE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def records(articles: list[Article], count: int) -> list[StoredArticle]:
    """`count` unique records cycling over the articles (labels from the default classifier)."""
    model = load_model()
    labels: list[Classification] = [classify(a.title, a.text, a.dateline, model) for a in articles]
    out = []
    for copy in range(count):
        base = articles[copy % len(articles)]
        item_id = f"bench{copy:011d}"
        url = f"http://127.0.0.1/a/{copy}"
        art = base.model_copy(update={"item_id": item_id, "url": url, "canonical_url": url})
        story = f"bench{copy % len(articles):011d}"  # the first copy's id, as dedup gives it
        verdict = DedupVerdict(
            story_id=story,
            duplicate_of=None if story == item_id else story,
            text_hash=uuid.uuid4().hex,
        )
        out.append(
            StoredArticle(article=art, dedup=verdict, classification=labels[copy % len(labels)])
        )
    return out


def backend_cpu_seconds(pid: int | None) -> float:
    """CPU seconds of a local PostgreSQL backend process (0 when it is not on this machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rows_per_second(
    url: str, rows: list[StoredArticle], batch: int, *, analyze: bool = False
) -> dict[str, float]:
    """Rows stored per second in batches of `batch`, one transaction each, and CPU ms per row.

    With `analyze`, the tables' statistics are refreshed whenever they grew by 50 rows and a
    tenth, as autovacuum's defaults do in a running database (untimed: autovacuum is another
    process); without it the planner works from a fresh database's guesses all along.
    """
    engine = make_engine(url)
    sessions = session_factory(engine)
    wall = cpu = server = 0.0
    analyzed_at = 0
    try:
        with sessions() as session:  # the pool's one connection, reused by every batch
            pid = session.scalar(text("SELECT pg_backend_pid()")) if "postgres" in url else None
        for first in range(0, len(rows), batch):
            if analyze and first >= 50 + 1.1 * analyzed_at:
                with sessions.begin() as session:
                    session.execute(text("ANALYZE"))
                analyzed_at = first
            server0, cpu0, wall0 = (
                backend_cpu_seconds(pid),
                time.process_time(),
                time.perf_counter(),
            )
            with sessions.begin() as session:
                pipeline.store.store_many(rows[first : first + batch], session)
            wall += time.perf_counter() - wall0
            cpu += time.process_time() - cpu0
            server += backend_cpu_seconds(pid) - server0
    finally:
        engine.dispose()
    _check_stored(url, len(rows))
    per_row = 1000 / len(rows)
    return {
        "rows_per_second": round(len(rows) / wall, 1),
        "client_cpu_ms_per_row": round(cpu * per_row, 3),
        "server_cpu_ms_per_row": round(server * per_row, 3),
    }


def concurrent_rows_per_second(
    url: str, rows: list[StoredArticle], batch: int, writers: int
) -> dict[str, float]:
    """Rows/s of `writers` processes running store_many at once, as that many CPU workers would.

    The rows are cut into batches in order and the batches dealt to the writers in turn (writer
    n takes batches n, n + writers, …), as the batched store hands the stream's batches to
    whichever worker fills one; copies of one story in batches written at the same time wait
    for each other's story row. Spawned writers, timed from a common start once connected.
    CPU per row: the writers' own and, when PostgreSQL runs here, their backends'.
    """
    batches = [rows[first : first + batch] for first in range(0, len(rows), batch)]
    wall0, spent = _race(_store_writer, [(url, batches[n::writers]) for n in range(writers)])
    wall = time.perf_counter() - wall0
    client, server = (sum(values) for values in zip(*spent, strict=True))
    _check_stored(url, len(rows))
    return {
        "rows_per_second": round(len(rows) / wall, 1),
        "client_cpu_ms_per_row": round(client * 1000 / len(rows), 3),
        "server_cpu_ms_per_row": round(server * 1000 / len(rows), 3),
    }


def _race(target: Any, args: list[tuple[Any, ...]]) -> tuple[float, list[Any]]:
    """Run target once per args in spawned processes released together once all are ready.

    Each gets its args, then a ready barrier, a go event and a queue for what it spent. Returns
    the time of the release and what each put; a process that failed fails the run.
    """
    context = multiprocessing.get_context("spawn")
    ready, go, spent = context.Barrier(len(args) + 1), context.Event(), context.SimpleQueue()
    procs = [context.Process(target=target, args=(*each, ready, go, spent)) for each in args]
    for proc in procs:
        proc.start()
    ready.wait(timeout=120)
    started = time.perf_counter()
    go.set()
    for proc in procs:
        proc.join()
    if any(proc.exitcode for proc in procs):
        raise RuntimeError("a writer process failed (its traceback is above)")
    return started, [spent.get() for _ in procs]


def _store_writer(
    url: str, batches: list[list[StoredArticle]], ready: Any, go: Any, spent: Any
) -> None:
    """Store `batches` with store_many, one transaction each, from the common start."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions() as session:  # connected before the start, as a running worker is
        pid = session.scalar(text("SELECT pg_backend_pid()")) if "postgres" in url else None
    ready.wait(timeout=120)
    go.wait(timeout=120)
    server0, cpu0 = backend_cpu_seconds(pid), time.process_time()
    for rows in batches:
        with sessions.begin() as session:
            pipeline.store.store_many(rows, session)
    spent.put((time.process_time() - cpu0, backend_cpu_seconds(pid) - server0))
    engine.dispose()


def _check_stored(url: str, wanted: int) -> None:
    """Fail the run unless every row is in the database."""
    engine = make_engine(url)
    with session_factory(engine)() as session:
        stored = session.scalar(select(func.count()).select_from(ArticleRow)) or 0
    engine.dispose()
    if stored < wanted:
        raise RuntimeError(f"only {stored} of {wanted} rows were stored")


def batch_writer_rows_per_second(
    url: str, rows: list[StoredArticle], redis_url: str, batch: int, writers: int = 1
) -> dict[str, float]:
    """Rows/s through the fused task's store path: each row parked in Redis, written in batches.

    Every row goes through `store_batch.park` as the CPU worker's fused task sends it (its
    records to the item store, its member to the buffer) and the park that fills a batch writes
    it (`store_many` in one transaction, then each row's outcome counted in Redis), in `writers`
    processes at once, as that many CPU worker processes would. The writers are spawned, not
    forked (nothing of this process's connections is shared), and timed from a common start
    once they are ready. The flush timer's message is left out: one per WIRE_STORE_BATCH_WAIT,
    not per row. Client CPU is the writers' own (their Redis and database client work), not
    Redis's or the database's.
    """
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    wall0, spent = _race(
        _writer, [(url, redis_url, batch, rows[n::writers]) for n in range(writers)]
    )
    cpu = sum(spent)
    cpu0 = time.process_time()
    _write_left(url, redis_url, batch)  # the partial batches left parked
    wall = time.perf_counter() - wall0
    cpu += time.process_time() - cpu0
    _check_stored(url, len(rows))
    return {
        "rows_per_second": round(len(rows) / wall, 1),
        "client_cpu_ms_per_row": round(cpu * 1000 / len(rows), 3),
    }


def _resources(url: str, redis_url: str, batch: int) -> "Resources":
    """A writer's clients, with the store_batch tasks' messages kept from the broker."""
    from config.settings import Settings
    from workers import store_batch
    from workers.resources import Resources

    # No worker is there to run the flush timer's task: its message is not sent.
    store_batch.flush_task.apply_async = lambda **_: None
    # Nor a failed batch's items, which wire.store would take one by one: the run fails instead.
    store_batch.store_task.apply_async = _handed_over
    return Resources(Settings(database_url=url, redis_url=redis_url, store_batch_size=batch,
                              store_batch_wait=60))  # fmt: skip


def _writer(
    url: str,
    redis_url: str,
    batch: int,
    rows: list[StoredArticle],
    ready: Any,
    go: Any,
    spent: Any,
) -> None:
    """Park `rows` as a CPU worker process would, from the common start."""
    from workers import store_batch

    res = _resources(url, redis_url, batch)
    res.redis.ping()
    with res.sessions() as session:
        session.execute(text("SELECT 1"))  # connected before the start, as a running worker is
    ready.wait(timeout=120)
    go.wait(timeout=120)
    cpu0 = time.process_time()
    for record in rows:
        store_batch.park(record, "bench", res)
    spent.put(time.process_time() - cpu0)
    res.close()


def _write_left(url: str, redis_url: str, batch: int) -> None:
    """Write what the writers left parked (each one's last, partial batch)."""
    from workers import store_batch
    from workers.stats import STORE_BUFFER

    res = _resources(url, redis_url, batch)
    left = res.redis.zrange(STORE_BUFFER, 0, -1)
    store_batch.write([("bench", m.decode().split("|", 1)[1]) for m in left], res)
    res.close()


def _handed_over(**kwargs: object) -> None:
    raise RuntimeError(f"a batch failed and its items went to wire.store: {kwargs}")


@contextmanager
def sqlite_db() -> Iterator[str]:
    """A migrated SQLite file in a temp folder."""
    with tempfile.TemporaryDirectory(prefix="wire-bench-db-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        yield url


@contextmanager
def postgres_db() -> Iterator[str]:
    """A private, migrated PostgreSQL database, dropped afterwards."""
    name = f"wire_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = f"{POSTGRES.rpartition('/')[0]}/{name}"
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def without_story_refresh() -> Iterator[None]:
    """Leave the story rows out of store_many, to show what they cost (bench only)."""
    store = pipeline.store
    saved = store.stored_stories, store.update_stories, store.fold_inserted
    store.stored_stories = lambda *args, **kwargs: {}
    store.update_stories = lambda *args, **kwargs: None
    store.fold_inserted = lambda *args, **kwargs: None
    try:
        yield
    finally:
        store.stored_stories, store.update_stories, store.fold_inserted = saved


def measure(
    articles: list[Article], count: int, batches: tuple[int, ...], redis_url: str | None = None
) -> dict[str, object]:
    """Rows/s per database and batch size; a database that cannot be reached says why.

    With `redis_url`, also through the fused task's batch writer (parked in that Redis).
    """
    rows = records(articles, count)
    result: dict[str, object] = {"rows": count, "load_average": os.getloadavg()[0]}
    for name, database in (("sqlite", sqlite_db), ("postgresql", postgres_db)):
        figures: dict[str, dict[str, float]] = {}
        try:
            for batch in batches:
                with database() as url:
                    figures[f"batch_{batch}"] = rows_per_second(url, rows, batch)
                with database() as url, without_story_refresh():
                    figures[f"batch_{batch}_no_stories"] = rows_per_second(url, rows, batch)
            with database() as url:
                figures[f"batch_{max(batches)}_x2"] = concurrent_rows_per_second(
                    url, rows, max(batches), 2
                )
            if redis_url is not None:
                for writers in (1, 2):
                    with database() as url:
                        figures[f"batch_writer_{max(batches)}_x{writers}"] = (
                            batch_writer_rows_per_second(
                                url, rows, redis_url, max(batches), writers
                            )
                        )
            if name == "postgresql":  # SQLite's planner has no such statistics to wait for
                with database() as url:
                    figures[f"batch_{max(batches)}_analyzed"] = rows_per_second(
                        url, rows, max(batches), analyze=True
                    )
        except Exception as exc:  # a missing server is reported, not fatal
            result[name] = {"skipped": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
            continue
        result[name] = figures
    return result


if __name__ == "__main__":
    import json
    import sys

    import bench_pages
    import bench_pipeline
    from bench_run import private_redis

    _, corpus = bench_pipeline.usable(bench_pages.page_files())
    wanted = int(sys.argv[1]) if len(sys.argv) > 1 else bench_pipeline.DB_ROWS_MAX
    with private_redis() as redis_url:
        print(json.dumps(measure(corpus, wanted, (1, 100), redis_url), indent=2))
