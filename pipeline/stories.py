"""Story clusters in the database: the story rows kept in step with their stored copies."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import BindParameter, Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from pipeline.bulk import insert_rows
from pipeline.models import ArticleRow
from pipeline.story_models import StoryRow

# Core statements built once: the store runs them for every article, and building, keying and
# running an ORM statement through the session cost more client CPU than the database's work.
_articles, _stories = cast(Table, ArticleRow.__table__), cast(Table, StoryRow.__table__)
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_LOCK = (
    select(_stories.c.id).where(_stories.c.id.in_(_IDS)).order_by(_stories.c.id).with_for_update()
)
_COPIES = select(
    *(_articles.c[c] for c in ("story_id", "id", "url", "site_name", "agency", "title",
                               "stored_at", "duplicate_of"))
).where(_articles.c.story_id.in_(_IDS))  # fmt: skip
_UNUSED_PLACEHOLDERS = delete(_stories).where(_stories.c.id.in_(_IDS), _stories.c.copies == 0)
_POINT = (
    update(_articles)
    .where(_articles.c.id == bindparam("copy"))
    .values(duplicate_of=bindparam("original"))
)


def outlet(site_name: str | None, url: str) -> str:
    """The outlet of a copy: its site name, else its host."""
    return site_name or urlsplit(url).hostname or url


def pick_original(copies: list[Any]) -> Any:
    """The story's original: the first agency-attributed copy, else the first copy stored."""
    return min(copies, key=lambda c: (c.agency is None, c.stored_at, c.id))


def story_values(story_id: str, copies: list[Any]) -> dict[str, Any]:
    """The story row's values computed from all its copies (so a rerun gives the same row)."""
    original = pick_original(copies)
    seen: list[datetime] = [c.stored_at for c in copies]
    return {
        "id": story_id,
        "original_id": original.id,
        "title": original.title,
        "agency": original.agency,
        "first_seen": min(seen),
        "last_seen": max(seen),
        "copies": len(copies),
        "outlets": sorted({outlet(c.site_name, c.url) for c in copies}),
    }


def _lock_stories(session: Session, ids: list[str]) -> None:
    """Create missing story rows, then lock all of them in id order."""
    now = datetime.now(UTC)
    placeholders = [
        {"id": i, "original_id": i, "first_seen": now, "last_seen": now, "copies": 0, "outlets": []}
        for i in ids
    ]
    # A placeholder is overwritten below in this transaction; it only gives the lock a row.
    insert_rows(session, StoryRow, placeholders)
    # Locked in one order, so two stores of overlapping stories wait for each other and never
    # deadlock; the copies are read after the lock, so each store counts the other's copies.
    session.connection().execute(_LOCK, {"ids": ids})


def _copies_by_story(session: Session, ids: list[str]) -> dict[str, list[Any]]:
    """Every stored copy of these stories, in one query."""
    copies: dict[str, list[Any]] = defaultdict(list)
    for row in session.connection().execute(_COPIES, {"ids": ids}):
        copies[row.story_id].append(row)
    return copies


def _pointers(copies: list[Any], original: str) -> list[dict[str, Any]]:
    """The copies whose duplicate_of must change to point at the original (None for it)."""
    changed = []
    for copy in copies:
        wanted = None if copy.id == original else original
        if copy.duplicate_of != wanted:
            changed.append({"copy": copy.id, "original": wanted})
    return changed


def refresh_stories(session: Session, story_ids: Iterable[str]) -> None:
    """Upsert the stories of these ids and point their copies at the original (idempotent)."""
    ids = sorted(set(story_ids))
    if not ids:
        return
    _lock_stories(session, ids)
    copies = _copies_by_story(session, ids)
    if empty := set(ids) - copies.keys():  # only when called for a story with no stored copy
        session.connection().execute(_UNUSED_PLACEHOLDERS, {"ids": sorted(empty)})
    stories = [story_values(story_id, rows) for story_id, rows in copies.items()]
    if not stories:
        return
    insert_rows(session, StoryRow, stories, update_on="id")
    pointers = [p for s in stories for p in _pointers(copies[s["id"]], s["original_id"])]
    if pointers:  # usually none: the first claimed copy, already the original, stays it
        session.connection().execute(_POINT, pointers)
