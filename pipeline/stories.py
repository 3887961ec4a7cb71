"""Story clusters in the database: the story rows kept in step with their stored copies."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from pipeline.bulk import insert_rows
from pipeline.models import ArticleRow
from pipeline.story_models import StoryRow

_COLUMNS = (ArticleRow.story_id, ArticleRow.id, ArticleRow.url, ArticleRow.site_name,
            ArticleRow.agency, ArticleRow.title, ArticleRow.stored_at,
            ArticleRow.duplicate_of)  # fmt: skip


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
    session.execute(
        select(StoryRow.id).where(StoryRow.id.in_(ids)).order_by(StoryRow.id).with_for_update()
    )


def _copies_by_story(session: Session, ids: list[str]) -> dict[str, list[Any]]:
    """Every stored copy of these stories, in one query."""
    copies: dict[str, list[Any]] = defaultdict(list)
    for row in session.execute(select(*_COLUMNS).where(ArticleRow.story_id.in_(ids))):
        copies[row.story_id].append(row)
    return copies


def _pointers(copies: list[Any], original: str) -> list[dict[str, Any]]:
    """The copies whose duplicate_of must change to point at the original (None for it)."""
    changed = []
    for copy in copies:
        wanted = None if copy.id == original else original
        if copy.duplicate_of != wanted:
            changed.append({"id": copy.id, "duplicate_of": wanted})
    return changed


def refresh_stories(session: Session, story_ids: Iterable[str]) -> None:
    """Upsert the stories of these ids and point their copies at the original (idempotent)."""
    ids = sorted(set(story_ids))
    if not ids:
        return
    _lock_stories(session, ids)
    copies = _copies_by_story(session, ids)
    if empty := set(ids) - copies.keys():  # only when called for a story with no stored copy
        session.execute(delete(StoryRow).where(StoryRow.id.in_(empty), StoryRow.copies == 0))
    stories = [story_values(story_id, rows) for story_id, rows in copies.items()]
    if not stories:
        return
    insert_rows(session, StoryRow, stories, update_on="id")
    pointers = [p for s in stories for p in _pointers(copies[s["id"]], s["original_id"])]
    if pointers:  # usually none: the first claimed copy, already the original, stays it
        session.execute(update(ArticleRow), pointers)
