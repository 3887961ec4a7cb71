"""`wire stories list` and `wire stories show ID`: story clusters and their republishers."""

import argparse
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from config.settings import get_settings
from pipeline.models import ArticleRow
from pipeline.stories import outlet
from pipeline.story_models import StoryRow
from workers.cli_fleet import prepare
from workers.resources import resources


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add this module's sub-commands to the `wire` parser."""
    stories = sub.add_parser("stories", help="story clusters").add_subparsers(required=True)
    lst = stories.add_parser("list", help="the latest stories, most republished first")
    lst.add_argument("--limit", type=int, default=20)
    lst.add_argument("--min-copies", type=int, default=1)
    lst.add_argument("--format", choices=["table", "json"], default="table")
    lst.set_defaults(handler=list_)
    show = stories.add_parser("show", help="one story and every copy of it")
    show.add_argument("id")
    show.add_argument("--format", choices=["table", "json"], default="table")
    show.set_defaults(handler=show_)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def story_json(row: StoryRow) -> dict[str, Any]:
    """One story row as JSON."""
    return {"id": row.id, "original_id": row.original_id, "title": row.title,
            "agency": row.agency, "first_seen": _iso(row.first_seen),
            "last_seen": _iso(row.last_seen), "copies": row.copies,
            "outlets": row.outlets}  # fmt: skip


def copy_json(row: ArticleRow) -> dict[str, Any]:
    """One copy of a story as JSON."""
    return {"id": row.id, "outlet": outlet(row.site_name, row.url), "url": row.url,
            "title": row.title, "published_at": _iso(row.published_at),
            "stored_at": _iso(row.stored_at), "duplicate_of": row.duplicate_of,
            "words": row.word_count}  # fmt: skip


def list_(args: argparse.Namespace) -> int:
    """The latest stories with their number of copies and outlets."""
    prepare(get_settings())
    query = (select(StoryRow).where(StoryRow.copies >= args.min_copies)
             .order_by(StoryRow.last_seen.desc(), StoryRow.id).limit(args.limit))  # fmt: skip
    with resources().sessions() as session:
        rows = [story_json(row) for row in session.scalars(query)]
    if args.format == "json":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    print(f"{'story':<24} {'copies':>6}  {'last seen':<19}  title / outlets")
    for row in rows:
        print(f"{row['id']:<24} {row['copies']:>6}  {(row['last_seen'] or '')[:19]:<19}  "
              f"{row['title'] or ''}\n{'':<53}{', '.join(row['outlets'])}")  # fmt: skip
    return 0


def show_(args: argparse.Namespace) -> int:
    """One story: its original first, then every republisher with its own URL and time."""
    prepare(get_settings())
    with resources().sessions() as session:
        story = session.get(StoryRow, args.id)
        if story is None:
            print(f"no story {args.id}")
            return 1
        found = session.scalars(select(ArticleRow).where(ArticleRow.story_id == args.id))
        copies = sorted(found, key=lambda r: (r.id != story.original_id, r.stored_at, r.id))
        out = {**story_json(story), "republished": [copy_json(c) for c in copies]}
    if args.format == "json":
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    print(f"story {out['id']}: {out['title']}")
    print(f"  agency {out['agency'] or '-'}, {out['copies']} copies, "
          f"first seen {out['first_seen']}, last seen {out['last_seen']}")  # fmt: skip
    for c in out["republished"]:
        role = "original" if c["duplicate_of"] is None else "copy    "
        print(f"  {role} {c['outlet']:<24} {c['published_at'] or '-':<25} {c['url']}")
        print(f"           {c['title'] or ''}")
    return 0
