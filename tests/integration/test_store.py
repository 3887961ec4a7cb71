"""The store stage against real SQLite and PostgreSQL databases."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from pipeline.bulk import upsert_rows
from pipeline.db import make_engine, session_factory, upgrade
from pipeline.models import ArticleRow, LabelRow
from pipeline.records import Article, Classification, DedupVerdict, Label, StoredArticle
from pipeline.store import article_values, store, store_many


def _record(item_id: str = "a1", title: str = "Kremlin says", topics: int = 2) -> StoredArticle:
    article = Article(
        item_id=item_id,
        feed_url="http://127.0.0.1/feed.xml",
        url=f"http://127.0.0.1/news/{item_id}",
        canonical_url=f"http://example.com/{item_id}",
        title=title,
        authors=["Dmitry Antonov", "Guy Faulconbridge"],
        published_at=datetime(2025, 4, 22, 9, 14, tzinfo=UTC),
        language="en",
        text="The Kremlin said on Monday ...",
        agency="Reuters",
        dateline="Moscow",
        tags=["Europe", "War"],
        word_count=6,
    )
    labels = Classification(
        topics=[Label(code=f"medtop:1{i}000000", name=f"t{i}", score=0.5) for i in range(topics)],
        countries=[Label(code="RU", name="Russia", score=0.9)],
        model="test-1",
    )
    dedup = DedupVerdict(story_id="s1", duplicate_of=None, text_hash="h" * 64)
    return StoredArticle(article=article, dedup=dedup, classification=labels)


def _counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        articles = conn.scalar(select(func.count()).select_from(ArticleRow)) or 0
        labels = conn.scalar(select(func.count()).select_from(LabelRow)) or 0
    engine.dispose()
    return articles, labels


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the migrated test database; the engine is disposed afterwards."""
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def test_store_is_idempotent_for_same_item(
    database_url: str, sessions: sessionmaker[Session]
) -> None:
    for _ in range(2):
        with sessions.begin() as session:
            store(_record(), session)
    assert _counts(database_url) == (1, 3)


def test_store_replaces_labels_and_updates_fields_on_rerun(
    database_url: str, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        store(_record(topics=3), session)
    with sessions.begin() as session:
        store(_record(title="Kremlin says, updated", topics=1), session)
    with sessions() as session:
        row = session.get_one(ArticleRow, "a1")
        assert row.title == "Kremlin says, updated"
        assert row.authors == ["Dmitry Antonov", "Guy Faulconbridge"]
        assert row.published_at is not None
        assert row.published_at.astimezone(UTC) == datetime(2025, 4, 22, 9, 14, tzinfo=UTC)
    assert _counts(database_url) == (1, 2)


def test_store_many_keeps_the_last_copy_of_a_repeated_item(
    database_url: str, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        stored = store_many([_record("a1", "first"), _record("a2"), _record("a1", "last")], session)
    assert stored == 2
    with sessions() as session:
        assert session.get_one(ArticleRow, "a1").title == "last"


def test_migrations_upgrade_twice_is_a_no_op(database_url: str) -> None:
    upgrade(database_url)
    assert _counts(database_url) == (0, 0)


def test_store_keeps_the_first_stored_at_and_writes_every_label_field(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        store(_record(topics=1), session)
    with sessions() as session:
        first = session.get_one(ArticleRow, "a1").stored_at
    with sessions.begin() as session:
        store(_record(title="again", topics=1), session)
    with sessions() as session:
        assert session.get_one(ArticleRow, "a1").stored_at == first
        labels = {(r.kind, r.code): r for r in session.scalars(select(LabelRow))}
    russia = labels[("country", "RU")]
    assert (russia.article_id, russia.name, russia.score, russia.model) == (
        "a1", "Russia", 0.9, "test-1",
    )  # fmt: skip
    assert labels[("topic", "medtop:10000000")].name == "t0"


def test_store_writes_awkward_text_and_zones_unchanged(sessions: sessionmaker[Session]) -> None:
    record = _record()
    text = 'He said "no" \\ then left.\nZürich, 東京 🎉\t{"json": [1]}'
    published = datetime(2025, 4, 22, 14, 44, 1, 123456, tzinfo=timezone(timedelta(hours=5.5)))
    article = record.article.model_copy(
        update={"text": text, "authors": ['Ann "A" Lee', "Bo\\b"], "published_at": published}
    )
    with sessions.begin() as session:
        store(record.model_copy(update={"article": article}), session)
    with sessions() as session:
        row = session.get_one(ArticleRow, "a1")
    assert (row.text, row.authors) == (text, ['Ann "A" Lee', "Bo\\b"])
    stored = row.published_at
    assert stored is not None
    # PostgreSQL keeps the instant; SQLite (SQLAlchemy's DateTime there) the wall time only.
    assert stored == (published if stored.tzinfo else published.replace(tzinfo=None))


def test_article_text_is_compressed_with_lz4_where_postgresql_has_it(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL setting")
    engine = make_engine(database_url)
    with engine.connect() as conn:
        has_lz4 = conn.scalar(text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings"
            " WHERE name = 'default_toast_compression'"
        ))  # fmt: skip
        method = conn.scalar(text(
            "SELECT attcompression FROM pg_attribute"
            " WHERE attrelid = 'articles'::regclass AND attname = 'text'"
        ))  # fmt: skip
    engine.dispose()
    # 'l' is lz4; a server built without it keeps the default ('' = pglz).
    assert method == ("l" if has_lz4 else "")


def test_upsert_rows_tells_the_rows_it_inserted_on_postgresql(
    database_url: str, sessions: sessionmaker[Session]
) -> None:
    rows = [article_values(_record(i)) for i in ("a1", "a2")]
    with sessions.begin() as session:
        first = upsert_rows(session, ArticleRow, rows, update_on="id")
    with sessions.begin() as session:
        again = upsert_rows(session, ArticleRow, [rows[1], article_values(_record("a3"))], "id")
    if database_url.startswith("sqlite"):
        assert (first, again) == (None, None)
    else:
        assert (first, again) == ({"a1", "a2"}, {"a3"})
    assert _counts(database_url)[0] == 3
