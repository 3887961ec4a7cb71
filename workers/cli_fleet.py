"""`wire run`, `wire worker`, `wire beat`, `wire flower`: the fleet's processes."""

import argparse
import logging
import os
import signal
import threading
import time
from types import FrameType

from config.settings import Settings, get_settings
from pipeline import registry
from pipeline.db import upgrade
from pipeline.feedlists import read_feed_list
from workers import embedded, fleet, flow, logs
from workers.resources import resources

ALL_QUEUES = flow.QUEUES
log = logging.getLogger("wire.run")


def prepare(settings: Settings) -> None:
    """What every entry point needs first: the var folder and the newest schema."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url_resolved)


def register_feeds_file(settings: Settings) -> list[str]:
    """Add the feeds of WIRE_FEEDS_FILE that the registry does not know yet."""
    urls = read_feed_list(settings.feeds_file)
    with resources().sessions.begin() as session:
        return registry.add_feeds(session, urls, settings.poll_interval_seconds)


def _stop_event() -> threading.Event:
    stop = threading.Event()

    def _handler(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping the fleet (workers finish what they hold)", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    return stop


def run(_args: argparse.Namespace) -> int:
    """Workers for every queue and one beat, polling the feeds file until stopped."""
    settings = get_settings()
    logs.configure(settings.log_level)
    prepare(settings)
    stop = _stop_event()
    with fleet.embedded_redis(settings):
        added = register_feeds_file(settings)
        log.info("feeds file %s: %d new feeds registered", settings.feeds_file, len(added))
        argvs = [*fleet.local_worker_argvs(), fleet.beat_argv(settings)]
        with fleet.processes(argvs) as procs:
            while not stop.wait(1.0):
                _restart_dead(procs, argvs)
    return 0


def _restart_dead(procs: list["fleet.Popen"], argvs: list[list[str]]) -> None:
    """A fleet process that died is started again, so the fleet keeps running."""
    for i, proc in enumerate(procs):
        if proc.poll() is not None:
            log.warning(
                "process %s exited with %s; restarting", " ".join(argvs[i][5:7]), proc.returncode
            )
            time.sleep(1.0)
            procs[i] = fleet.spawn(argvs[i])


def _ensure_broker(settings: Settings) -> None:
    if settings.embedded_redis:
        embedded.start(settings.var_dir)


def worker(args: argparse.Namespace) -> int:
    """Become a Celery worker on the given queues (the embedded Redis is started if needed)."""
    settings = get_settings()
    _ensure_broker(settings)
    concurrency = args.concurrency or os.cpu_count() or 1
    name = args.hostname or f"{args.pool}-{os.getpid()}"
    argv = fleet.worker_argv(args.queues, concurrency, args.pool, name)
    os.execv(argv[0], argv)  # noqa: S606 - our own interpreter; signals then reach Celery directly


def beat(_args: argparse.Namespace) -> int:
    """Become the fleet's beat: one per fleet, dispatching due feeds every tick."""
    settings = get_settings()
    _ensure_broker(settings)
    prepare(settings)
    argv = fleet.beat_argv(settings)
    os.execv(argv[0], argv)  # noqa: S606


def flower(args: argparse.Namespace) -> int:
    """Become Flower, watching the fleet's task events and queues."""
    _ensure_broker(get_settings())
    argv = fleet.celery_argv("flower", f"--port={args.port}", f"--address={args.address}")
    os.execv(argv[0], argv)  # noqa: S606
