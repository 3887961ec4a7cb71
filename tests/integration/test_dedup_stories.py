"""The story table against real SQLite and PostgreSQL: counts, outlets, original, concurrency."""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select
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


def _stories(sessions: sessionmaker[Session]) -> dict[str, tuple[object, ...]]:
    with sessions() as session:
        return {
            s.id: (s.original_id, s.title, s.agency, s.first_seen, s.last_seen, s.copies, s.outlets)
            for s in session.scalars(select(StoryRow))
        }


def test_stories_updated_copy_by_copy_equal_a_rebuild_from_every_copy(
    sessions: sessionmaker[Session],
) -> None:
    batches = [
        [_record("s1", "one"), _record("b2", "two")],
        [_record("c3", "three")],
        # A later agency-attributed copy becomes the original: every copy follows it.
        [_record("d4", "four", agency="Reuters"), _record("e5", "five")],
        [_record("f6", "two"), _record("g7", "six", story="s2"), _record("h8", "seven", "s2")],
        [_record("c3", "renamed")],  # stored again with another outlet: its story is rebuilt
        [_record("e5", "five", story="s2")],  # moved to another story: both are rebuilt
    ]
    for batch in batches:
        with sessions.begin() as session:
            store_many(batch, session)
        folded, pointers = _stories(sessions), _duplicates(sessions)
        with sessions.begin() as session:
            refresh_stories(session, list(folded))
        assert (_stories(sessions), _duplicates(sessions)) == (folded, pointers), batch
    s1, s2 = folded["s1"], folded["s2"]
    assert (s1[0], s1[2], s1[5], s1[6]) == ("d4", "Reuters", 5, ["Four", "One", "Renamed", "Two"])
    # e5 keeps its first store's time, earlier than g7's and h8's: the first copy of s2.
    assert (s2[0], s2[5], s2[6]) == ("e5", 3, ["Five", "Seven", "Six"])
    assert pointers == {"s1": "d4", "b2": "d4", "c3": "d4", "d4": None, "f6": "d4",
                        "e5": None, "g7": "e5", "h8": "e5"}  # fmt: skip


def test_a_copy_stored_by_two_stores_at_once_is_counted_once(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        store(_record("s1", "one"), session)
    errors: list[BaseException] = []

    def store_again() -> None:
        try:
            with sessions.begin() as session:
                store(_record("b2", "two"), session)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    # The second store of b2 waits for the first one's row; it then updates it, adding no copy.
    thread = threading.Thread(target=store_again)
    with sessions.begin() as session:
        store(_record("b2", "two"), session)
        thread.start()
        thread.join(1)
        assert thread.is_alive(), "the second store did not wait for the first one's row"
    thread.join(60)
    assert errors == []
    assert (_story(sessions).copies, _story(sessions).outlets) == (2, ["One", "Two"])


def test_a_story_whose_original_was_deleted_is_rebuilt_when_a_copy_comes(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        store_many([_record("s1", "one"), _record("b2", "two")], session)
    with sessions.begin() as session:  # by hand: the store itself never deletes an article
        session.execute(delete(ArticleRow).where(ArticleRow.id == "s1"))
    with sessions.begin() as session:
        store(_record("c3", "three"), session)
    story = _story(sessions)
    assert (story.original_id, story.copies, story.outlets) == ("b2", 2, ["Three", "Two"])
    assert _duplicates(sessions) == {"b2": None, "c3": "b2"}
