"""Story clusters in the database: the story rows kept in step with their stored copies."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from pipeline.models import ArticleRow
from pipeline.story_models import StoryRow

_COLUMNS = (ArticleRow.id, ArticleRow.url, ArticleRow.site_name, ArticleRow.agency,
            ArticleRow.title, ArticleRow.stored_at)  # fmt: skip


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


def refresh_stories(session: Session, story_ids: Iterable[str], insert: Any) -> None:
    """Upsert the stories of these ids and point their copies at the original (idempotent)."""
    for story_id in sorted(set(story_ids)):  # one lock order, so two stores never deadlock
        copies = list(session.execute(select(*_COLUMNS).where(ArticleRow.story_id == story_id)))
        if not copies:
            continue
        placeholder = story_values(story_id, copies)
        session.execute(insert(StoryRow).values(placeholder).on_conflict_do_nothing())
        # The row lock makes a concurrent store of the same story wait, then count our copy.
        session.execute(select(StoryRow.id).where(StoryRow.id == story_id).with_for_update())
        copies = list(session.execute(select(*_COLUMNS).where(ArticleRow.story_id == story_id)))
        values = story_values(story_id, copies)
        session.execute(update(StoryRow).where(StoryRow.id == story_id).values(values))
        original = values["original_id"]
        session.execute(
            update(ArticleRow)
            .where(ArticleRow.story_id == story_id)
            .values(duplicate_of=case((ArticleRow.id == original, None), else_=original))
        )
