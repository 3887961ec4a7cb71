"""`wire ingest --once` with real Celery workers on a real broker, checked row by row."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.db import make_engine, session_factory
from pipeline.models import ArticleRow, DeadLetter, LabelRow
from tests.e2e.conftest import Wire, wire_env
from workers.sample_sites import Site

pytestmark = pytest.mark.e2e


def _feeds_file(sites: list[Site], path: Path) -> Path:
    path.write_text("".join(f"{site.base_url}/feed.xml\n" for site in sites))
    return path


def _rows(database_url: str) -> tuple[dict[str, ArticleRow], dict[str, set[str]]]:
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        rows = {row.url.rsplit("/", 1)[-1]: row for row in session.scalars(select(ArticleRow))}
        labels: dict[str, set[str]] = {}
        for label in session.scalars(select(LabelRow)):
            labels.setdefault(label.article_id, set()).add(label.code)
        session.expunge_all()
    engine.dispose()
    return rows, labels


def _ingest(wire: Wire, sites: list[Site], tmp_path: Path) -> str:
    result = wire("ingest", "--once", "--feeds", str(_feeds_file(sites, tmp_path / "feeds.txt")))
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _check_stored(database_url: str) -> None:
    rows, labels = _rows(database_url)
    assert len(rows) == 7
    copies = [
        rows["kremlin-nato-ukraine"],
        rows["kremlin-welcomes-us-stance"],
        rows["kremlin-nato"],
    ]
    first = copies[0]
    assert first.title == (
        "Kremlin says U.S. position ruling out NATO membership for Ukraine gives satisfaction"
    )
    assert first.authors == ["Dmitry Antonov", "Guy Faulconbridge"]
    assert first.published_at is not None
    assert first.published_at.astimezone(UTC) == datetime(2025, 4, 22, 9, 14, tzinfo=UTC)
    assert first.agency == "Reuters"
    assert first.language == "en"
    assert first.canonical_url.startswith("https://www.globalsouthworld.com/article/")
    assert "utm_source" not in first.canonical_url
    assert "It has not been edited by" not in first.text
    assert first.text.count("#Americas") == 0
    assert first.feed_url is not None
    assert first.feed_url.endswith("/feed.xml")
    assert {"RU", "UA", "US"} <= labels[first.id]
    assert "org:nato" in labels[first.id]
    assert any(code.startswith("medtop:") for code in labels[first.id])
    # The three outlets' copies are one story: the first seen is the original.
    assert len({row.story_id for row in copies}) == 1
    assert sum(row.duplicate_of is None for row in copies) == 1
    others = [row for key, row in rows.items() if not key.startswith("kremlin")]
    assert len({row.story_id for row in others}) == len(others)
    assert all(row.text and row.word_count > 50 for row in rows.values())


def test_ingest_once_stores_every_article_with_its_fields(
    wire: Wire, sites: list[Site], tmp_path: Path
) -> None:
    summary = _ingest(wire, sites, tmp_path)
    _check_stored(wire.env["WIRE_DATABASE_URL"])
    assert "fetch:dropped:http-404: 1" in summary
    assert "finished" in summary


def test_ingest_twice_stores_nothing_twice(wire: Wire, sites: list[Site], tmp_path: Path) -> None:
    _ingest(wire, sites, tmp_path)
    before, _ = _rows(wire.env["WIRE_DATABASE_URL"])
    summary = _ingest(wire, sites, tmp_path)
    after, _ = _rows(wire.env["WIRE_DATABASE_URL"])
    assert after.keys() == before.keys()
    assert {k: r.stored_at for k, r in after.items()} == {k: r.stored_at for k, r in before.items()}
    store_line = next(line for line in summary.splitlines() if line.startswith("store"))
    assert store_line.split()[1] == "0"


def test_ingest_once_on_postgresql(
    redis_client: object, redis_service: str, postgres_db: str, sites: list[Site], tmp_path: Path
) -> None:
    wire = Wire(wire_env(redis_service, postgres_db, tmp_path / "var"), tmp_path)
    _ingest(wire, sites, tmp_path)
    _check_stored(postgres_db)


def test_unreachable_feed_is_recorded_and_does_not_stop_the_others(
    wire: Wire, sites: list[Site], tmp_path: Path
) -> None:
    feeds = _feeds_file(sites, tmp_path / "feeds.txt")
    feeds.write_text(feeds.read_text() + "http://127.0.0.1:9/feed.xml\n")
    result = wire("ingest", "--once", "--feeds", str(feeds))
    assert result.returncode == 0, result.stdout + result.stderr
    listed = wire("feeds", "list", "--format", "json")
    assert '"status": "failing"' in listed.stdout
    assert "connection" in listed.stdout
    rows, _ = _rows(wire.env["WIRE_DATABASE_URL"])
    assert len(rows) == 7
    engine = make_engine(wire.env["WIRE_DATABASE_URL"])
    with session_factory(engine)() as session:
        assert list(session.scalars(select(DeadLetter))) == []
    engine.dispose()
