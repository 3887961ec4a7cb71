"""Story clusters in the database: the story rows kept in step with their stored copies."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import BindParameter, Table, bindparam, delete, func, select, text, update
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
_COPY = tuple(_articles.c[c] for c in ("story_id", "id", "url", "site_name", "agency", "title",
                                       "stored_at", "duplicate_of"))  # fmt: skip
_COPIES = select(*_COPY).where(_articles.c.story_id.in_(_IDS))
_COPIES_BY_ID = select(*_COPY).where(_articles.c.id.in_(_IDS))
_STORED = select(_articles.c.id, _articles.c.story_id).where(_articles.c.id.in_(_IDS))
# On PostgreSQL one primary-key lookup per id: `id IN (...)` was planned as a scan of every
# article (texts included) until the table had statistics.
_STORED_PG = text(
    "SELECT k.id, (SELECT a.story_id FROM articles AS a WHERE a.id = k.id) AS story_id"
    " FROM unnest(CAST(:ids AS VARCHAR[])) AS k(id)"
)
# Each story's copies counted by its own index lookup: a GROUP BY over `story_id IN (...)` was
# planned as a scan of every article until the table had statistics.
_STORED_COPIES = select(func.count()).where(_articles.c.story_id == _stories.c.id).scalar_subquery()
_STORY_ROWS = select(_stories, _STORED_COPIES.label("stored")).where(_stories.c.id.in_(_IDS))
_REPOINT = (
    update(_articles)
    .where(
        _articles.c.story_id == bindparam("story"),
        _articles.c.id != bindparam("original"),
        _articles.c.duplicate_of.is_distinct_from(bindparam("original")),
    )
    .values(duplicate_of=bindparam("original"))
)
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


def pointer_changes(copies: list[Any], original: str) -> list[dict[str, Any]]:
    """The copies whose duplicate_of must change to point at the original (None for it)."""
    changed = []
    for copy in copies:
        wanted = None if copy.id == original else original
        if copy.duplicate_of != wanted:
            changed.append({"copy": copy.id, "original": wanted})
    return changed


def stored_stories(session: Session, article_ids: list[str]) -> dict[str, str]:
    """The story of each of these articles already stored (read before a store rewrites them)."""
    conn = session.connection()
    statement = _STORED_PG if conn.dialect.name == "postgresql" else _STORED
    rows = conn.execute(statement, {"ids": article_ids})
    return {row.id: row.story_id for row in rows if row.story_id is not None}


def refresh_stories(session: Session, story_ids: Iterable[str]) -> None:
    """Upsert the stories of these ids from all their copies (idempotent)."""
    update_stories(session, {}, story_ids)


def update_stories(
    session: Session, added: Mapping[str, list[str]], rebuild: Iterable[str] = ()
) -> None:
    """Fold newly stored copies (story id -> copy ids) into their stories; rebuild the others.

    A story only gaining copies is updated from its row, its original and the new copies: its
    copies are counted (an index scan) but not read, so storing the n-th copy of a story that
    hundreds of outlets republished reads one original, not n rows. A story whose copies changed
    or moved (an article stored again) is rebuilt from all its copies.
    """
    full = set(rebuild)
    ids = sorted(full | added.keys())
    if not ids:
        return
    _lock_stories(session, ids)
    if grown := sorted(added.keys() - full):
        full |= _fold(session, grown, added)
    if full:
        _rebuild(session, sorted(full))


def _fold(session: Session, ids: list[str], added: Mapping[str, list[str]]) -> set[str]:
    """Update stories that only gained copies; return those that need a rebuild instead."""
    conn = session.connection()
    rows = {r.id: r for r in conn.execute(_STORY_ROWS, {"ids": ids})}
    # The new copies and the current originals, in one query.
    wanted = [i for story_id in ids for i in added[story_id]]
    wanted += [r.original_id for r in rows.values() if r.copies > 0]
    copies_of = {r.id: r for r in conn.execute(_COPIES_BY_ID, {"ids": wanted})}
    stories, pointers, repoints, rebuild = [], [], [], set()
    for story_id in ids:
        row, fresh = rows[story_id], [copies_of[i] for i in added[story_id] if i in copies_of]
        prior = copies_of.get(row.original_id) if row.copies > 0 else None
        if not fresh or (row.copies > 0 and prior is None):
            rebuild.add(story_id)  # nothing to fold, or the row no longer matches its copies
            continue
        values = _folded(row, prior, fresh)
        stories.append(values)
        original = values["original_id"]
        if prior is not None and original != prior.id:  # a new original: every copy follows
            repoints.append({"story": story_id, "original": original})
            pointers.append({"copy": original, "original": None})
        else:
            pointers.extend(pointer_changes(fresh, original))
    if stories:
        insert_rows(session, StoryRow, stories, update_on="id")
    write_pointers(session, repoints, pointers)
    return rebuild


def write_pointers(
    session: Session, repoints: list[dict[str, Any]], pointers: list[dict[str, Any]]
) -> None:
    """Point every copy of each repointed story, then each listed copy, at its original."""
    if repoints:
        session.connection().execute(_REPOINT, repoints)
    if pointers:
        session.connection().execute(_POINT, pointers)


def _folded(row: Any, prior: Any | None, fresh: list[Any]) -> dict[str, Any]:
    """A story row's values from its row, its current original and its new copies."""
    values = story_values(row.id, [prior, *fresh] if prior else fresh)
    values["copies"] = row.stored  # counted, not added: a copy stored twice at once counts once
    if prior is not None:
        values["first_seen"] = min(values["first_seen"], row.first_seen)
        values["last_seen"] = max(values["last_seen"], row.last_seen)
        values["outlets"] = sorted(set(values["outlets"]) | set(row.outlets))
    return values


def _rebuild(session: Session, ids: list[str]) -> None:
    """Recompute these stories from all their copies and point the copies at the original."""
    copies = _copies_by_story(session, ids)
    if empty := set(ids) - copies.keys():  # only when called for a story with no stored copy
        session.connection().execute(_UNUSED_PLACEHOLDERS, {"ids": sorted(empty)})
    stories = [story_values(story_id, rows) for story_id, rows in copies.items()]
    if not stories:
        return
    insert_rows(session, StoryRow, stories, update_on="id")
    # Usually none: the first claimed copy, already the original, stays it.
    pointers = [p for s in stories for p in pointer_changes(copies[s["id"]], s["original_id"])]
    write_pointers(session, [], pointers)
