"""One ingest run: poll some feeds once, run every stage until nothing is in flight."""

import logging
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from config.settings import Settings
from pipeline import registry
from pipeline.feedlists import read_feed_list
from workers import fleet, flow
from workers.app import app
from workers.reconcile import every, reconcile
from workers.resources import resources
from workers.send import send_poll
from workers.stats import OUTCOMES, Counts, Stats

log = logging.getLogger("wire.ingest")


@dataclass(frozen=True)
class RunResult:
    """What one run did: its counters, and whether it finished before the timeout."""

    run_id: str
    counts: Counts
    reasons: dict[str, int]
    finished: bool
    seconds: float

    @property
    def errors(self) -> int:
        """Items that hit a bug (an unexpected exception) in some stage."""
        return sum(self.counts.get(stage, "error") for stage in flow.STAGES)


def feeds_for_run(settings: Settings, feeds_file: Path | None) -> list[int]:
    """The registry ids of the run's feeds: those of the file, else all (the feeds file if none)."""
    with resources().sessions.begin() as session:
        if feeds_file is not None:
            urls = read_feed_list(feeds_file)
            registry.add_feeds(session, urls, settings.poll_interval_seconds)
            return registry.feed_ids(session, urls)
        ids = registry.feed_ids(session)
        if not ids:
            urls = read_feed_list(settings.feeds_file)
            registry.add_feeds(session, urls, settings.poll_interval_seconds)
            ids = registry.feed_ids(session)
        return ids


def wait_until_done(
    stats: Stats, run_id: str, timeout: float, during: Callable[[], None] = lambda: None
) -> bool:
    """Wait until every item sent in this run has an outcome in every stage it entered."""
    deadline = time.monotonic() + timeout
    last_report = 0.0
    while time.monotonic() < deadline:
        during()
        counts = stats.read(run_id)
        if counts.in_flight() <= 0:
            return True
        if time.monotonic() - last_report > 5:
            log.info("in flight: %d", counts.in_flight())
            last_report = time.monotonic()
        time.sleep(0.2)
    return False


def run_once(
    settings: Settings,
    feed_ids: list[int],
    *,
    local_workers: bool,
    timeout: float,
    env: dict[str, str] | None = None,
) -> RunResult:
    """Send one poll per feed, with local workers (or a fleet) consuming, and wait for the end."""
    run_id = uuid.uuid4().hex[:16]
    stats = Stats(resources().redis)
    started = time.monotonic()
    for feed_id in feed_ids:
        send_poll(app, feed_id, run_id, run_id)
    argvs = fleet.local_worker_argvs() if local_workers else []
    log_file = (settings.var_dir / "logs" / f"ingest-{run_id}.log").resolve()
    # This run has no beat: it reconciles itself, so a message the broker lost ends the run late
    # (after WIRE_RECONCILE_AFTER), not never.
    res = resources()
    reconciler = every(
        settings.reconcile_interval,
        lambda: reconcile(
            app, res.redis, settings.reconcile_after_seconds, fused=settings.fuse_cpu_stages
        ),
    )
    with fleet.processes(argvs, log_file=log_file, env=env):
        finished = wait_until_done(stats, run_id, timeout, reconciler)
    return RunResult(
        run_id, stats.read(run_id), stats.reasons(run_id), finished, time.monotonic() - started
    )


def print_summary(result: RunResult, stream: TextIO = sys.stdout) -> None:
    """The per-stage table: in, out, dropped, failed, errors; then the reasons."""
    header = f"{'stage':10}{'in':>8}" + "".join(f"{o:>9}" for o in OUTCOMES)
    lines = [header]
    for stage in flow.STAGES:
        cells = "".join(f"{result.counts.get(stage, o):>9}" for o in OUTCOMES)
        lines.append(f"{stage:10}{result.counts.get(stage, 'in'):>8}{cells}")
    for key, count in sorted(result.reasons.items()):
        lines.append(f"  {key}: {count}")
    state = "finished" if result.finished else "TIMED OUT with items in flight"
    lines.append(f"run {result.run_id} {state} in {result.seconds:.1f}s")
    print("\n".join(lines), file=stream)
