"""The story table against real SQLite and PostgreSQL: counts, outlets, original, concurrency."""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db import make_engine, session_factory
from pipeline.models import ArticleRow
from pipeline.records import Article, Classification, DedupVerdict, StoredArticle
from pipeline.store import store
from pipeline.story_models import StoryRow


def _record(item_id: str, site: str, story: str = "s1", agency: str | None = None) -> StoredArticle:
    article = Article(
        item_id=item_id, url=f"http://{site}.test/news/{item_id}",
        canonical_url=f"http://{site}.test/news/{item_id}", title=f"Headline at {site}",
        site_name=site.title(), published_at=datetime(2025, 4, 22, 9, 14, tzinfo=UTC),
        text="The Kremlin said on Monday ...", agency=agency, word_count=6,
    )  # fmt: skip
    dup = None if item_id == story else story
    verdict = DedupVerdict(story_id=story, duplicate_of=dup, text_hash=item_id * 4)
    return StoredArticle(article=article, dedup=verdict, classification=Classification(model="m"))


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the migrated test database."""
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def _story(sessions: sessionmaker[Session], story_id: str = "s1") -> StoryRow:
    with sessions() as session:
        row = session.get(StoryRow, story_id)
        assert row is not None
        session.expunge(row)
        return row


def _duplicates(sessions: sessionmaker[Session]) -> dict[str, str | None]:
    with sessions() as session:
        return {r.id: r.duplicate_of for r in session.scalars(select(ArticleRow))}


def test_story_row_counts_copies_and_outlets(sessions: sessionmaker[Session]) -> None:
    for item, site in [("s1", "globalsouth"), ("b2", "dailywire"), ("c3", "metro")]:
        with sessions.begin() as session:
            store(_record(item, site), session)
    story = _story(sessions)
    assert (story.copies, story.original_id) == (3, "s1")
    assert story.outlets == ["Dailywire", "Globalsouth", "Metro"]
    assert story.first_seen <= story.last_seen
    assert story.title == "Headline at globalsouth"
    assert _duplicates(sessions) == {"s1": None, "b2": "s1", "c3": "s1"}


def test_storing_a_copy_again_adds_no_second_copy(sessions: sessionmaker[Session]) -> None:
    for _ in range(2):
        for item, site in [("s1", "one"), ("b2", "two")]:
            with sessions.begin() as session:
                store(_record(item, site), session)
    assert _story(sessions).copies == 2


def test_an_agency_attributed_copy_becomes_the_original(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        store(_record("s1", "blog"), session)
    with sessions.begin() as session:
        store(_record("b2", "wire", agency="Reuters"), session)
    story = _story(sessions)
    assert (story.original_id, story.agency, story.copies) == ("b2", "Reuters", 2)
    assert _duplicates(sessions) == {"s1": "b2", "b2": None}


def test_two_stores_of_one_story_at_once_count_both_copies(
    sessions: sessionmaker[Session],
) -> None:
    gate = threading.Barrier(4)
    errors: list[BaseException] = []

    def store_one(item: str) -> None:
        try:
            gate.wait(30)
            with sessions.begin() as session:
                store(_record(item, f"site{item}"), session)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=store_one, args=(i,)) for i in ("s1", "b2", "c3", "d4")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert _story(sessions).copies == 4
