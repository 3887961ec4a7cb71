"""The store stage: idempotent upsert of an article and its labels."""

import contextlib
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, exc
from sqlalchemy.orm import Session, sessionmaker

from pipeline.bulk import insert_rows, upsert_rows
from pipeline.errors import Retryable
from pipeline.models import ArticleRow, LabelRow
from pipeline.records import Classification, Label, StoredArticle
from pipeline.stories import stored_stories, update_stories
from pipeline.story_fold import fold_inserted


def article_values(record: StoredArticle) -> dict[str, Any]:
    """The article row's column values for one record."""
    art, dedup = record.article, record.dedup
    return {
        "id": art.item_id,
        "url": art.url,
        "canonical_url": art.canonical_url,
        "feed_url": art.feed_url,
        "title": art.title,
        "authors": art.authors,
        "published_at": art.published_at,
        "updated_at": art.updated_at,
        "language": art.language,
        "site_name": art.site_name,
        "description": art.description,
        "image_url": art.image_url,
        "text": art.text,
        "agency": art.agency,
        "dateline": art.dateline,
        "tags": art.tags,
        "word_count": art.word_count,
        "text_hash": dedup.text_hash,
        "story_id": dedup.story_id,
        "duplicate_of": dedup.duplicate_of,
        "model_version": record.classification.model,
        "stored_at": datetime.now(UTC),
    }


def label_values(article_id: str, labels: Classification) -> list[dict[str, Any]]:
    """The label rows of one article, one per (kind, code)."""
    kinds: dict[str, list[Label]] = {
        "topic": labels.topics,
        "country": labels.countries,
        "region": labels.regions,
        "organization": labels.organizations,
    }
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, items in kinds.items():
        for label in items:
            rows[(kind, label.code)] = {
                "article_id": article_id,
                "kind": kind,
                "code": label.code,
                "name": label.name,
                "score": label.score,
                "model": labels.model,
            }
    return list(rows.values())


# Built once: the store runs it for every article (an ORM delete built per call cost more).
_DELETE_LABELS = delete(LabelRow).where(LabelRow.article_id.in_(bindparam("ids", expanding=True)))


def store_many(records: list[StoredArticle], session: Session) -> int:
    """Upsert articles and replace their labels; running it twice leaves the same rows."""
    if not records:
        return 0
    # One statement may not touch a row twice (PostgreSQL refuses it): the last copy wins.
    records = list({r.article.item_id: r for r in records}.values())
    # stored_at follows the input order; the rows go in id order, so that two batches lock
    # the rows they share in the same order.
    rows = sorted((article_values(r) for r in records), key=lambda row: str(row["id"]))
    ids = [r.article.item_id for r in records]
    # Read before the upsert: a copy stored again may have changed or moved to another story.
    before = stored_stories(session, ids)
    # stored_at keeps the first store's time; every other column takes the newest values.
    inserted = upsert_rows(session, ArticleRow, rows, update_on="id", keep=("stored_at",))
    if before:  # a new article has no labels yet (and the delete may scan the whole table)
        session.connection().execute(_DELETE_LABELS, {"ids": sorted(before)})
    labels = [row for r in records for row in label_values(r.article.item_id, r.classification)]
    insert_rows(session, LabelRow, labels)
    # The usual batch on PostgreSQL, every row new: one upsert folds them into their stories. A
    # copy stored again, or by another store at once, takes the path that locks and counts.
    if not before and inserted is not None and len(inserted) == len(rows):
        fold_inserted(session, rows)
        return len(records)
    added: dict[str, list[str]] = defaultdict(list)
    rebuild = set(before.values())
    for r in records:
        if r.article.item_id in before:
            rebuild.add(r.dedup.story_id)
        else:
            added[r.dedup.story_id].append(r.article.item_id)
    update_stories(session, added, rebuild)
    return len(records)


def store(record: StoredArticle, session: Session) -> None:
    """Store one article idempotently (the caller owns the transaction)."""
    store_many([record], session)


@contextlib.contextmanager
def database_errors_are_transient() -> Iterator[None]:
    """Around a store's transaction: a lost or refused connection is Retryable, not a bug."""
    try:
        yield
    except (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError) as error:
        first_line = str(getattr(error, "orig", None) or error).splitlines()[0][:300]
        raise Retryable("database-unavailable", first_line) from error


def store_committed(record: StoredArticle, sessions: sessionmaker[Session]) -> None:
    """Store one article in its own transaction; a database outage is Retryable."""
    with database_errors_are_transient(), sessions.begin() as session:
        store(record, session)
