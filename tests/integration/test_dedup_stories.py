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
from pipeline.store import store, store_many
from pipeline.stories import refresh_stories
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


def test_one_batch_of_many_stories_gives_each_story_its_row(
    sessions: sessionmaker[Session],
) -> None:
    first = [_record(f"s{i}", "blog", story=f"s{i}") for i in range(3)]
    copies = [_record(f"c{i}", f"site{i}", story=f"s{i % 3}") for i in range(6)]
    with sessions.begin() as session:
        store_many(first + copies, session)
    with sessions.begin() as session:  # a later agency copy takes over one story
        store_many([_record("w1", "wire", story="s1", agency="AFP")], session)
    stories = {i: _story(sessions, f"s{i}") for i in range(3)}
    assert [stories[i].copies for i in range(3)] == [3, 4, 3]
    assert [stories[i].original_id for i in range(3)] == ["s0", "w1", "s2"]
    assert stories[1].outlets == ["Blog", "Site1", "Site4", "Wire"]
    pointers = _duplicates(sessions)
    assert (pointers["s1"], pointers["c4"], pointers["w1"]) == ("w1", "w1", None)
    assert (pointers["s0"], pointers["c3"]) == (None, "s0")


def test_a_batch_waiting_on_an_open_store_counts_its_copies(
    sessions: sessionmaker[Session],
) -> None:
    stories = [f"s{i}" for i in range(3)]
    with sessions.begin() as session:  # existing stories: only the row lock makes them wait
        store_many([_record(s, "first", story=s) for s in stories], session)
    held, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def second_batch() -> None:
        try:
            held.wait(30)
            with sessions.begin() as session:
                store_many([_record(f"b{s}", "two", story=s) for s in stories[::-1]], session)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=second_batch)
    thread.start()
    with sessions.begin() as session:
        store_many([_record(f"a{s}", "one", story=s) for s in stories], session)
        held.set()  # the second batch runs while this one is still uncommitted
        assert not done.wait(1), "the second batch did not wait for the first one's stories"
    thread.join(60)
    assert errors == []
    assert [_story(sessions, s).copies for s in stories] == [3, 3, 3]


def test_concurrent_batches_of_shared_stories_in_opposite_orders_count_every_copy(
    sessions: sessionmaker[Session],
) -> None:
    stories = [f"s{i}" for i in range(20)]
    errors: list[BaseException] = []

    def store_batch(gate: threading.Barrier, worker: str, order: list[str]) -> None:
        try:
            batch = [_record(f"{worker}{s}", f"site{worker}", story=s) for s in order]
            gate.wait(30)
            with sessions.begin() as session:
                store_many(batch, session)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    # Opposite orders, many rounds: the story rows are locked in one order whatever the input's.
    for round_ in range(10):
        gate = threading.Barrier(2)
        threads = [
            threading.Thread(target=store_batch, args=(gate, f"a{round_}_", stories)),
            threading.Thread(target=store_batch, args=(gate, f"b{round_}_", stories[::-1])),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    assert [_story(sessions, s).copies for s in stories] == [20] * 20


def test_refreshing_a_story_without_copies_leaves_no_row(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        store(_record("s1", "one"), session)
        refresh_stories(session, ["s1", "gone"])
    with sessions() as session:
        assert session.get(StoryRow, "gone") is None
    assert _story(sessions).copies == 1
