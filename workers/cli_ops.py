"""`wire ingest`, `wire status`, `wire replay`, `wire demo`, `wire db upgrade`."""

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from config.settings import get_settings
from pipeline.db import upgrade
from pipeline.errors import Drop
from pipeline.models import Feed
from pipeline.registry import now
from workers import fleet, flow
from workers.app import app
from workers.cli_fleet import prepare
from workers.ingest import feeds_for_run, print_summary, run_once
from workers.metrics import FeedState, dead_letter_count, feed_seconds_since_new, feed_states
from workers.replay import replay_dead_letters
from workers.resources import resources
from workers.stats import OUTCOMES, STORE_BUFFER, Stats


def ingest(args: argparse.Namespace) -> int:
    """Poll every feed (or those of --feeds) once and run every stage until done."""
    settings = get_settings()
    prepare(settings)
    with fleet.embedded_redis(settings):
        try:
            ids = feeds_for_run(settings, Path(args.feeds) if args.feeds else None)
        except (OSError, UnicodeDecodeError, Drop) as exc:
            print(f"cannot read the feed list: {exc}", file=sys.stderr)
            return 2
        result = run_once(
            settings, ids, local_workers=not args.no_local_workers, timeout=args.timeout
        )
    print_summary(result)
    return 0 if result.finished and result.errors == 0 else 1


def db_upgrade(_args: argparse.Namespace) -> int:
    """Apply the schema migrations to the configured database."""
    settings = get_settings()
    upgrade(settings.database_url_resolved)
    print(f"schema up to date: {settings.database_url_resolved.split('@')[-1]}")
    return 0


def _queue_depths() -> dict[str, int]:
    redis = resources().redis
    return {queue: int(redis.llen(queue)) for queue in flow.QUEUES}


def _live_workers() -> list[str]:
    replies = app.control.ping(timeout=1.0) or []
    return sorted(name for reply in replies for name in reply)


def status(_args: argparse.Namespace) -> int:
    """Workers, queues, stage counters with drop reasons, feeds and dead letters at a glance."""
    settings = get_settings()
    prepare(settings)
    if settings.embedded_redis and not fleet.embedded_running(settings):
        print("broker: embedded Redis is not running (start the fleet with `wire run`)")
    else:
        _print_fleet()
    with resources().sessions() as session:
        feeds = feed_states(session)
        due = session.scalar(select(func.count()).where(Feed.next_poll_at <= now())) or 0
        dead = dead_letter_count(session)
    _print_feeds(feeds, due)
    print(f"dead letters: {dead} waiting for `wire replay`")
    return 0


def _print_fleet() -> None:
    redis = resources().redis
    stats = Stats(redis)
    counts, reasons, workers = stats.read(), stats.reasons(), _live_workers()
    print(f"workers: {len(workers)} live {' '.join(workers)}")
    depths = "  ".join(f"{q}={n}" for q, n in _queue_depths().items())
    held, parked = redis.hlen("unacked"), redis.zcard(STORE_BUFFER)
    print(f"queues:  {depths}  (held by workers: {held}; parked for a batched store: {parked})")
    extra = ("retried", "reconciled")
    print(f"{'stage':10}{'in':>8}" + "".join(f"{o:>11}" for o in (*OUTCOMES, *extra)))
    for stage in flow.STAGES:
        cells = "".join(f"{counts.get(stage, o):>11}" for o in (*OUTCOMES, *extra))
        print(f"{stage:10}{counts.get(stage, 'in'):>8}{cells}")
    top = sorted(reasons.items(), key=lambda kv: -kv[1])[:8]
    if top:
        print("reasons: " + "  ".join(f"{key}={count}" for key, count in top))


def _print_feeds(feeds: list[FeedState], due: int) -> None:
    failing = sorted((f for f in feeds if f.failure_score > 0), key=lambda f: -f.failure_score)
    print(f"feeds:   {len(feeds)} registered, {due} due, {len(failing)} failing")
    for feed in failing[:5]:
        print(f"  failure score {feed.failure_score:5.2f}  {feed.url}")
    when = datetime.now(UTC)
    quiet = sorted(feed_seconds_since_new(feeds, when).items(), key=lambda kv: -kv[1])[:5]
    for url, seconds in quiet:
        print(f"  no new entry for {seconds / 3600:7.1f} h  {url}")


def replay(args: argparse.Namespace) -> int:
    """Send dead-lettered items back to the stage that gave up on them."""
    settings = get_settings()
    prepare(settings)
    with fleet.embedded_redis(settings):
        sent = replay_dead_letters(args.stage, args.limit)
    print(f"{sent} dead letters sent back to their stage")
    return 0


def demo(_args: argparse.Namespace) -> int:
    """Serve the bundled sample on 127.0.0.1 and ingest it end to end."""
    from workers.demo import run_demo  # the demo server is only needed here

    return run_demo()
