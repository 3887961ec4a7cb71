"""`wire feeds …`: the feed registry from the command line."""

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from config.settings import get_settings
from pipeline import registry
from pipeline.errors import Drop, Retryable
from pipeline.feedlists import read_feed_list, write_opml
from pipeline.http import make_client
from pipeline.models import Feed
from pipeline.poll import PollResult, poll
from workers.cli_fleet import prepare
from workers.resources import resources


def _valid(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def _add(urls: list[str]) -> int:
    bad = [u for u in urls if not _valid(u)]
    for url in bad:
        print(f"not an http(s) URL, skipped: {url}", file=sys.stderr)
    good = [u for u in urls if _valid(u)]
    prepare(get_settings())
    with resources().sessions.begin() as session:
        added = registry.add_feeds(session, good, get_settings().poll_interval_seconds)
    print(f"{len(added)} added, {len(good) - len(added)} already registered")
    return 1 if bad else 0


def add(args: argparse.Namespace) -> int:
    """Register the given feed URLs."""
    return _add(list(args.urls))


def import_file(args: argparse.Namespace) -> int:
    """Register the feeds of an OPML, YAML or one-URL-a-line file."""
    try:
        urls = read_feed_list(Path(args.file))
    except (OSError, UnicodeDecodeError, Drop) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    return _add(urls)


def remove(args: argparse.Namespace) -> int:
    """Forget a feed."""
    prepare(get_settings())
    with resources().sessions.begin() as session:
        found = registry.remove_feed(session, args.url)
    print("removed" if found else f"not registered: {args.url}")
    return 0 if found else 1


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def feed_json(feed: Feed) -> dict[str, object]:
    """A feed's registry state as JSON-ready values."""
    return {
        "url": feed.url,
        "title": feed.title,
        "status": _status(feed),
        "last_status": feed.last_status,
        "last_error": feed.last_error,
        "failure_score": feed.failure_score,
        "interval_seconds": feed.interval_seconds,
        "next_poll_at": _iso(feed.next_poll_at),
        "last_polled_at": _iso(feed.last_polled_at),
        "last_new_entry_at": _iso(feed.last_new_entry_at),
        "entries_seen": feed.entries_seen,
        "consecutive_failures": feed.consecutive_failures,
        "last_success_at": _iso(feed.last_success_at),
        "last_warning": feed.last_warning,
    }


def _status(feed: Feed) -> str:
    if feed.last_error:
        return "failing"
    if feed.last_polled_at is None:
        return "new"
    return "warning" if feed.last_warning else "ok"


def list_(args: argparse.Namespace) -> int:
    """Print the registry as a table or as JSON."""
    prepare(get_settings())
    with resources().sessions() as session:
        rows = [feed_json(f) for f in registry.list_feeds(session)]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'status':8} {'entries':>7} {'fails':>5}  {'next poll':19}  url / last error")
    for row in rows:
        nxt = str(row["next_poll_at"] or "")[:19]
        print(f"{row['status']!s:8} {row['entries_seen']!s:>7} {row['failure_score']!s:>5}  "
              f"{nxt:19}  {row['url']}")  # fmt: skip
        if row["last_error"] or row["last_warning"]:
            print(f"{'':44}  ! {row['last_error'] or row['last_warning']}")
    return 0


def export(_args: argparse.Namespace) -> int:
    """Write the registry as OPML on standard output."""
    prepare(get_settings())
    with resources().sessions() as session:
        feeds = [(f.url, f.title) for f in registry.list_feeds(session)]
    sys.stdout.buffer.write(write_opml(feeds) + b"\n")
    return 0


def register(feeds: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add `wire feeds try` to the feeds sub-commands."""
    attempt = feeds.add_parser("try", help="poll one feed without storing anything")
    attempt.add_argument("url")
    attempt.add_argument("--format", choices=["table", "json"], default="table")
    attempt.set_defaults(handler=try_feed)


def try_feed(args: argparse.Namespace) -> int:
    """Poll one feed now and print what would be ingested; nothing is stored or sent."""
    policy = get_settings().fetch_policy()  # honours WIRE_ALLOW_PRIVATE_NETWORKS like workers
    report: dict[str, object] = {"url": args.url}
    try:
        with make_client(policy) as client:
            report.update(_report(poll(client, args.url, policy)))
    except (Drop, Retryable) as exc:
        report.update(status="failing", error=str(exc), entries=[])
    _print_try(report, args.format)
    return 1 if report["status"] == "failing" else 0


def _report(result: PollResult) -> dict[str, object]:
    feed = result.feed
    entries = [
        {"title": e.title, "link": e.link, "published": _iso(e.published_at), "guid": e.guid}
        for e in (feed.entries if feed else [])
    ]
    warning = f"bozo: {feed.bozo_reason}" if feed and feed.bozo else None
    return {
        "status": "warning" if warning else "ok",
        "http_status": result.status,
        "title": feed.title if feed else None,
        "warning": warning,
        "hints_seconds": result.hints.floor() or None,
        "entries": entries,
    }


def _print_try(report: dict[str, object], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    entries = report["entries"]
    assert isinstance(entries, list)
    print(f"{report['status']}: {report['url']} ({len(entries)} entries)")
    if report.get("error") or report.get("warning"):
        print(f"  ! {report.get('error') or report.get('warning')}")
    for entry in entries:
        print(f"  {entry['published'] or '':25}  {entry['title']}\n  {'':25}  {entry['link']}")
